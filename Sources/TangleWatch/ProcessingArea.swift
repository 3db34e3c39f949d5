import Foundation
import Glibc

/// This daemon's claim area in `processing/`, and the recovery of the files of daemons that died.
/// Every call is relative to the descriptor of `processing/` (see ``RootFolders``).
///
/// **Owner.** Each daemon has an owner id, `<pid>-<random hex>`, a folder `processing/<owner>/` and a
/// lock file `processing/<owner>.lock` on which it holds an exclusive `flock` for its whole life.
/// The lock file is created under a hidden temporary name, locked, and only then renamed to its
/// visible name, so no other daemon ever sees an unlocked lock of a live daemon; the folder is made
/// after the lock is visible.
///
/// **Claim.** A file is claimed by `renameat(2)` from `inbox/<name>` to `processing/<owner>/<seq>-<name>`.
/// A rename is atomic: when two daemons race for the same file, exactly one rename succeeds and the
/// other gets `ENOENT`, so a file is never judged by two daemons. A name too long for the `<seq>-`
/// prefix is claimed as `<seq>~`, its name written first to `<seq>.name` beside it.
///
/// **Owner-dead detection.** The kernel releases a `flock` when the last descriptor of its open file
/// goes away, which happens when the process exits for any reason, `kill -9` included. So a daemon that
/// can take `flock(LOCK_EX | LOCK_NB)` on another owner's lock file knows that owner is dead. No pid is
/// compared, so pid reuse does not matter. At start and on every rescan, each such dead owner's files
/// are renamed into our own folder (judged again; see ``Watcher``), then its folder and its lock file
/// are removed, in that order, while we still hold its lock. A crash in the middle leaves at worst a
/// lock file without a folder, which the next daemon removes the same way.
final class ProcessingArea {
    /// A file in our folder.
    struct Claimed {
        /// The original inbox name.
        var name: FileName
        /// Its name in our folder.
        var entry: FileName
        /// The name file kept beside it for a long name.
        var sidecar: FileName?
    }

    /// What a claim did.
    enum ClaimResult {
        /// The file is ours.
        case claimed(Claimed)
        /// It was gone (another daemon claimed it first).
        case gone
        /// The rename failed with this `errno`.
        case failed(Int32)
    }

    let processingFD: Int32
    let processingPath: String
    /// This daemon's owner id.
    let owner: String
    /// This daemon's folder, and its descriptor.
    let folder: String
    private(set) var folderFD: Int32
    private let lockName: String
    private let lockFD: Int32
    private var sequence = 0

    /// Takes an owner id, its lock and its folder.
    /// - Throws: ``WatchError/lock(path:reason:)``.
    init(processing fd: Int32, path: String) throws(WatchError) {
        processingFD = fd
        processingPath = path
        owner = "\(getpid())-\(String(format: "%08x", UInt32.random(in: .min ... .max)))"
        folder = (path as NSString).appendingPathComponent(owner)
        lockName = owner + ".lock"
        let temporary = ".\(owner).lock.tmp"
        let lock = openat(fd, temporary, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw .lock(path: "\(path)/\(temporary)", reason: WatchError.errnoText()) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let text = WatchError.errnoText()
            close(lock)
            throw .lock(path: "\(path)/\(temporary)", reason: "flock: \(text)")
        }
        guard renameat(fd, temporary, fd, lockName) == 0 else {
            let text = WatchError.errnoText()
            close(lock)
            throw .lock(path: "\(path)/\(lockName)", reason: "rename: \(text)")
        }
        lockFD = lock
        guard mkdirat(fd, owner, 0o755) == 0 else { throw .lock(path: folder, reason: "mkdir: \(WatchError.errnoText())") }
        folderFD = openat(fd, owner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folderFD >= 0 else { throw .lock(path: folder, reason: "open: \(WatchError.errnoText())") }
    }

    /// Makes our folder again when it was removed while we ran (its descriptor then names a deleted
    /// folder, and every claim into it fails with `ENOENT`).
    /// - Returns: whether a new folder was made.
    private func remakeFolderIfRemoved() -> Bool {
        var info = stat()
        guard fstat(folderFD, &info) == 0, info.st_nlink == 0 else { return false }
        guard mkdirat(processingFD, owner, 0o755) == 0 || errno == EEXIST else { return false }
        let fd = openat(processingFD, owner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(folderFD)
        folderFD = fd
        return true
    }

    /// Renames entry `source` of the folder held by `from` into our folder under a fresh sequence
    /// number (making our folder again first when it was removed).
    private func take(_ source: FileName, in from: Int32, name: FileName) -> ClaimResult {
        var result = rename(source, in: from, name: name)
        if case .gone = result, FileMover.exists(source, in: from) {
            // Not taken by another daemon: our folder is gone, or something else is wrong.
            if remakeFolderIfRemoved() { result = rename(source, in: from, name: name) }
            if case .gone = result, FileMover.exists(source, in: from) { result = .failed(ENOENT) }
        }
        return result
    }

    private func rename(_ source: FileName, in from: Int32, name: FileName) -> ClaimResult {
        sequence += 1
        let short = name.prefixed("\(sequence)-")
        if short.bytes.count <= FileName.maximumLength {
            guard source.withCString({ s in short.withCString { renameat(from, s, folderFD, $0) } }) == 0 else {
                return errno == ENOENT ? .gone : .failed(errno)
            }
            return .claimed(Claimed(name: name, entry: short, sidecar: nil))
        }
        let entry = FileName("\(sequence)~")
        let sidecar = FileName("\(sequence).name")
        guard Self.writeSidecar(name.bytes, to: sidecar, in: folderFD) else { return .failed(errno) }
        guard source.withCString({ s in entry.withCString { renameat(from, s, folderFD, $0) } }) == 0 else {
            let code = errno
            _ = sidecar.withCString { unlinkat(folderFD, $0, 0) }
            return code == ENOENT ? .gone : .failed(code)
        }
        return .claimed(Claimed(name: name, entry: entry, sidecar: sidecar))
    }

    /// Claims an inbox file by renaming it into our folder.
    func claim(_ name: FileName, inbox: Int32) -> ClaimResult { take(name, in: inbox, name: name) }

    /// Removes a claimed file's name file once the file has left our folder.
    func forgetSidecar(_ c: Claimed) {
        if let s = c.sidecar { _ = s.withCString { unlinkat(folderFD, $0, 0) } }
    }

    /// The inbox name of a claimed entry `<seq>-<name>` (nil for a `<seq>~` entry, whose name is in `<seq>.name`).
    static func originalName(_ entry: FileName) -> FileName? {
        guard let dash = entry.bytes.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        return FileName(bytes: Array(entry.bytes[(dash + 1)...]))
    }

    /// Takes over the files of every dead daemon (see the type's documentation).
    /// - Returns: the files now in our folder, and the dead owners' ids.
    func recoverDeadOwners() -> (files: [Claimed], owners: [String]) {
        var files: [Claimed] = []
        var owners: [String] = []
        for lock in (listFolder(processingFD) ?? []).map(\.text) where lock.hasSuffix(".lock") || lock.hasSuffix(".lock.tmp") {
            guard lock != lockName else { continue }
            let fd = openat(processingFD, lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // alive
            if lock.hasSuffix(".lock.tmp") {  // a daemon that died while starting
                unlinkat(processingFD, lock, 0)
                continue
            }
            let deadOwner = String(lock.dropLast(".lock".count))
            let deadFD = openat(processingFD, deadOwner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if deadFD >= 0 {
                let entries = (listFolder(deadFD) ?? []).sorted()
                for entry in entries where !entry.text.hasSuffix(".name") {
                    var name = Self.originalName(entry)
                    if name == nil, entry.text.hasSuffix("~") {
                        let sidecar = FileName(String(entry.text.dropLast()) + ".name")
                        name = Self.readSidecar(sidecar, in: deadFD).map { FileName(bytes: $0) }
                    }
                    if case .claimed(let c) = take(entry, in: deadFD, name: name ?? entry) { files.append(c) }
                }
                for entry in listFolder(deadFD) ?? [] where entry.text.hasSuffix(".name") { _ = entry.withCString { unlinkat(deadFD, $0, 0) } }
                close(deadFD)
            }
            if unlinkat(processingFD, deadOwner, AT_REMOVEDIR) == 0 || errno == ENOENT { unlinkat(processingFD, lock, 0) }
            owners.append(deadOwner)
        }
        return (files, owners)
    }

    /// Removes our folder (when empty) and lock file on a clean exit; a folder still holding files is
    /// left, with its lock, for the next daemon to recover.
    func release() {
        if unlinkat(processingFD, owner, AT_REMOVEDIR) == 0 { unlinkat(processingFD, lockName, 0) }
        close(folderFD)
        close(lockFD)
    }

    private static func writeSidecar(_ bytes: [UInt8], to name: FileName, in folder: Int32) -> Bool {
        let fd = name.withCString { openat(folder, $0, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) } == bytes.count
    }

    private static func readSidecar(_ name: FileName, in folder: Int32) -> [UInt8]? {
        let fd = name.withCString { openat(folder, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: FileName.maximumLength + 1)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        guard n > 0, n <= FileName.maximumLength else { return nil }
        return Array(buffer[0..<n])
    }
}
