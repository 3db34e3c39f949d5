import Foundation
import Glibc

/// The append side of `verdicts.jsonl`: one `write(2)` per batch, then `fsync`; rotation by size to
/// `verdicts-<UTC time>.jsonl` (never overwriting); a failed append is cut back to the previous size.
/// A log that does not end in a newline (cut by a crash or by hand) gets one before the next record,
/// so a damaged line never swallows a good one.
final class VerdictLog {
    /// Why an append failed.
    enum AppendError: Error {
        /// No space (`ENOSPC`) or quota (`EDQUOT`): pause and retry.
        case diskFull
        /// Anything else.
        case failed(WatchError)
    }

    let path: String
    let maxBytes: Int
    private let rootFD: Int32
    private var fd: Int32 = -1
    private var inode: UInt = 0

    /// The log `verdicts.jsonl` in the root held by `rootFD` (whose path is `root`).
    init(rootFD: Int32, root: String, maxBytes: Int) {
        self.rootFD = rootFD
        path = (root as NSString).appendingPathComponent(RootFolders.log)
        self.maxBytes = maxBytes
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Opens the log again when another daemon rotated it (its inode changed or it is gone); never
    /// through a link (a log that became one stops the daemon: ``WatchError/rootChanged(path:found:)``).
    private func openCurrent() throws(AppendError) {
        var info = stat()
        if fd >= 0 {
            if fstatat(rootFD, RootFolders.log, &info, AT_SYMLINK_NOFOLLOW) == 0 && UInt(info.st_ino) == inode { return }
            close(fd)
            fd = -1
        }
        let f = openat(rootFD, RootFolders.log, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
        guard f >= 0 else {
            if errno == ELOOP { throw .failed(.rootChanged(path: path, found: "a symbolic link")) }
            throw .failed(.log(path: path, reason: WatchError.errnoText()))
        }
        fstat(f, &info)
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(f)
            throw .failed(.rootChanged(path: path, found: "not a regular file"))
        }
        fd = f
        inode = UInt(info.st_ino)
    }

    /// Renames a log over `maxBytes` to `verdicts-<UTC time>.jsonl` (with `-n` when that name is taken).
    private func rotateIfNeeded() throws(AppendError) {
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) > maxBytes else { return }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stem = "verdicts-\(formatter.string(from: Date()))"
        var n = 0
        while true {
            let name = n == 0 ? "\(stem).jsonl" : "\(stem)-\(n).jsonl"
            if linkat(rootFD, RootFolders.log, rootFD, name, 0) == 0 { break }
            if errno == ENOENT { break }  // another daemon rotated it first
            guard errno == EEXIST else { throw .failed(.log(path: name, reason: WatchError.errnoText())) }
            n += 1
        }
        unlinkat(rootFD, RootFolders.log, 0)
        close(fd)
        fd = -1
        try openCurrent()
    }

    /// Opens the log for appending (creating it), to know at start that it is writable.
    /// - Throws: ``AppendError`` as ``append(_:)`` would.
    func probe() throws(AppendError) { try openCurrent() }

    /// Appends `bytes` with one write and makes it durable.
    /// - Throws: ``AppendError/diskFull`` (the log is cut back to its previous size), or another failure.
    func append(_ bytes: [UInt8]) throws(AppendError) {
        try openCurrent()
        try rotateIfNeeded()
        var info = stat()
        fstat(fd, &info)
        let previous = info.st_size
        var bytes = bytes
        var last: UInt8 = UInt8(ascii: "\n")
        if previous > 0, pread(fd, &last, 1, previous - 1) == 1, last != UInt8(ascii: "\n") {
            bytes.insert(UInt8(ascii: "\n"), at: 0)
        }
        func fail(_ code: Int32) -> AppendError {
            ftruncate(fd, previous)
            if code == ENOSPC || code == EDQUOT { return .diskFull }
            return .failed(.log(path: path, reason: WatchError.errnoText(code)))
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(errno)
            }
            written += n
        }
        if fsync(fd) != 0 { throw fail(errno) }
    }
}
