import Foundation
import Glibc
import TangleVerdict

extension WatchLayout {
    /// Why `root` cannot be shown as a watched root (missing, not a folder, never watched), with what
    /// to do; nil when it can.
    public var problem: String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            return "\(root) does not exist: pass the folder `tangle watch --root` serves (default: watch)"
        }
        guard isDir.boolValue else { return "\(root) is not a folder: pass the folder `tangle watch --root` serves" }
        guard FileManager.default.fileExists(atPath: inbox) else {
            return "\(root) is not a watched root (it has no inbox/): start `tangle watch --root \(root)` to make it one"
        }
        return nil
    }

    /// The daemons holding the root now: lock files in `processing/` whose `flock` is held. A shared
    /// lock is tried without waiting and released at once; a daemon recovering a dead owner in that
    /// instant retries at its next rescan.
    public func liveDaemons() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: processing)) ?? []
        return names.filter { $0.hasSuffix(".lock") && !$0.hasPrefix(".") }.filter { name in
            let fd = open((processing as NSString).appendingPathComponent(name), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            if flock(fd, LOCK_SH | LOCK_NB) == 0 {
                flock(fd, LOCK_UN)
                return false
            }
            return errno == EWOULDBLOCK
        }.count
    }
}

extension WatchStatus {
    /// What `tangle status --json` prints.
    public struct Report: Codable, Sendable {
        /// One record, shortly.
        public struct Record: Codable, Sendable {
            /// When it was made (RFC 3339).
            public var time: String
            /// The verdict.
            public var verdict: String
            /// The input's name.
            public var name: String
            /// Why.
            public var reason: String
            /// Whether it repeats an earlier record after a crash.
            public var replayed: Bool
        }
        /// The root.
        public var root: String
        /// Records in all.
        public var total: Int
        /// Records per verdict (every verdict, zeros included).
        public var counts: [String: Int]
        /// Files waiting in the inbox.
        public var inbox: Int
        /// Files claimed and not yet moved.
        public var processing: Int
        /// Records made in the last minute.
        public var lastMinute: Int
        /// Records made in the last hour.
        public var lastHour: Int
        /// Daemons holding the root now.
        public var daemons: Int
        /// Whether any daemon holds it.
        public var held: Bool
        /// Lines of the logs that are not records (skipped).
        public var damagedLines: Int
        /// The last records, oldest first.
        public var last: [Record]
    }

    /// The status as a report for `--json`.
    public func report(root: String) -> Report {
        Report(
            root: root, total: total, counts: Dictionary(uniqueKeysWithValues: Verdict.allCases.map { ($0.rawValue, counts[$0] ?? 0) }),
            inbox: inbox, processing: processing, lastMinute: lastMinute, lastHour: lastHour, daemons: daemons, held: daemons > 0, damagedLines: damagedLines,
            last: last.map { Report.Record(time: $0.time, verdict: $0.verdict.rawValue, name: $0.name, reason: $0.reason, replayed: $0.replayed) })
    }
}
