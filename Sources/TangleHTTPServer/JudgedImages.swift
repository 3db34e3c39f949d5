import Foundation
import Glibc
import Synchronization
import TangleDigest
import TangleFiles
import TangleVerdict
import TangleWatch

/// The images behind records, for `GET /v1/images/{id}` and the page's thumbnails: a file the log
/// names in one of the root's folders, or a recent posted image kept in memory.
///
/// Only what the log names inside the root is served: the record's path must end in
/// `<folder>/<name>` with `<folder>` one of `inbox`, `in-distribution`, `outlier`, `adversarial`,
/// `rejected`; the file is opened relative to the root's descriptor, never through a link, must be a
/// regular file within the size limit, must still hold the content the record hashed (SHA-256), and
/// must be a PNG or JPEG. Anything else is "not found".
public final class JudgedImages: Sendable {
    /// An image and its media type.
    public struct Image: Sendable {
        /// The bytes.
        public var bytes: [UInt8]
        /// `image/png` or `image/jpeg`.
        public var mediaType: String
    }

    /// The root.
    public let root: String
    /// The largest file served.
    public let maxBytes: Int
    private let posted = Mutex<(order: [String], byID: [String: [UInt8]], bytes: Int)>(([], [:], 0))
    /// Posted images kept (at most this many, and at most ``postedBytes`` in all).
    public let postedCount: Int
    /// The bytes of posted images kept.
    public let postedBytes: Int

    /// Images of `root`'s records.
    public init(root: String, maxBytes: Int = 64 << 20, postedCount: Int = 256, postedBytes: Int = 32 << 20) {
        self.root = root
        self.maxBytes = maxBytes
        self.postedCount = postedCount
        self.postedBytes = postedBytes
    }

    /// Keeps a posted image (dropping the oldest beyond the bounds; an image over a quarter of the
    /// bound is not kept).
    public func remember(id: String, bytes: [UInt8]) {
        guard bytes.count <= postedBytes / 4 else { return }
        posted.withLock { p in
            p.order.append(id)
            p.byID[id] = bytes
            p.bytes += bytes.count
            while p.order.count > postedCount || p.bytes > postedBytes {
                let old = p.order.removeFirst()
                p.bytes -= p.byID.removeValue(forKey: old)?.count ?? 0
            }
        }
    }

    /// Whether `id` looks like a record id (a lowercase UUID): nothing else is looked up.
    public static func isRecordID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard b == UInt8(ascii: "-") else { return false }
            } else {
                guard (b >= 48 && b <= 57) || (b >= 97 && b <= 102) else { return false }
            }
        }
        return true
    }

    /// The folders an image may be served from.
    static let folders: Set<String> = Set([WatchLayout.inboxName] + Verdict.allCases.map(\.rawValue))

    /// The `(folder, name)` a record's path points at, nil when it is not `…/<known folder>/<name>`.
    static func location(of path: [UInt8]) -> (folder: String, name: [UInt8])? {
        let parts = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        let name = Array(parts[parts.count - 1])
        let folder = String(decoding: parts[parts.count - 2], as: UTF8.self)
        guard folders.contains(folder), name != Array(".".utf8), name != Array("..".utf8), !name.contains(0) else { return nil }
        return (folder, name)
    }

    /// The image of a record, nil when it is not served (see the type's rules).
    public func image(of entry: RecordStore.Entry) -> Image? {
        if let bytes = posted.withLock({ $0.byID[entry.id] }) { return Self.typed(bytes) }
        guard let path = entry.path, let (folder, name) = Self.location(of: path) else { return nil }
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { return nil }
        defer { close(rootFD) }
        let folderFD = openat(rootFD, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folderFD >= 0 else { return nil }
        defer { close(folderFD) }
        var entryName = name.map { CChar(bitPattern: $0) } + [0]
        let shown = "\(folder)/\(String(decoding: name, as: UTF8.self))"
        guard let bytes = try? RegularFile.read(&entryName, in: folderFD, path: shown, maxBytes: maxBytes, followSymlinks: false) else { return nil }
        guard SHA256.hex(of: bytes) == entry.sha256 else { return nil }
        return Self.typed(bytes)
    }

    /// The bytes with their media type, nil unless PNG or JPEG by their magic bytes.
    static func typed(_ bytes: [UInt8]) -> Image? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return Image(bytes: bytes, mediaType: "image/png") }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return Image(bytes: bytes, mediaType: "image/jpeg") }
        return nil
    }
}
