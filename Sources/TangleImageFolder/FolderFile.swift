import TangleDigest

/// A file of an image folder with its SHA-256, for provenance records.
public struct FolderFile: Sendable, Equatable, Codable {
    /// Path relative to the folder, `<class>/<name>` (with `/` separators).
    public var path: String
    /// Hex SHA-256 of the file's bytes.
    public var sha256: String
    /// Size in bytes.
    public var bytes: Int

    /// Creates a record.
    public init(path: String, sha256: String, bytes: Int) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// The SHA-256 of every image file of a folder, and one digest over all of them.
public struct FolderDigest: Sendable, Equatable, Codable {
    /// The files, sorted by path.
    public var files: [FolderFile]
    /// Hex SHA-256 over the lines `"<sha256>  <bytes>  <path>\n"` of ``files`` in order: it
    /// changes when any file is added, removed, renamed or edited.
    public var sha256: String

    /// Creates the digest of `files` (sorted by path first).
    public init(files: [FolderFile]) {
        self.files = files.sorted { $0.path.unicodeScalars.lexicographicallyPrecedes($1.path.unicodeScalars) }
        var h = SHA256()
        for f in self.files { h.update(Array("\(f.sha256)  \(f.bytes)  \(f.path)\n".utf8)) }
        sha256 = h.hexDigest()
    }
}
