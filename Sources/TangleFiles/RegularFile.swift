#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files whose paths come from users or from data (images to judge, IDX files, model
/// folders) without blocking, trapping or allocating without bound.
///
/// Every open is `O_RDONLY | O_NONBLOCK | O_CLOEXEC` (plus `O_NOFOLLOW` when a link must not be
/// followed), so a FIFO or a device never blocks the open; the descriptor is then checked with
/// `fstat` and anything that is not a regular file is refused with a ``FileReadError``. Reads
/// are bounded by a stated maximum size, and a failing read (`EIO` on `/proc/self/mem`, a
/// damaged disk) is a ``FileReadError`` too, never a trap.
///
/// ```swift
/// let bytes = try RegularFile.read("/srv/in/photo.png", maxBytes: 64 << 20, followSymlinks: false)
/// ```
public enum RegularFile {
    /// Opens a regular file for reading without blocking and returns its descriptor (the caller
    /// closes it) and its size as `fstat` reports it.
    /// - Parameters:
    ///   - path: the file.
    ///   - followSymlinks: with `false` a symbolic link is refused (``FileReadError/Kind/symbolicLink``)
    ///     instead of followed.
    /// - Throws: ``FileReadError`` for a missing file, a link not followed, anything not a regular
    ///   file, or a failing `open`/`fstat`.
    public static func open(_ path: String, followSymlinks: Bool = true) throws(FileReadError) -> (descriptor: Int32, size: Int) {
        try path.withCString { entry in
            Result { () throws(FileReadError) in try open(entry, in: AT_FDCWD, path: path, followSymlinks: followSymlinks) }
        }.get()
    }

    /// ``open(_:followSymlinks:)`` for the entry `entry` (a name, as bytes) of the folder held by the
    /// descriptor `folder`, resolved with `openat` and no other path; `path` only names it in errors.
    public static func open(_ entry: UnsafePointer<CChar>, in folder: Int32, path: String, followSymlinks: Bool = false) throws(FileReadError) -> (
        descriptor: Int32, size: Int
    ) {
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = openat(folder, entry, flags)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileReadError(path: path, kind: .missing, reason: "it does not exist") }
            if code == ELOOP && !followSymlinks {
                throw FileReadError(path: path, kind: .symbolicLink, reason: "cannot open it (a symbolic link, not followed)")
            }
            throw FileReadError(path: path, kind: .unreadable, reason: "cannot open it (\(describe(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw FileReadError(path: path, kind: .unreadable, reason: "cannot stat it (\(describe(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileReadError(path: path, kind: .notRegular, reason: "not a regular file (it is \(typeName(info.st_mode)))")
        }
        return (fd, Int(info.st_size))
    }

    /// Reads a regular file whole, refusing it before reading when `fstat` reports more than
    /// `maxBytes`, and noticing a file that grows past its announced size while it is read. A file
    /// that announces 0 bytes is still read (up to one byte), so a pseudo-file such as
    /// `/proc/self/mem` or `/proc/self/status` fails or is noticed instead of passing as empty.
    /// - Returns: the bytes (empty for an empty file).
    /// - Throws: ``FileReadError`` as ``open(_:followSymlinks:)``, and
    ///   ``FileReadError/Kind/tooLarge``, ``FileReadError/Kind/unreadable`` (a failing read) or
    ///   ``FileReadError/Kind/changed`` (the file grew while it was read).
    public static func read(_ path: String, maxBytes: Int, followSymlinks: Bool = true) throws(FileReadError) -> [UInt8] {
        try path.withCString { entry in
            Result { () throws(FileReadError) in try read(entry, in: AT_FDCWD, path: path, maxBytes: maxBytes, followSymlinks: followSymlinks) }
        }.get()
    }

    /// ``read(_:maxBytes:followSymlinks:)`` for the entry `entry` of the folder held by `folder`
    /// (see ``open(_:in:path:followSymlinks:)``).
    public static func read(_ entry: UnsafePointer<CChar>, in folder: Int32, path: String, maxBytes: Int, followSymlinks: Bool = false) throws(
        FileReadError
    ) -> [UInt8] {
        let (fd, size) = try open(entry, in: folder, path: path, followSymlinks: followSymlinks)
        defer { close(fd) }
        guard size <= maxBytes else {
            throw FileReadError(path: path, kind: .tooLarge, reason: "\(size) bytes, more than the limit of \(maxBytes)")
        }
        // One byte more than announced, to notice a file that is still growing.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        let filled = try readFully(fd, into: &bytes, path: path)
        if filled > size {
            throw FileReadError(path: path, kind: .changed, reason: "the file grew while it was read (\(size) bytes announced)")
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Reads at most `count` bytes from the start of a regular file (a probe of its format, or a
    /// check that it can be read at all).
    /// - Throws: ``FileReadError`` as ``open(_:followSymlinks:)``, and
    ///   ``FileReadError/Kind/unreadable`` when reading fails.
    public static func readPrefix(_ path: String, count: Int, followSymlinks: Bool = true) throws(FileReadError) -> [UInt8] {
        let (fd, _) = try open(path, followSymlinks: followSymlinks)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        let filled = try readFully(fd, into: &bytes, path: path)
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Fills `bytes` from `fd` until it is full or the file ends; returns the bytes read.
    private static func readFully(_ fd: Int32, into bytes: inout [UInt8], path: String) throws(FileReadError) -> Int {
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileReadError(path: path, kind: .unreadable, reason: "reading failed (\(describe(code)))")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// `strerror`, as a Swift string.
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// What a non-regular file is, in words.
    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a plain file"
        }
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// Why a file could not be read safely. `description` says what happened and what to do.
public struct FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Nothing exists at the path.
        case missing
        /// A symbolic link, and links were not to be followed.
        case symbolicLink = "symbolic-link"
        /// A FIFO, device, socket or directory: never opened for reading.
        case notRegular = "not-regular"
        /// Larger than the stated maximum.
        case tooLarge = "too-large"
        /// Opening, `fstat` or reading failed (permissions, `EIO`).
        case unreadable
        /// The file grew while it was read.
        case changed
    }

    /// The file.
    public var path: String
    /// The category of failure.
    public var kind: Kind
    /// What went wrong, e.g. `"not a regular file (it is a FIFO (named pipe))"`.
    public var reason: String

    /// Creates an error.
    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// What a person can do about this kind of failure.
    public var advice: String {
        switch kind {
        case .missing: "check the path"
        case .symbolicLink: "pass the file itself, not a link to it"
        case .notRegular: "pass a regular file (FIFOs, devices and sockets are never read)"
        case .tooLarge: "the file is larger than Tangle reads for this purpose; check it is the right file"
        case .unreadable: "check that the file is a readable regular file on a working disk"
        case .changed: "wait until the file is completely written, then try again"
        }
    }

    /// `path: reason: advice`.
    public var description: String { "\(path): \(reason): \(advice)" }
}
