import Foundation

/// A seeded mutation fuzzer for the decoder: it damages seed PNG and JPEG files (bit flips, byte
/// edits, truncation, insertion, deletion, chunk or segment duplication, header field edits,
/// splices of two seeds), decodes each result and preprocesses every image that decodes.
///
/// The assertion is that the process survives and that every outcome is either a valid
/// ``DecodedImage`` or an ``ImageError``; the report counts both, times the slowest decode and
/// samples the resident set size so leaks show up as steady growth.
///
/// ```swift
/// let report = MutationFuzzer(seeds: [png, jpeg], seed: 42).run(count: 5_000)
/// print(report.summary)
/// ```
public struct MutationFuzzer: Sendable {
    /// The files mutations start from.
    public var seeds: [[UInt8]]
    /// The random seed; the same seed and files give the same inputs.
    public var seed: UInt64
    /// The decoder under test.
    public var decoder: ImageDecoder
    /// The preprocessor every decoded image is run through.
    public var preprocessor: Preprocessor

    /// Creates a fuzzer.
    /// - Parameters:
    ///   - seeds: valid PNG and JPEG files to mutate (small ones keep the run fast).
    ///   - seed: random seed.
    ///   - decoder: the decoder under test (production limits by default).
    ///   - preprocessor: run on every image that decodes (28x28 by default).
    public init(seeds: [[UInt8]], seed: UInt64, decoder: ImageDecoder = ImageDecoder(), preprocessor: Preprocessor = Preprocessor(rows: 28, columns: 28)) {
        precondition(!seeds.isEmpty, "the fuzzer needs at least one seed file")
        self.seeds = seeds
        self.seed = seed
        self.decoder = decoder
        self.preprocessor = preprocessor
    }

    /// The input number `index` of this fuzzer's sequence, and the mutations that made it.
    public func input(_ index: Int) -> (bytes: [UInt8], mutations: [String]) {
        var rng = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(index + 1))
        var bytes = seeds[rng.below(seeds.count)]
        var names: [String] = []
        for _ in 0..<(1 + rng.below(3)) {
            let m = Mutation.allCases[rng.below(Mutation.allCases.count)]
            bytes = m.apply(to: bytes, seeds: seeds, rng: &rng)
            names.append(m.rawValue)
        }
        if ImageFormat.detect(bytes) == .png && rng.below(2) == 0 {
            PNGChunks.fixCRCs(&bytes)
            names.append("crc-fixed")
        }
        return (bytes, names)
    }

    /// Decodes `count` mutated inputs and reports the outcomes.
    /// - Parameter count: how many inputs.
    /// - Returns: counts of valid images and of each ``ImageError/Kind``, any other error (a bug),
    ///   wall time, the slowest decode, and the resident set size before, after a warm-up tenth,
    ///   and at the end.
    public func run(count: Int) -> FuzzReport {
        var report = FuzzReport()
        report.inputs = count
        report.rssBeforeBytes = FuzzReport.residentBytes()
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<count {
            let (bytes, mutations) = input(i)
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                let image = try decoder.decode(bytes)
                _ = preprocessor.process(image)
                report.valid += 1
            } catch let error as ImageError {
                report.errors[error.kind.rawValue, default: 0] += 1
            } catch {
                report.unexpected.append("input \(i) (\(mutations.joined(separator: "+"))): \(error)")
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if seconds > report.slowestSeconds {
                report.slowestSeconds = seconds
                report.slowestInput = "input \(i) (\(mutations.joined(separator: "+")), \(bytes.count) bytes)"
            }
            if i == count / 10 { report.rssWarmBytes = FuzzReport.residentBytes() }
        }
        report.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report.rssAfterBytes = FuzzReport.residentBytes()
        return report
    }
}

/// What a ``MutationFuzzer`` run found.
public struct FuzzReport: Sendable, Equatable {
    /// Inputs decoded.
    public var inputs = 0
    /// Inputs that decoded to a valid image.
    public var valid = 0
    /// Inputs refused, by ``ImageError/Kind`` raw value.
    public var errors: [String: Int] = [:]
    /// Errors that were not ``ImageError`` (each a bug), with the input that caused them.
    public var unexpected: [String] = []
    /// Wall time of the whole run, in seconds.
    public var wallSeconds = 0.0
    /// The longest single decode (plus preprocessing), in seconds.
    public var slowestSeconds = 0.0
    /// Which input that was.
    public var slowestInput = ""
    /// Resident set size before the run, in bytes.
    public var rssBeforeBytes = 0
    /// Resident set size after the first tenth of the run (allocator warmed up), in bytes.
    public var rssWarmBytes = 0
    /// Resident set size after the run, in bytes.
    public var rssAfterBytes = 0

    /// One line per figure, for logs and the record.
    public var summary: String {
        let mib = { (b: Int) in String(format: "%.1f MiB", Double(b) / 1_048_576) }
        let kinds = errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            inputs \(inputs): valid \(valid), errors \(inputs - valid - unexpected.count) (\(kinds)), unexpected \(unexpected.count)
            wall \(String(format: "%.2f", wallSeconds)) s, slowest decode \(String(format: "%.2f", slowestSeconds * 1000)) ms: \(slowestInput)
            RSS before \(mib(rssBeforeBytes)), after warm-up \(mib(rssWarmBytes)), after \(mib(rssAfterBytes))
            """
    }

    /// The process's resident set size from `/proc/self/statm` (0 where that file does not exist).
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// The ways an input is damaged.
enum Mutation: String, CaseIterable {
    case flipBits = "flip-bits"
    case setBytes = "set-bytes"
    case truncate
    case insert
    case delete
    case duplicateChunk = "duplicate-chunk"
    case editHeader = "edit-header"
    case splice

    func apply(to input: [UInt8], seeds: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
        var b = input
        if b.isEmpty { return b }
        switch self {
        case .flipBits:
            for _ in 0..<(1 + rng.below(8)) { b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8)) }
        case .setBytes:
            let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFE, 0xFF]
            for _ in 0..<(1 + rng.below(4)) {
                b[rng.below(b.count)] = rng.below(2) == 0 ? interesting[rng.below(interesting.count)] : UInt8(rng.below(256))
            }
        case .truncate:
            // Half the cuts fall in the last tenth, where a half-copied file ends.
            let cut = rng.below(2) == 0 ? rng.below(b.count) : b.count - 1 - rng.below(max(1, b.count / 10))
            b.removeSubrange(max(0, cut)...)
        case .insert:
            let at = rng.below(b.count + 1)
            b.insert(contentsOf: (0..<(1 + rng.below(64))).map { _ in UInt8(rng.below(256)) }, at: at)
        case .delete:
            let at = rng.below(b.count)
            b.removeSubrange(at..<min(b.count, at + 1 + rng.below(64)))
        case .duplicateChunk:
            let pieces = ImageFormat.detect(b) == .png ? PNGChunks.ranges(b) : JPEGSegments.ranges(b)
            if pieces.isEmpty {
                let at = rng.below(b.count)
                let piece = Array(b[at..<min(b.count, at + 1 + rng.below(256))])
                b.insert(contentsOf: piece, at: min(b.count, at + piece.count))
            } else {
                let r = pieces[rng.below(pieces.count)]
                b.insert(contentsOf: Array(b[r]), at: r.upperBound)
            }
        case .editHeader:
            if ImageFormat.detect(b) == .png { PNGChunks.editHeader(&b, rng: &rng) } else { JPEGSegments.editFrame(&b, rng: &rng) }
        case .splice:
            let other = seeds[rng.below(seeds.count)]
            let head = rng.below(b.count)
            let tail = rng.below(other.count)
            b = Array(b[..<head]) + Array(other[tail...])
        }
        return b
    }
}

/// PNG chunk walking and repairs for the fuzzer.
enum PNGChunks {
    /// Byte ranges of whole chunks (length, type, data, CRC) after the signature.
    static func ranges(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var pos = 8
        while pos + 12 <= b.count {
            let length = Int(be32(b, pos))
            guard length <= b.count - pos - 12 else { break }
            out.append(pos..<(pos + 12 + length))
            pos += 12 + length
        }
        return out
    }

    /// Rewrites every complete chunk's CRC so that damage gets past libpng's CRC check.
    static func fixCRCs(_ b: inout [UInt8]) {
        for r in ranges(b) {
            let crc = CRC32.of(b[(r.lowerBound + 4)..<(r.upperBound - 4)])
            put32(&b, r.upperBound - 4, crc)
        }
    }

    /// Sets one IHDR field to an edge value and repairs the IHDR CRC.
    static func editHeader(_ b: inout [UInt8], rng: inout SplitMix64) {
        guard b.count >= 33 else { return }
        let sizes: [UInt32] = [0, 1, 2, 3, 255, 256, 4096, 65535, 65536, 100_000, 1_000_000, 0x7FFF_FFFF, 0xFFFF_FFFF]
        switch rng.below(4) {
        case 0, 1:  // width or height
            let value = rng.below(2) == 0 ? sizes[rng.below(sizes.count)] : UInt32(1 + rng.below(2048))
            put32(&b, rng.below(2) == 0 ? 16 : 20, value)
        case 2:  // bit depth or colour type
            let values: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255]
            b[24 + rng.below(2)] = values[rng.below(values.count)]
        default:  // compression, filter or interlace method
            b[26 + rng.below(3)] = UInt8(rng.below(3))
        }
        put32(&b, 29, CRC32.of(b[12..<29]))
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        b[at] = UInt8(v >> 24)
        b[at + 1] = UInt8((v >> 16) & 0xFF)
        b[at + 2] = UInt8((v >> 8) & 0xFF)
        b[at + 3] = UInt8(v & 0xFF)
    }
}

/// JPEG marker segment walking and frame edits for the fuzzer.
enum JPEGSegments {
    /// Byte ranges of marker segments up to and including the first SOS header.
    static func ranges(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var pos = 2
        while pos + 4 <= b.count, b[pos] == 0xFF {
            let marker = b[pos + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
                pos += 2
                continue
            }
            let length = Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            guard length >= 2, pos + 2 + length <= b.count else { break }
            out.append(pos..<(pos + 2 + length))
            pos += 2 + length
            if marker == 0xDA { break }
        }
        return out
    }

    /// Sets a field of the SOF segment (precision, height, width, component count, a sampling
    /// factor or table number) to an edge value.
    static func editFrame(_ b: inout [UInt8], rng: inout SplitMix64) {
        guard let frame = ranges(b).first(where: { (0xC0...0xCF).contains(b[$0.lowerBound + 1]) && b[$0.lowerBound + 1] != 0xC4 }),
            frame.count >= 10
        else { return }
        let p = frame.lowerBound + 4
        let sizes: [UInt16] = [0, 1, 2, 8, 9, 255, 4096, 65500, 65535]
        switch rng.below(5) {
        case 0: b[p] = [8, 12, 16, 0, 255][rng.below(5)]
        case 1, 2:
            let v = rng.below(2) == 0 ? sizes[rng.below(sizes.count)] : UInt16(1 + rng.below(4096))
            let at = p + 1 + 2 * rng.below(2)
            b[at] = UInt8(v >> 8)
            b[at + 1] = UInt8(v & 0xFF)
        case 3: b[p + 5] = [0, 1, 2, 3, 4, 5, 255][rng.below(7)]
        default:
            let at = p + 6 + rng.below(max(1, frame.upperBound - p - 6))
            if at < frame.upperBound { b[at] = [0x11, 0x22, 0x44, 0x00, 0xFF, 0x03][rng.below(6)] }
        }
    }
}

/// CRC-32 as PNG uses it (polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A small seeded generator (SplitMix64), enough for choosing mutations.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
