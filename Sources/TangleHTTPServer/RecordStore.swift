import Foundation
import Glibc
import Synchronization
import TangleWatch

/// The records the page and `GET /v1/records` show: `<root>/verdicts.jsonl` followed as it grows (so
/// every daemon sharing the root is shown), rotation included, read through the root's descriptor and
/// never through a link. Keeps the last ``capacity`` records as their exact log lines, and counts per
/// verdict and per hour of every record read since the server started reading (at most the last
/// ``tailBytes`` of the log at start).
public final class RecordStore: Sendable {
    /// A record, as logged, with the fields the server looks at.
    public struct Entry: Sendable, Equatable {
        /// Its id.
        public var id: String
        /// Its time (RFC 3339, UTC, milliseconds: sorts as text).
        public var time: String
        /// Its verdict.
        public var verdict: String
        /// Its `verdict_score` (absent for `rejected`).
        public var score: Double?
        /// The exact log line.
        public var line: String
        /// `input.path`, as bytes (from `path_base64` when the path is not UTF-8); nil for a post.
        public var path: [UInt8]?
        /// `input.sha256`.
        public var sha256: String
    }

    /// What the page's header shows.
    public struct Summary: Codable, Sendable {
        /// Records per verdict.
        public var counts: [String: Int]
        /// Records per verdict per hour (`YYYY-MM-DDTHH` UTC), the last 24 hours that had any.
        public var hourly: [String: [String: Int]]
        /// The time of the first record counted (nil: none yet).
        public var since: String?
        /// Lines that were not records.
        public var damagedLines: Int
        /// `[verdict_score, verdict]` of the kept records, for the histogram.
        public var scores: [ScorePoint]
    }

    /// One point of the score histogram.
    public struct ScorePoint: Codable, Sendable {
        /// `verdict_score`.
        public var score: Double
        /// The verdict.
        public var verdict: String
    }

    private struct State {
        var rootFD: Int32 = -1
        var fd: Int32 = -1
        var inode: UInt = 0
        var pending: [UInt8] = []
        var recent: [Entry] = []
        var head = 0  // ring start once full
        var counts: [String: Int] = [:]
        var hourly: [String: [String: Int]] = [:]
        var since: String?
        var damaged = 0
        var lastRefresh = 0.0
    }

    /// The root whose log is followed.
    public let root: String
    /// Records kept for the list.
    public let capacity: Int
    /// How much of an existing log is read at start.
    public let tailBytes: Int
    private let state = Mutex(State())

    /// Follows `<root>/verdicts.jsonl`.
    public init(root: String, capacity: Int = 2000, tailBytes: Int = 8 << 20) {
        self.root = root
        self.capacity = max(1, capacity)
        self.tailBytes = tailBytes
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
            if s.rootFD >= 0 { close(s.rootFD) }
        }
    }

    /// Reads what was appended since the last call (at most every 100 ms).
    public func refresh(force: Bool = false) {
        state.withLock { s in
            let now = Self.now()
            guard force || now - s.lastRefresh >= 0.1 else { return }
            s.lastRefresh = now
            if s.rootFD < 0 {
                s.rootFD = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard s.rootFD >= 0 else { return }
            }
            var bytes: [UInt8] = []
            if s.fd < 0 {
                guard openLog(&s, fromTail: true) else { return }
            }
            bytes = s.pending + Self.drain(s.fd)
            var info = stat()
            if fstatat(s.rootFD, WatchLayout.logName, &info, AT_SYMLINK_NOFOLLOW) == 0, UInt(info.st_ino) != s.inode, openLog(&s, fromTail: false) {
                bytes += Self.drain(s.fd)  // rotated: the old file was read to its end above
            }
            guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
                s.pending = bytes
                return
            }
            s.pending = Array(bytes[(lastNewline + 1)...])
            for line in bytes[..<lastNewline].split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                guard let e = Self.entry(Array(line)) else {
                    s.damaged += 1
                    continue
                }
                add(e, to: &s)
            }
        }
    }

    private func openLog(_ s: inout State, fromTail: Bool) -> Bool {
        let f = openat(s.rootFD, WatchLayout.logName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else { return false }
        var info = stat()
        guard fstat(f, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(f)
            return false
        }
        if s.fd >= 0 { close(s.fd) }
        s.fd = f
        s.inode = UInt(info.st_ino)
        s.pending = []
        if fromTail && Int(info.st_size) > tailBytes {
            lseek(f, off_t(Int(info.st_size) - tailBytes), SEEK_SET)
            // Skip to the start of the next line.
            var one: UInt8 = 0
            while read(f, &one, 1) == 1 && one != UInt8(ascii: "\n") {}
        }
        return true
    }

    private static func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += chunk[0..<n]
        }
        return out
    }

    private func add(_ e: Entry, to s: inout State) {
        s.counts[e.verdict, default: 0] += 1
        let hour = String(e.time.prefix(13))
        s.hourly[hour, default: [:]][e.verdict, default: 0] += 1
        if s.hourly.count > 48 {
            for old in s.hourly.keys.sorted().prefix(s.hourly.count - 48) { s.hourly[old] = nil }
        }
        if s.since == nil { s.since = e.time }
        if s.recent.count < capacity {
            s.recent.append(e)
        } else {
            s.recent[s.head] = e
            s.head = (s.head + 1) % capacity
        }
    }

    /// The kept records, newest first.
    private func newestFirst(_ s: State) -> [Entry] {
        let ordered = s.recent.count < capacity ? s.recent : Array(s.recent[s.head...] + s.recent[..<s.head])
        return ordered.reversed()
    }

    /// The newest records (at most `limit`), newest first, of one verdict when given, later than
    /// `since` when given.
    public func records(verdict: String? = nil, since: String? = nil, limit: Int = 100) -> [Entry] {
        refresh()
        return state.withLock { s in
            var out: [Entry] = []
            for e in newestFirst(s) {
                if let since, e.time <= since { break }
                if let verdict, e.verdict != verdict { continue }
                out.append(e)
                if out.count >= limit { break }
            }
            return out
        }
    }

    /// The kept record with this id.
    public func entry(id: String) -> Entry? {
        refresh()
        return state.withLock { s in s.recent.first { $0.id == id } }
    }

    /// Counts, hours and scores.
    public func summary() -> Summary {
        refresh()
        return state.withLock { s in
            let hours = s.hourly.keys.sorted().suffix(24)
            return Summary(
                counts: s.counts, hourly: Dictionary(uniqueKeysWithValues: hours.map { ($0, s.hourly[$0]!) }), since: s.since, damagedLines: s.damaged,
                scores: newestFirst(s).compactMap { e in e.score.map { ScorePoint(score: $0, verdict: e.verdict) } })
        }
    }

    private struct Line: Decodable {
        struct Input: Decodable {
            var path: String?
            var pathBase64: String?
            var sha256: String
            enum CodingKeys: String, CodingKey {
                case path, sha256
                case pathBase64 = "path_base64"
            }
        }
        struct Scores: Decodable {
            var verdictScore: Double?
            enum CodingKeys: String, CodingKey { case verdictScore = "verdict_score" }
        }
        var id: String
        var time: String
        var verdict: String
        var input: Input
        var scores: Scores?
    }

    /// The entry of one log line, nil when it is not a record.
    static func entry(_ line: [UInt8]) -> Entry? {
        guard let l = try? JSONDecoder().decode(Line.self, from: Data(line)) else { return nil }
        let path = l.input.pathBase64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? l.input.path.map { Array($0.utf8) }
        return Entry(
            id: l.id, time: l.time, verdict: l.verdict, score: l.scores?.verdictScore, line: String(decoding: line, as: UTF8.self), path: path,
            sha256: l.input.sha256)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
