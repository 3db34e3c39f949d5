import Foundation
import Glibc

/// This daemon's claim area in `processing/`, and the recovery of the files of daemons that died.
///
/// **Owner.** Each daemon has an owner id, `<pid>-<random hex>`, a folder `processing/<owner>/` and a
/// lock file `processing/<owner>.lock` on which it holds an exclusive `flock` for its whole life.
/// The lock file is created under a hidden temporary name, locked, and only then renamed to its
/// visible name, so no other daemon ever sees an unlocked lock of a live daemon; the folder is made
/// after the lock is visible.
///
/// **Claim.** A file is claimed by `rename(2)` from `inbox/<name>` to `processing/<owner>/<seq>-<name>`.
/// A rename is atomic: when two daemons race for the same file, exactly one rename succeeds and the
/// other gets `ENOENT`, so a file is never judged by two daemons.
///
/// **Owner-dead detection.** The kernel releases a `flock` when the last descriptor of its open file
/// goes away, which happens when the process exits for any reason, `kill -9` included. So a daemon that
/// can take `flock(LOCK_EX | LOCK_NB)` on another owner's lock file knows that owner is dead. No pid is
/// compared, so pid reuse does not matter. At start and on every rescan, each such dead owner's files
/// are renamed into our own folder (judged again; see ``Watcher``), then its folder and its lock file
/// are removed, in that order, while we still hold its lock. A crash in the middle leaves at worst a
/// lock file without a folder, which the next daemon removes the same way.
final class ProcessingArea {
    /// A file moved out of a dead daemon's folder into ours.
    struct Recovered {
        /// The original inbox name.
        var name: String
        /// Its path in our folder.
        var path: String
    }

    let processing: String
    /// This daemon's owner id.
    let owner: String
    /// This daemon's folder.
    let folder: String
    private let lockPath: String
    private let lockFD: Int32
    private var sequence = 0

    /// Takes an owner id, its lock and its folder.
    /// - Throws: ``WatchError/lock(path:reason:)``.
    init(processing: String) throws {
        self.processing = processing
        owner = "\(getpid())-\(String(format: "%08x", UInt32.random(in: .min ... .max)))"
        folder = (processing as NSString).appendingPathComponent(owner)
        lockPath = folder + ".lock"
        let temporary = (processing as NSString).appendingPathComponent(".\(owner).lock.tmp")
        let fd = open(temporary, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WatchError.lock(path: temporary, reason: WatchError.errnoText()) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let text = WatchError.errnoText()
            close(fd)
            throw WatchError.lock(path: temporary, reason: "flock: \(text)")
        }
        guard rename(temporary, lockPath) == 0 else {
            let text = WatchError.errnoText()
            close(fd)
            throw WatchError.lock(path: lockPath, reason: "rename: \(text)")
        }
        lockFD = fd
        guard mkdir(folder, 0o755) == 0 else { throw WatchError.lock(path: folder, reason: "mkdir: \(WatchError.errnoText())") }
    }

    /// Claims an inbox file by renaming it into our folder.
    /// - Returns: its new path, or nil when it was gone (another daemon claimed it first).
    func claim(_ source: String, name: String) -> String? {
        sequence += 1
        let target = (folder as NSString).appendingPathComponent("\(sequence)-\(name)")
        return rename(source, target) == 0 ? target : nil
    }

    /// The inbox name of a claimed file's name `<seq>-<name>`.
    static func originalName(_ claimed: String) -> String {
        guard let dash = claimed.firstIndex(of: "-") else { return claimed }
        return String(claimed[claimed.index(after: dash)...])
    }

    /// Takes over the files of every dead daemon (see the type's documentation).
    /// - Returns: the files now in our folder, and the dead owners' ids.
    func recoverDeadOwners() -> (files: [Recovered], owners: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: processing)) ?? []
        var files: [Recovered] = []
        var owners: [String] = []
        for lockName in names where lockName.hasSuffix(".lock") || lockName.hasSuffix(".lock.tmp") {
            let path = (processing as NSString).appendingPathComponent(lockName)
            guard path != lockPath else { continue }
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // alive
            if lockName.hasSuffix(".lock.tmp") {  // a daemon that died while starting
                unlink(path)
                continue
            }
            let deadOwner = String(lockName.dropLast(".lock".count))
            let deadFolder = (processing as NSString).appendingPathComponent(deadOwner)
            for entry in ((try? FileManager.default.contentsOfDirectory(atPath: deadFolder)) ?? []).sorted() {
                let name = Self.originalName(entry)
                sequence += 1
                let target = (folder as NSString).appendingPathComponent("\(sequence)-\(name)")
                if rename((deadFolder as NSString).appendingPathComponent(entry), target) == 0 {
                    files.append(Recovered(name: name, path: target))
                }
            }
            if rmdir(deadFolder) == 0 || errno == ENOENT { unlink(path) }
            owners.append(deadOwner)
        }
        return (files, owners)
    }

    /// Removes our folder (when empty) and lock file on a clean exit; a folder still holding files is
    /// left, with its lock, for the next daemon to recover.
    func release() {
        if rmdir(folder) == 0 { unlink(lockPath) }
        close(lockFD)
    }
}
