/// An image format Tangle decodes, recognised by its magic bytes (never by the file name).
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    /// PNG (signature `89 50 4E 47 0D 0A 1A 0A`).
    case png
    /// JPEG (starts with the SOI marker `FF D8 FF`).
    case jpeg

    /// The format of `bytes`, or `nil` when their start matches neither PNG nor JPEG.
    public static func detect<C: Collection>(_ bytes: C) -> ImageFormat? where C.Element == UInt8 {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// The name of a known image format Tangle does not decode (GIF, BMP, WebP, TIFF, HEIF/AVIF,
    /// JPEG 2000, JPEG XL), or `nil`; used to tell "unsupported" apart from "not an image".
    public static func unsupportedName<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let b = Array(bytes.prefix(16))
        func at(_ offset: Int, _ s: [UInt8]) -> Bool { b.count >= offset + s.count && Array(b[offset..<(offset + s.count)]) == s }
        let ascii = { (s: String) in Array(s.utf8) }
        if at(0, ascii("GIF8")) { return "GIF" }
        if at(0, ascii("BM")) { return "BMP" }
        if at(0, ascii("RIFF")) && at(8, ascii("WEBP")) { return "WebP" }
        if at(0, [0x49, 0x49, 0x2A, 0x00]) || at(0, [0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if at(4, ascii("ftyp")) { return "HEIF/AVIF" }
        if at(0, [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) || at(0, [0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if at(0, [0xFF, 0x0A]) || at(0, [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return "JPEG XL" }
        return nil
    }
}
