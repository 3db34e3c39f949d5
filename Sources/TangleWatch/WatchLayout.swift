import Foundation
import TangleVerdict

/// The folders and files of a watched root:
///
/// ```
/// <root>/inbox/                 files to judge (hidden and partial names wait)
/// <root>/processing/<owner>/    files a running daemon has claimed
/// <root>/processing/<owner>.lock  held with flock(LOCK_EX) by that daemon for its lifetime
/// <root>/in-distribution/ outlier/ adversarial/ rejected/   judged files, by verdict
/// <root>/verdicts.jsonl         one verdict record per line (rotated to verdicts-<UTC time>.jsonl)
/// ```
public struct WatchLayout: Sendable, Equatable {
    /// The root folder.
    public let root: String

    /// The inbox's name in the root.
    public static let inboxName = "inbox"
    /// The current log's name in the root.
    public static let logName = "verdicts.jsonl"

    /// A layout under `root`.
    public init(root: String) { self.root = root }

    /// The inbox.
    public var inbox: String { path("inbox") }
    /// The folder of claimed files.
    public var processing: String { path("processing") }
    /// The current verdict log.
    public var log: String { path("verdicts.jsonl") }

    /// The folder files with `verdict` are moved into.
    public func destination(_ verdict: Verdict) -> String { path(verdict.rawValue) }

    /// A path under the root.
    public func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    /// The verdict logs, oldest first: rotated `verdicts-*.jsonl` by name, then `verdicts.jsonl`.
    public func logFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let rotated = names.filter { $0.hasPrefix("verdicts-") && $0.hasSuffix(".jsonl") }.sorted()
        return rotated.map(path) + (FileManager.default.fileExists(atPath: log) ? [log] : [])
    }
}
