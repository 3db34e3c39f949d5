import Foundation

/// SHA-256 (FIPS 180-4), streaming.
///
/// Tangle records the SHA-256 of every weights file and every training-data file, so a model's
/// provenance can be checked and caches keyed on content.
///
/// ```swift
/// var h = SHA256()
/// h.update(Array("abc".utf8))
/// h.hexDigest()  // "ba7816bf..."
/// ```
public struct SHA256: Sendable {
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// A fresh hash.
    public init() {}

    /// Feeds bytes.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        length &+= UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        let whole = pending.count / 64 * 64
        if whole > 0 {
            pending.withUnsafeBufferPointer { p in
                var offset = 0
                while offset < whole {
                    compress(UnsafeBufferPointer(rebasing: p[offset..<(offset + 64)]))
                    offset += 64
                }
            }
            pending.removeFirst(whole)
        }
    }

    private mutating func compress(_ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.k.withUnsafeBufferPointer { k in compress(block, schedule: w.baseAddress!, constants: k.baseAddress!) }
        }
    }

    /// One block. Rotations are written out and the constants read through a pointer, so that even an
    /// unoptimised (debug) build hashes tens of MB/s: the test daemons hash their training data at start.
    private mutating func compress(_ block: UnsafeBufferPointer<UInt8>, schedule w: UnsafeMutablePointer<UInt32>, constants k: UnsafePointer<UInt32>) {
        for i in 0..<16 {
            w[i] = UInt32(block[4 * i]) << 24 | UInt32(block[4 * i + 1]) << 16 | UInt32(block[4 * i + 2]) << 8
                | UInt32(block[4 * i + 3])
        }
        for i in 16..<64 {
            let x = w[i - 15], y = w[i - 2]
            let s0 = (x >> 7 | x << 25) ^ (x >> 18 | x << 14) ^ (x >> 3)
            let s1 = (y >> 17 | y << 15) ^ (y >> 19 | y << 13) ^ (y >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for i in 0..<64 {
            let s1 = (e >> 6 | e << 26) ^ (e >> 11 | e << 21) ^ (e >> 25 | e << 7)
            let ch = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
            let s0 = (a >> 2 | a << 30) ^ (a >> 13 | a << 19) ^ (a >> 22 | a << 10)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            h = g; g = f; f = e; e = d &+ t1
            d = c; c = b; b = a; a = t1 &+ t2
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }

    /// The 32-byte digest of everything fed so far (the hash itself is not consumed).
    public func digest() -> [UInt8] {
        var copy = self
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        let padded = (copy.pending.count + 1 + 8 + 63) / 64 * 64
        tail += [UInt8](repeating: 0, count: padded - copy.pending.count - 1 - 8)
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        let savedLength = copy.length
        copy.update(tail)
        copy.length = savedLength
        var out: [UInt8] = []
        for word in copy.state { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: word >> UInt32(s))) } }
        return out
    }

    /// The digest as 64 lowercase hexadecimal characters.
    public func hexDigest() -> String {
        digest().map { String(format: "%02x", $0) }.joined()
    }

    /// The hex SHA-256 of a byte collection.
    public static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256()
        h.update(bytes)
        return h.hexDigest()
    }

    /// The hex SHA-256 of a file's contents, read in 1 MiB pieces.
    /// - Throws: ``DigestError`` when the file cannot be opened or read.
    public static func hex(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DigestError.cannotOpen(path) }
        defer { try? handle.close() }
        var h = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DigestError.readFailed(path, "\(error)")
            }
            if chunk.isEmpty { break }
            h.update(chunk)
        }
        return h.hexDigest()
    }
}

/// Why a file could not be hashed.
public enum DigestError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file does not exist or is not readable.
    case cannotOpen(String)
    /// Reading failed part-way.
    case readFailed(String, String)

    public var description: String {
        switch self {
        case .cannotOpen(let p): "cannot open \(p) to hash it: check that it exists and is readable"
        case .readFailed(let p, let why): "reading \(p) failed (\(why)): check the disk and the file"
        }
    }
}
