/// Why an image could not be read, decoded or written.
///
/// `kind` is a short machine-readable category for logs and verdict records (`kind.rawValue`, e.g.
/// `"truncated"`); `description` is a sentence for a person: what happened and what to do.
///
/// ```swift
/// do { _ = try ImageDecoder().decode(contentsOf: path) }
/// catch let error as ImageError { log(kind: error.kind.rawValue, message: error.description) }
/// ```
public struct ImageError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The category of failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The file has no bytes.
        case empty
        /// The bytes are not an image format Tangle knows (unknown magic bytes).
        case notAnImage = "not-an-image"
        /// A known image format this build does not decode (GIF, WebP, 12-bit JPEG, ...).
        case unsupported
        /// The decoder rejected the data as damaged.
        case corrupt
        /// The data ends before the image does.
        case truncated
        /// The file is larger than ``DecodeLimits/maxFileBytes``.
        case fileTooLarge = "file-too-large"
        /// The header announces more pixels than ``DecodeLimits/maxPixels`` (a decompression bomb).
        case tooManyPixels = "too-many-pixels"
        /// The file could not be opened or read (missing, permissions, not a regular file).
        case unreadable
        /// Writing failed or the caller passed inconsistent pixels.
        case writeFailed = "write-failed"
    }

    /// The file, or an empty string for bytes decoded from memory.
    public var path: String
    /// What went wrong (with the decoder's own message where it gave one).
    public var reason: String
    /// The category of failure.
    public var kind: Kind

    /// Creates an error.
    /// - Parameters:
    ///   - path: the file, or `""` for bytes in memory.
    ///   - reason: what went wrong.
    ///   - kind: the category; defaults to ``Kind/corrupt``.
    public init(path: String, reason: String, kind: Kind = .corrupt) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    /// What an operator can do about this kind of failure.
    public var advice: String {
        switch kind {
        case .empty: "the file was probably still being written or failed to upload: send it again"
        case .notAnImage: "only PNG and JPEG files are accepted: check the file is an image"
        case .unsupported: "convert the image to 8-bit PNG or JPEG"
        case .corrupt: "the file is damaged: export or download it again"
        case .truncated: "the file is incomplete: wait until it is fully copied, or send it again"
        case .fileTooLarge: "shrink or recompress the image, or raise the file size limit"
        case .tooManyPixels: "downscale the image, or raise the limit with --max-pixels (tangle classify, tangle watch) if such images are expected"
        case .unreadable: "check that the file exists, is a regular file and is readable"
        case .writeFailed: "check the destination folder's permissions and free space"
        }
    }

    /// `path: reason: advice`, or `reason: advice` for bytes from memory.
    public var description: String {
        path.isEmpty ? "\(reason): \(advice)" : "\(path): \(reason): \(advice)"
    }

    /// The same error attributed to `path`.
    public func at(_ path: String) -> ImageError { ImageError(path: path, reason: reason, kind: kind) }
}
