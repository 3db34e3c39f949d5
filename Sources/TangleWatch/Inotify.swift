import Glibc

/// An inotify watch on one folder, read with `poll` and a timeout (on the watcher's own thread,
/// never on the Swift concurrency pool).
final class Inotify {
    /// What happened to a name in the folder.
    struct Event: Equatable {
        /// The name in the watched folder (empty for queue-wide events).
        var name: FileName
        /// The inotify mask bits.
        var mask: UInt32

        /// The file was closed after being opened for writing.
        var closedWrite: Bool { mask & UInt32(IN_CLOSE_WRITE) != 0 }
        /// The file was renamed into the folder.
        var movedIn: Bool { mask & UInt32(IN_MOVED_TO) != 0 }
        /// The file was written to.
        var modified: Bool { mask & UInt32(IN_MODIFY) != 0 }
        /// The name was created.
        var created: Bool { mask & UInt32(IN_CREATE) != 0 }
        /// The kernel queue overflowed: events were lost, so scan.
        var overflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    }

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Watches the folder held by `folderFD` (through `/proc/self/fd`, so the watch is on the folder
    /// that was opened, not on whatever its path names now) for closes after writing, renames in,
    /// writes, creations and queue overflow.
    /// - Throws: ``WatchError/inotify(reason:)``.
    init(folderFD: Int32, path: String) throws {
        let folder = "/proc/self/fd/\(folderFD)"
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError.inotify(reason: "inotify_init1: \(WatchError.errnoText())") }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_Q_OVERFLOW | IN_ONLYDIR)
        guard inotify_add_watch(fd, folder, mask) >= 0 else {
            let text = WatchError.errnoText()
            close(fd)
            throw WatchError.inotify(reason: "inotify_add_watch \(path): \(text)")
        }
    }

    deinit { close(fd) }

    /// Waits up to `timeoutMs` for events and returns those queued (none on a timeout); returns early,
    /// with no events, when `wake` (a pipe's read end, or -1) becomes readable.
    func next(timeoutMs: Int32, wake: Int32 = -1) -> [Event] {
        var pfds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&pfds, wake >= 0 ? 2 : 1, timeoutMs)
        guard ready > 0, pfds[0].revents != 0 else { return [] }
        var events: [Event] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            events += Self.parse(buffer, count: n)
        }
        return events
    }

    /// Splits a read into events: a 16-byte header (wd, mask, cookie, len) then `len` bytes of NUL-padded name.
    static func parse(_ bytes: [UInt8], count: Int) -> [Event] {
        var events: [Event] = []
        var offset = 0
        while offset + 16 <= count {
            func u32(_ at: Int) -> UInt32 {
                UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            }
            let mask = u32(offset + 4)
            let length = Int(u32(offset + 12))
            let nameStart = offset + 16
            let nameBytes = bytes[nameStart..<min(nameStart + length, count)].prefix { $0 != 0 }
            events.append(Event(name: FileName(bytes: Array(nameBytes)), mask: mask))
            offset = nameStart + length
        }
        return events
    }
}
