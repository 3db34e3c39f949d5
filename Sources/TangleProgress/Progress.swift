import Foundation

/// A progress line for long work: done/total, rate and ETA, with caller-supplied fields.
///
/// On a terminal it rewrites one line (at most ten times a second); otherwise (logs, CI) it
/// prints a line every `interval` seconds, so the output stays readable either way.
public final class Progress: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let start: Date
    private var lastPrint: Date = .distantPast
    private let interval: TimeInterval
    private let isTerminal: Bool
    private var rateStart: Date
    private var rateStartDone = 0

    /// Starts a progress line.
    /// - Parameters:
    ///   - label: what is being done ("train", "index pool1").
    ///   - total: how many units the work has.
    ///   - unit: the unit's name in the rate ("img").
    ///   - interval: seconds between lines when not on a terminal.
    public init(label: String, total: Int, unit: String = "img", interval: TimeInterval = 5) {
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        start = Date()
        rateStart = start
        isTerminal = isatty(2) != 0
    }

    /// Resets the point the rate is measured from (e.g. after a warm-up).
    public func resetRate(done: Int) {
        rateStart = Date()
        rateStartDone = done
    }

    /// The rate in units per second since the rate's start.
    public func rate(done: Int) -> Double {
        let dt = Date().timeIntervalSince(rateStart)
        return dt > 0 ? Double(done - rateStartDone) / dt : 0
    }

    /// Reports `done` units finished, with extra `fields` ("loss 0.31").
    public func update(done: Int, fields: [String] = [], force: Bool = false) {
        let now = Date()
        let minGap = isTerminal ? 0.1 : interval
        guard force || now.timeIntervalSince(lastPrint) >= minGap else { return }
        lastPrint = now
        let r = rate(done: done)
        let eta = r > 0 ? Double(total - done) / r : .infinity
        let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
        var parts = ["\(label) \(done)/\(total) (\(String(format: "%.0f", pct))%)"]
        parts += fields
        parts.append(String(format: "%.0f %@/s", r, unit))
        parts.append("ETA \(Progress.formatDuration(eta))")
        let line = parts.joined(separator: "  ")
        Progress.writeError(isTerminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    /// Ends the line (on a terminal, moves to the next line) with a summary.
    public func finish(_ summary: String) {
        let elapsed = Date().timeIntervalSince(start)
        let text = "\(label): \(summary) in \(Progress.formatDuration(elapsed))"
        Progress.writeError((isTerminal ? "\r\u{1B}[K" : "") + text + "\n")
    }

    /// Writes text to standard error, unbuffered.
    public static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { break }
            off += n
        }
    }

    /// Formats seconds as `1h02m`, `3m05s` or `12s`.
    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "--" }
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%dm%02ds", t / 60, t % 60) }
        return "\(t)s"
    }
}
