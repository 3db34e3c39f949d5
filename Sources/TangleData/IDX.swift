import CZlib
import Foundation
import TangleFiles

/// Reads IDX files (the MNIST family's format), raw or gzip-compressed.
///
/// An IDX file is a 4-byte magic number `0x0000TTDD` (type `TT`, `DD` dimensions), the
/// dimensions as big-endian 32-bit integers, then the values. Tangle reads unsigned bytes
/// (`TT = 0x08`): images `0x00000803` `[count, rows, columns]` and labels `0x00000801` `[count]`.
/// zlib's `gzread` reads both compressed and uncompressed files.
public enum IDX {
    /// Images of `count x rows x columns` unsigned bytes.
    public struct Images: Sendable {
        /// The number of images.
        public var count: Int
        /// Rows per image.
        public var rows: Int
        /// Columns per image.
        public var columns: Int
        /// `count * rows * columns` bytes, image after image, row-major.
        public var pixels: [UInt8]
    }

    /// Reads an image file. The file must be a regular file (a FIFO or device is refused without
    /// blocking); its payload is bounded by ``maximumBytes``.
    /// - Throws: ``DataError`` for a missing, unreadable, mistyped, truncated or over-long file.
    public static func readImages(at path: String, missingHint: String = "check the path") throws -> Images {
        let (dims, data) = try read(path: path, magic: 0x0000_0803, kind: "image (ubyte, 3 dimensions)", missingHint: missingHint)
        return Images(count: dims[0], rows: dims[1], columns: dims[2], pixels: data)
    }

    /// Reads a label file.
    /// - Throws: ``DataError`` for a missing, unreadable, mistyped, truncated or over-long file.
    public static func readLabels(at path: String, missingHint: String = "check the path") throws -> [UInt8] {
        try read(path: path, magic: 0x0000_0801, kind: "label (ubyte, 1 dimension)", missingHint: missingHint).1
    }

    /// The largest payload Tangle accepts from one IDX file (1 GiB), so a hostile header cannot
    /// make it allocate without bound.
    public static let maximumBytes = 1 << 30

    private static func read(path: String, magic: UInt32, kind: String, missingHint: String) throws -> ([Int], [UInt8]) {
        // Opened without blocking (a FIFO or device is refused, never waited on), then read through zlib.
        let fd: Int32
        do { fd = try RegularFile.open(path).descriptor } catch {
            if error.kind == .missing { throw DataError.missingFile(path: path, hint: missingHint) }
            throw DataError.unreadable(path: path, reason: error.reason)
        }
        guard let file = gzdopen(fd, "rb") else {
            close(fd)
            throw DataError.unreadable(path: path, reason: "zlib cannot read it (out of memory)")
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, 1 << 20)

        func readExactly(_ count: Int, into buffer: UnsafeMutableRawPointer) throws -> Int {
            var got = 0
            while got < count {
                let chunk = Int32(min(count - got, 1 << 30))
                let n = gzread(file, buffer + got, UInt32(chunk))
                if n < 0 {
                    var code: Int32 = 0
                    let msg = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
                    throw DataError.unreadable(path: path, reason: "decompression failed (\(msg))")
                }
                if n == 0 { break }
                got += Int(n)
            }
            return got
        }

        var header = [UInt8](repeating: 0, count: 4)
        let headerGot = try header.withUnsafeMutableBytes { try readExactly(4, into: $0.baseAddress!) }
        guard headerGot == 4 else { throw DataError.truncated(path: path, expectedBytes: 4, gotBytes: headerGot) }
        let found = header.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard found == magic else { throw DataError.badMagic(path: path, found: found, expected: kind) }
        let ndims = Int(magic & 0xff)
        var dimBytes = [UInt8](repeating: 0, count: 4 * ndims)
        let dimGot = try dimBytes.withUnsafeMutableBytes { try readExactly(4 * ndims, into: $0.baseAddress!) }
        guard dimGot == 4 * ndims else { throw DataError.truncated(path: path, expectedBytes: 4 * ndims, gotBytes: dimGot) }
        var dims: [Int] = []
        var total = 1
        for d in 0..<ndims {
            let v = dimBytes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) }
            dims.append(v)
            total = total.multipliedReportingOverflow(by: v).overflow ? Int.max : total * v
        }
        guard total <= maximumBytes else {
            throw DataError.invalid("\(path) declares \(dims) values, more than Tangle's limit of \(maximumBytes) bytes; the header is damaged")
        }
        var data = [UInt8](repeating: 0, count: total)
        let got = try data.withUnsafeMutableBytes { total == 0 ? 0 : try readExactly(total, into: $0.baseAddress!) }
        guard got == total else { throw DataError.truncated(path: path, expectedBytes: total, gotBytes: got) }
        var extra: UInt8 = 0
        if try readExactly(1, into: &extra) != 0 { throw DataError.trailingData(path: path) }
        return (dims, data)
    }

    /// Writes an image file (uncompressed, or gzip when `path` ends in `.gz`).
    public static func write(images: Images, to path: String) throws {
        var bytes: [UInt8] = [0, 0, 8, 3]
        for d in [images.count, images.rows, images.columns] { bytes += bigEndian(d) }
        try writeFile(bytes + images.pixels, to: path)
    }

    /// Writes a label file (uncompressed, or gzip when `path` ends in `.gz`).
    public static func write(labels: [UInt8], to path: String) throws {
        try writeFile([0, 0, 8, 1] + bigEndian(labels.count) + labels, to: path)
    }

    private static func bigEndian(_ v: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    private static func writeFile(_ bytes: [UInt8], to path: String) throws {
        if path.hasSuffix(".gz") {
            guard let f = gzopen(path, "wb") else { throw DataError.unreadable(path: path, reason: "cannot create it") }
            let n = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            gzclose(f)
            guard n == bytes.count else { throw DataError.unreadable(path: path, reason: "short write") }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw DataError.unreadable(path: path, reason: "cannot create it")
            }
        }
    }
}
