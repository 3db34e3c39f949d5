import Foundation
import Glibc

/// A name in a folder as the kernel has it: bytes, any bytes but `/` and NUL, at most
/// ``maximumLength`` of them. Names are bytes end to end in the daemon (listed with `readdir`,
/// read from inotify, passed to the `*at` calls), so a name that is not UTF-8 is claimed, judged and
/// moved like any other; ``text`` shows it with U+FFFD where a byte is not UTF-8, and ``base64``
/// keeps the exact bytes for the record.
public struct FileName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest name a Linux file system takes (`NAME_MAX`).
    public static let maximumLength = 255

    /// The bytes.
    public let bytes: [UInt8]

    /// A name from its bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A name from text (its UTF-8 bytes).
    public init(_ text: String) { bytes = Array(text.utf8) }

    /// The name as text, with U+FFFD for bytes that are not UTF-8.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the bytes are valid UTF-8 (so ``text`` is exact).
    public var isUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// The exact bytes in base64.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// ``text`` (the log handler escapes control characters).
    public var description: String { text }

    /// Whether this name is left alone until it is renamed (hidden or partial, see ``NameFilter``).
    var isIgnored: Bool { NameFilter.isIgnored(text) }

    /// Calls `body` with the name as a NUL-terminated C string.
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }

    /// `prefix` followed by this name.
    func prefixed(_ prefix: String) -> FileName { FileName(bytes: Array(prefix.utf8) + bytes) }

    /// This name with `-n` before its extension (`shirt.png` → `shirt-2.png`), the stem shortened when
    /// that would pass ``maximumLength`` (on a character boundary when the name is UTF-8).
    func suffixed(_ n: Int) -> FileName {
        guard n > 0 || bytes.count > Self.maximumLength else { return self }
        let dot = bytes.lastIndex(of: UInt8(ascii: ".")).flatMap { $0 == 0 ? nil : $0 } ?? bytes.count
        var stem = Array(bytes[..<dot])
        var ext = Array(bytes[dot...])
        let tag = n > 0 ? Array("-\(n)".utf8) : []
        if ext.count > 32 {  // not an extension: part of the stem
            stem = bytes
            ext = []
        }
        let room = Self.maximumLength - tag.count - ext.count
        if stem.count > room {
            stem.removeLast(stem.count - room)
            if isUTF8 { while !stem.isEmpty && String(validating: stem, as: UTF8.self) == nil { stem.removeLast() } }
        }
        return FileName(bytes: stem + tag + ext)
    }

    /// Orders by bytes.
    public static func < (a: FileName, b: FileName) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// Reads the names in a folder held by a descriptor (without `.` and `..`), as bytes.
/// - Returns: the names, or nil when the folder cannot be read.
func listFolder(_ fd: Int32) -> [FileName]? {
    let copy = dup(fd)
    guard copy >= 0 else { return nil }
    guard let dir = fdopendir(copy) else {
        close(copy)
        return nil
    }
    defer { closedir(dir) }
    rewinddir(dir)
    var names: [FileName] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            Array(raw.prefix { $0 != 0 })
        }
        if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
        names.append(FileName(bytes: name))
    }
    return names
}
