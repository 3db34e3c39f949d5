import Glibc

/// What `lstat` says about an inbox entry (never following a symbolic link).
struct FileStamp: Equatable {
    /// The kind of entry.
    enum Kind: Equatable {
        /// A regular file.
        case regular
        /// A symbolic link (claimed and rejected, never followed).
        case symlink
        /// A folder, FIFO, socket or device: left alone.
        case other
    }

    var kind: Kind
    var size: Int
    var mtimeNanoseconds: Int
    var links: Int

    /// The entry `name` in the folder held by `folder`, or nil when it is gone.
    static func of(_ name: FileName, in folder: Int32) -> FileStamp? {
        var info = stat()
        guard name.withCString({ fstatat(folder, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else { return nil }
        let kind: Kind =
            switch info.st_mode & S_IFMT {
            case S_IFREG: .regular
            case S_IFLNK: .symlink
            default: .other
            }
        return FileStamp(
            kind: kind, size: Int(info.st_size), mtimeNanoseconds: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec),
            links: Int(info.st_nlink))
    }

    /// Whether size and modification time are the same.
    func sameContentStamp(_ other: FileStamp) -> Bool { size == other.size && mtimeNanoseconds == other.mtimeNanoseconds && kind == other.kind }
}
