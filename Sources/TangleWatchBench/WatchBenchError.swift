/// Why `tangle bench watch` could not finish, with what to do about it.
public enum WatchBenchError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The daemon binary could not be started.
    case cannotStart(binary: String, reason: String)
    /// The daemon exited before it was ready, or while judging.
    case daemonExited(status: Int32, logTail: String)
    /// The daemon did not say it was watching in time.
    case notReady(seconds: Double, logTail: String)
    /// Records were missing when the wait ended.
    case recordsMissing(expected: Int, got: Int, seconds: Double)
    /// A file or folder of the benchmark could not be made or moved.
    case file(path: String, reason: String)

    /// What went wrong and what to do.
    public var description: String {
        switch self {
        case .cannotStart(let b, let r):
            "cannot start the daemon \(b) (\(r)): pass --binary with a built `tangle` (swift build -c release)"
        case .daemonExited(let s, let tail):
            "the daemon exited with status \(s) before the benchmark ended; its last log lines:\n\(tail)\n"
                + "check that the model is calibrated (tangle calibrate) and the data set is installed"
        case .notReady(let s, let tail):
            "the daemon did not report `watching` within \(Int(s)) s; its last log lines:\n\(tail)\n"
                + "a cold cache builds the neighbour index first (~30 s): retry, or warm it with `tangle watch` once"
        case .recordsMissing(let e, let g, let s):
            "only \(g) of \(e) records reached verdicts.jsonl within \(Int(s)) s: the daemon is stuck or far too slow; "
                + "look at its log (rerun with --keep to keep the temporary root)"
        case .file(let p, let r):
            "cannot prepare \(p) (\(r)): pass --work with a writable folder that has room for ~50 MB"
        }
    }
}
