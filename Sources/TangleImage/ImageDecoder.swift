import Foundation
import TangleFiles

/// Decodes untrusted PNG and JPEG files safely: format from magic bytes (never the file name),
/// limits checked before allocating pixel memory, every failure an ``ImageError``.
///
/// ```swift
/// let decoder = ImageDecoder()
/// let image = try decoder.decode(contentsOf: "/srv/inbox/photo.jpg")
/// print(image.width, image.height, image.formatName)
/// ```
public struct ImageDecoder: Sendable {
    /// The bounds every decode is checked against.
    public var limits: DecodeLimits

    /// Creates a decoder.
    /// - Parameter limits: file size, pixel count and JPEG scan bounds (production defaults).
    public init(limits: DecodeLimits = DecodeLimits()) {
        self.limits = limits
    }

    /// Decodes image bytes.
    /// - Throws: ``ImageError`` (empty, not an image, unsupported, corrupt, truncated, too large,
    ///   too many pixels) with an empty path.
    public func decode(_ bytes: [UInt8]) throws -> DecodedImage {
        if bytes.isEmpty { throw ImageError(path: "", reason: "the file is empty", kind: .empty) }
        try limits.checkFileSize(bytes.count)
        switch ImageFormat.detect(bytes) {
        case .png: return try PNG.decode(bytes, limits: limits)
        case .jpeg: return try JPEG.decode(bytes, limits: limits)
        case nil:
            if let name = ImageFormat.unsupportedName(bytes) {
                throw ImageError(path: "", reason: "a \(name) image; only PNG and JPEG are decoded", kind: .unsupported)
            }
            let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImageError(path: "", reason: "not a PNG or JPEG file (it starts with \(head))", kind: .notAnImage)
        }
    }

    /// Decodes image bytes held in `Data`.
    /// - Throws: ``ImageError`` as ``decode(_:)-([UInt8])``.
    public func decode(_ data: Data) throws -> DecodedImage {
        try decode([UInt8](data))
    }

    /// Reads and decodes the file at `path`.
    /// - Throws: ``ImageError`` carrying `path`.
    public func decode(contentsOf path: String) throws -> DecodedImage {
        let bytes = try readFile(path)
        do { return try decode(bytes) } catch let error as ImageError { throw error.at(path) }
    }

    /// Reads a regular file whole, refusing it before reading when it exceeds
    /// ``DecodeLimits/maxFileBytes``.
    ///
    /// Opening does not block on FIFOs or devices (they are refused as not regular files). With
    /// `followSymlinks: false` a symbolic link is refused instead of followed. The reading is
    /// ``RegularFile/read(_:maxBytes:followSymlinks:)``'s.
    /// - Throws: ``ImageError`` (``ImageError/Kind/unreadable``, ``ImageError/Kind/empty``,
    ///   ``ImageError/Kind/fileTooLarge``) carrying `path`.
    public func readFile(_ path: String, followSymlinks: Bool = true) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, maxBytes: limits.maxFileBytes, followSymlinks: followSymlinks) } catch {
            throw Self.imageError(error, path: path)
        }
        if bytes.isEmpty { throw ImageError(path: path, reason: "the file is empty", kind: .empty) }
        return bytes
    }

    /// Reads entry `entry` of the folder held by the descriptor `folder` like ``readFile(_:followSymlinks:)``
    /// (never following a symbolic link), without resolving any path: `path` only names it in errors.
    /// - Throws: ``ImageError`` carrying `path`.
    public func readFile(entry: UnsafePointer<CChar>, in folder: Int32, path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(entry, in: folder, path: path, maxBytes: limits.maxFileBytes) } catch {
            throw Self.imageError(error, path: path)
        }
        if bytes.isEmpty { throw ImageError(path: path, reason: "the file is empty", kind: .empty) }
        return bytes
    }

    /// A reading error as the image error of its kind.
    private static func imageError(_ error: FileReadError, path: String) -> ImageError {
        let kind: ImageError.Kind =
            switch error.kind {
            case .tooLarge: .fileTooLarge
            case .changed: .truncated
            case .missing, .symbolicLink, .notRegular, .unreadable: .unreadable
            }
        return ImageError(path: path, reason: error.kind == .missing ? "cannot open it (No such file or directory)" : error.reason, kind: kind)
    }
}
