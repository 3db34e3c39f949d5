import Foundation

/// Why the watcher cannot go on, with what to do about it.
public enum WatchError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A folder of the root could not be made.
    case cannotCreate(path: String, reason: String)
    /// The inotify watch could not be set up.
    case inotify(reason: String)
    /// This daemon's lock in `processing/` could not be taken.
    case lock(path: String, reason: String)
    /// The verdict log could not be opened or written (other than a full disk, which pauses instead).
    case log(path: String, reason: String)
    /// The metrics endpoint could not be served.
    case metrics(String)
    /// A folder of the root, or its log, is a symbolic link, a file, or not the folder the daemon opened.
    case rootChanged(path: String, found: String)

    /// What went wrong and what to do.
    public var description: String {
        switch self {
        case .cannotCreate(let p, let r):
            "cannot create \(p) (\(r)): check that the parent folder exists and is writable, or pass another --root"
        case .inotify(let r):
            "cannot watch the inbox with inotify (\(r)): raise fs.inotify.max_user_watches / max_user_instances, or check the inbox exists"
        case .lock(let p, let r):
            "cannot take the daemon lock \(p) (\(r)): check that processing/ is writable and on a local file system"
        case .log(let p, let r):
            "cannot write the verdict log \(p) (\(r)): check permissions and free space in the root"
        case .metrics(let r):
            "metrics: \(r)"
        case .rootChanged(let p, let found):
            "\(p) is \(found), not what the root should hold: the daemon never works outside its root, so it stopped with nothing moved (claimed files stay in processing/ for the next start); put a real folder (or, for verdicts.jsonl, a regular file) there, or remove it to have it created, and start again"
        }
    }

    /// The text of the current `errno`.
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
