import Foundation
import TangleFiles
import TangleVerdict

/// What `tangle status` shows about a watched root: counts per verdict from the logs, files waiting,
/// the recent rate, and the last records.
public struct WatchStatus: Sendable {
    /// One record, shortly.
    public struct Entry: Sendable, Equatable {
        /// When it was made (RFC 3339).
        public var time: String
        /// The verdict.
        public var verdict: Verdict
        /// The input's name.
        public var name: String
        /// Why.
        public var reason: String
        /// Whether it repeats an earlier record after a crash.
        public var replayed: Bool
    }

    private struct Line: Decodable {
        struct Input: Decodable { var name: String }
        var time: String
        var verdict: Verdict
        var reason: String
        var input: Input
        var replayed: Bool?
    }

    /// Records per verdict, over all logs.
    public var counts: [Verdict: Int] = [:]
    /// Records in all.
    public var total = 0
    /// Lines of the logs that are not records (cut by a crash or edited by hand): skipped.
    public var damagedLines = 0
    /// Files waiting in the inbox (hidden and partial names not counted).
    public var inbox = 0
    /// Files claimed and not yet moved, over all daemons.
    public var processing = 0
    /// Records made in the last minute and the last hour.
    public var lastMinute = 0, lastHour = 0
    /// The last records, oldest first.
    public var last: [Entry] = []
    /// Daemons holding the root now (their lock in `processing/` is held).
    public var daemons = 0

    /// Reads the status of `root`, keeping the last `last` records.
    public init(root: String, last keep: Int = 5, now: Date = Date()) {
        let layout = WatchLayout(root: root)
        let decoder = JSONDecoder()
        let parse = ISO8601DateFormatter()
        parse.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for file in layout.logFiles() {
            // Never through a link: a log that is not a regular file of the root is not read.
            guard let data = try? RegularFile.read(file, maxBytes: Int.max, followSymlinks: false) else { continue }
            for raw in data.split(separator: UInt8(ascii: "\n")) where !raw.isEmpty {
                guard let line = try? decoder.decode(Line.self, from: Data(raw)) else {
                    damagedLines += 1
                    continue
                }
                total += 1
                counts[line.verdict, default: 0] += 1
                if let t = parse.date(from: line.time) {
                    let age = now.timeIntervalSince(t)
                    if age <= 60 { lastMinute += 1 }
                    if age <= 3600 { lastHour += 1 }
                }
                if keep > 0 {
                    last.append(Entry(time: line.time, verdict: line.verdict, name: line.input.name, reason: line.reason, replayed: line.replayed ?? false))
                    if last.count > keep { last.removeFirst(last.count - keep) }
                }
            }
        }
        let fm = FileManager.default
        inbox = ((try? fm.contentsOfDirectory(atPath: layout.inbox)) ?? []).filter { !NameFilter.isIgnored($0) }.count
        for owner in (try? fm.contentsOfDirectory(atPath: layout.processing)) ?? [] where !owner.hasSuffix(".lock") && !owner.hasPrefix(".") {
            processing += ((try? fm.contentsOfDirectory(atPath: layout.processing + "/" + owner)) ?? []).filter { !$0.hasSuffix(".name") }.count  // not long names' name files
        }
        daemons = layout.liveDaemons()
    }

    /// The status as lines for people.
    public func render(root: String) -> String {
        var lines = ["root \(root)"]
        let perVerdict = Verdict.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        lines.append("records \(total): \(perVerdict)")
        lines.append("waiting: \(inbox) in inbox, \(processing) in processing")
        lines.append(daemons == 0 ? "daemons: none holds this root now" : "daemons: held by \(daemons) running daemon\(daemons == 1 ? "" : "s")")
        lines.append(String(format: "rate: %d in the last minute, %d in the last hour (%.1f/min)", lastMinute, lastHour, Double(lastHour) / 60))
        if !last.isEmpty {
            lines.append("last \(last.count):")
            for e in last { lines.append("  \(e.time) \(e.verdict.rawValue) \(e.name) \(e.reason)\(e.replayed ? " (replayed)" : "")") }
        }
        return lines.joined(separator: "\n")
    }
}
