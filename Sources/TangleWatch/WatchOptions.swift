/// How `tangle watch` runs: the folder it serves and its timings and limits.
public struct WatchOptions: Sendable, Equatable {
    /// The watched root; `inbox/`, `processing/`, the verdict folders and `verdicts.jsonl` live in it.
    public var root: String
    /// Leave files in the inbox and only log records (a file already judged, same name and content, is not judged again).
    public var flagOnly: Bool
    /// How long a written file's size and modification time must hold still before it is judged, in seconds.
    public var settleSeconds: Double
    /// How often the inbox is scanned in full (besides inotify), in seconds.
    public var rescanSeconds: Double
    /// The most files claimed and judged in one round.
    public var batch: Int
    /// `verdicts.jsonl` is rotated to `verdicts-<UTC time>.jsonl` once it exceeds this size.
    public var maxLogBytes: Int
    /// Write sample images into an empty inbox on the first start of a root.
    public var seed: Bool
    /// How long a file modified since its last close waits for a close before it is taken anyway, in seconds.
    public var unclosedFallbackSeconds: Double

    /// Creates options.
    /// - Parameters:
    ///   - root: the watched root folder.
    ///   - flagOnly: log records only, leaving files in the inbox.
    ///   - settleSeconds: the settle interval.
    ///   - rescanSeconds: the full-scan period.
    ///   - batch: the most files per round.
    ///   - maxLogBytes: the log rotation size.
    ///   - seed: seed sample images on a first start.
    ///   - unclosedFallbackSeconds: the wait for a close after a modification.
    public init(
        root: String, flagOnly: Bool = false, settleSeconds: Double = 0.3, rescanSeconds: Double = 10, batch: Int = 256,
        maxLogBytes: Int = 64 << 20, seed: Bool = true, unclosedFallbackSeconds: Double = 60
    ) {
        self.root = root
        self.flagOnly = flagOnly
        self.settleSeconds = settleSeconds
        self.rescanSeconds = rescanSeconds
        self.batch = batch
        self.maxLogBytes = maxLogBytes
        self.seed = seed
        self.unclosedFallbackSeconds = unclosedFallbackSeconds
    }
}
