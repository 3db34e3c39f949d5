import Foundation
import Glibc
import TangleVerdict

/// The watched root held by descriptors: the daemon never follows a symbolic link out of it.
///
/// The root is opened once; each of its folders (`inbox/`, `processing/`, the verdict folders) is
/// opened with `openat(O_DIRECTORY | O_NOFOLLOW)` relative to it, and every later operation on a file
/// (`fstatat`, `renameat`, `linkat`, `unlinkat`, `openat(O_NOFOLLOW)`) is relative to one of those
/// descriptors. So even if a folder is replaced by a link while the daemon runs, the daemon keeps
/// working in the folder it opened, inside the root.
///
/// ``verify()`` (at start and on every rescan) checks that each folder name still names the folder
/// that is held and that `verdicts.jsonl` is a regular file: a folder or log that has become a link, a
/// file, or another folder stops the daemon with ``WatchError/rootChanged(path:found:)`` before anything
/// more is moved; a removed verdict folder is created again.
final class RootFolders {
    /// The folders of a root, by name.
    static let inbox = WatchLayout.inboxName
    static let processing = "processing"
    static let log = WatchLayout.logName
    static var folderNames: [String] { [inbox, processing] + Verdict.allCases.map(\.rawValue) }

    private struct Held {
        var fd: Int32
        var device: UInt
        var inode: UInt
    }

    let layout: WatchLayout
    /// The root's descriptor.
    let rootFD: Int32
    private var held: [String: Held] = [:]

    /// Opens (and creates when missing) the root and its folders, refusing a folder or log that is a
    /// link or not of its kind.
    /// - Throws: ``WatchError/cannotCreate(path:reason:)`` or ``WatchError/rootChanged(path:found:)``.
    init(layout: WatchLayout) throws(WatchError) {
        self.layout = layout
        do { try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true) } catch {
            throw .cannotCreate(path: layout.root, reason: error.localizedDescription)
        }
        let fd = open(layout.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotCreate(path: layout.root, reason: WatchError.errnoText()) }
        rootFD = fd
        for name in Self.folderNames { try openFolder(name, create: true) }
        try checkLog()
    }

    deinit {
        for h in held.values { close(h.fd) }
        close(rootFD)
    }

    /// The descriptor of a folder of the root (one of ``folderNames``).
    func fd(_ name: String) -> Int32 { held[name]!.fd }

    /// The descriptor of the folder judged files with `verdict` go to.
    func destination(_ verdict: Verdict) -> Int32 { fd(verdict.rawValue) }

    /// What `fstatat(AT_SYMLINK_NOFOLLOW)` finds under a name in the root, in words, or nil when nothing is there.
    private func kind(_ name: String) -> (found: String, info: stat)? {
        var info = stat()
        guard fstatat(rootFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        let found =
            switch info.st_mode & S_IFMT {
            case S_IFDIR: "a folder"
            case S_IFLNK: "a symbolic link"
            case S_IFREG: "a file"
            default: "a special file"
            }
        return (found, info)
    }

    private func openFolder(_ name: String, create: Bool) throws(WatchError) {
        if create && mkdirat(rootFD, name, 0o755) != 0 && errno != EEXIST {
            throw .cannotCreate(path: layout.path(name), reason: WatchError.errnoText())
        }
        if let k = kind(name), k.found != "a folder" { throw .rootChanged(path: layout.path(name), found: k.found) }
        let fd = openat(rootFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP || errno == ENOTDIR { throw .rootChanged(path: layout.path(name), found: "not a folder") }
            throw .cannotCreate(path: layout.path(name), reason: WatchError.errnoText())
        }
        var info = stat()
        fstat(fd, &info)
        if let old = held[name] { close(old.fd) }
        held[name] = Held(fd: fd, device: UInt(info.st_dev), inode: UInt(info.st_ino))
    }

    private func checkLog() throws(WatchError) {
        if let k = kind(Self.log), k.found != "a file" { throw .rootChanged(path: layout.log, found: k.found) }
    }

    /// Checks every folder and the log (see the type's documentation).
    /// - Returns: the verdict folders that were missing and are created again.
    /// - Throws: ``WatchError/rootChanged(path:found:)`` when the inbox or `processing/` is gone or
    ///   replaced, or any folder or the log is a link or not of its kind.
    @discardableResult
    func verify() throws(WatchError) -> [String] {
        var recreated: [String] = []
        for name in Self.folderNames {
            let h = held[name]!
            let isVerdictFolder = name != Self.inbox && name != Self.processing
            guard let k = kind(name) else {
                guard isVerdictFolder else { throw .rootChanged(path: layout.path(name), found: "gone") }
                try openFolder(name, create: true)
                recreated.append(name)
                continue
            }
            guard k.found == "a folder" else { throw .rootChanged(path: layout.path(name), found: k.found) }
            if UInt(k.info.st_dev) == h.device && UInt(k.info.st_ino) == h.inode { continue }
            guard isVerdictFolder else { throw .rootChanged(path: layout.path(name), found: "another folder than the one watched") }
            try openFolder(name, create: false)
        }
        try checkLog()
        return recreated
    }

    /// Opens a verdict folder again after it was removed (creating it).
    func reopenDestination(_ verdict: Verdict) throws(WatchError) { try openFolder(verdict.rawValue, create: true) }

    /// The verdict logs in the root, oldest first: rotated `verdicts-*.jsonl` by name, then `verdicts.jsonl`.
    func logNames() -> [String] {
        let names = (listFolder(rootFD) ?? []).map(\.text)
        let rotated = names.filter { $0.hasPrefix("verdicts-") && $0.hasSuffix(".jsonl") }.sorted()
        return rotated + (names.contains(Self.log) ? [Self.log] : [])
    }

    /// Reads a regular file of the root (never through a link).
    /// - Returns: its bytes, or nil when it is missing, a link or unreadable.
    func readRootFile(_ name: String, from offset: Int = 0) -> [UInt8]? {
        let fd = openat(rootFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var at = off_t(offset)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, at) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += chunk[0..<n]
            at += off_t(n)
        }
        return out
    }
}
