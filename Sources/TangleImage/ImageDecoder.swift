import Foundation

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
    /// `followSymlinks: false` a symbolic link is refused instead of followed.
    /// - Throws: ``ImageError`` (``ImageError/Kind/unreadable``, ``ImageError/Kind/empty``,
    ///   ``ImageError/Kind/fileTooLarge``) carrying `path`.
    public func readFile(_ path: String, followSymlinks: Bool = true) throws -> [UInt8] {
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW)
        return try readOpened(open(path, flags), path: path, followSymlinks: followSymlinks)
    }

    /// Reads entry `entry` of the folder held by the descriptor `folder` like ``readFile(_:followSymlinks:)``
    /// (never following a symbolic link), without resolving any path: `path` only names it in errors.
    /// - Throws: ``ImageError`` carrying `path`.
    public func readFile(entry: UnsafePointer<CChar>, in folder: Int32, path: String) throws -> [UInt8] {
        try readOpened(openat(folder, entry, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW), path: path, followSymlinks: false)
    }

    /// Reads the file just opened as `fd` (a negative `fd` reports `errno`), then closes it.
    private func readOpened(_ fd: Int32, path: String, followSymlinks: Bool) throws -> [UInt8] {
        guard fd >= 0 else {
            let code = errno
            let why = code == ELOOP && !followSymlinks ? "a symbolic link, not followed" : String(cString: strerror(code))
            throw ImageError(path: path, reason: "cannot open it (\(why))", kind: .unreadable)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageError(path: path, reason: "cannot stat it (\(String(cString: strerror(errno))))", kind: .unreadable)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ImageError(path: path, reason: "not a regular file", kind: .unreadable)
        }
        let size = Int(info.st_size)
        if size == 0 { throw ImageError(path: path, reason: "the file is empty", kind: .empty) }
        do { try limits.checkFileSize(size) } catch let error as ImageError { throw error.at(path) }
        // One byte more than announced, to notice a file that is still growing.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError(path: path, reason: "reading failed (\(String(cString: strerror(errno))))", kind: .unreadable)
            }
            if n == 0 { break }
            filled += n
        }
        if filled > size {
            throw ImageError(path: path, reason: "the file grew while it was read", kind: .truncated)
        }
        bytes.removeLast(bytes.count - filled)
        if bytes.isEmpty { throw ImageError(path: path, reason: "the file is empty", kind: .empty) }
        return bytes
    }
}
