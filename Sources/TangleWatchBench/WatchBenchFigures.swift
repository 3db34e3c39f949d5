import TangleBLASCore
import TangleTensor

/// What `tangle bench watch` measured, printed as one JSON object (snake_case keys).
public struct WatchBenchFigures: Codable, Sendable {
    /// Burst files judged per second: files / (time of the last record − time of the first drop), by the records' `time`.
    public var filesPerSecond: Double
    /// The same rate by the benchmark's clock: files / (last record seen in the log − first drop).
    public var filesPerSecondObserved: Double
    /// Median drop → record time of single files, ms (rename into the inbox until the record is in the log).
    public var latencyMsMedian: Double
    /// 90th percentile of the same, ms.
    public var latencyMsP90: Double
    /// Median `latency_ms` the daemon itself recorded for the single files (reading to verdict), ms.
    public var judgeLatencyMsMedian: Double
    /// The daemon's peak resident set (`VmHWM`) at the end, MiB; the index build is excluded (a cold start is restarted).
    public var peakRssMib: Double
    /// The largest `VmRSS` sampled every 100 ms while judging, MiB.
    public var sampledRssMibMax: Double
    /// Burst size.
    public var files: Int
    /// Burst files per source (`fashion`, `mnist`, `fgsm`).
    public var sources: [String: Int]
    /// Seconds from the first drop to the last record seen.
    public var burstSeconds: Double
    /// Seconds spent renaming the burst into the inbox.
    public var dropSeconds: Double
    /// Seconds the daemon spent building the neighbour index on a cold first start; null when it came from the cache.
    public var indexBuildSeconds: JSONNullable<Double>
    /// Whether the index came from the cache (no index file was written on the first start).
    public var indexCached: Bool
    /// Seconds from spawning the measured daemon to its `watching` line (index from the cache).
    public var startupSeconds: Double
    /// Burst records per verdict.
    public var verdicts: [String: Int]
    /// Burst records per source, then per verdict.
    public var verdictsBySource: [String: [String: Int]]
    /// The daemon's exit status after SIGTERM (0 expected).
    public var daemonExitStatus: Int32
    /// The targets and whether each was met.
    public var targets: Targets
    /// The daemon binary.
    public var binary: String
    /// Which OpenBLAS kernels ran and who chose them (the daemon inherits this process's choice: its
    /// environment carries `OPENBLAS_CORETYPE` and the re-execution marker).
    public var blasKernel: BLASKernel = BLAS.kernel
    /// The cache folder used.
    public var cache: String

    /// The targets: ≥ 500 files/s, median latency ≤ 20 ms, peak RSS ≤ 1 GiB.
    public struct Targets: Codable, Sendable {
        /// Minimum files per second.
        public var filesPerSecond = 500.0
        /// Maximum median latency, ms.
        public var latencyMsMedian = 20.0
        /// Maximum peak RSS, MiB.
        public var peakRssMib = 1024.0
        /// Whether the throughput target was met.
        public var filesPerSecondMet = false
        /// Whether the latency target was met.
        public var latencyMet = false
        /// Whether the memory target was met.
        public var peakRssMet = false
    }
}

/// A value that encodes as JSON `null` when absent (instead of leaving its key out).
public struct JSONNullable<Value: Codable & Sendable>: Codable, Sendable {
    /// The value, if any.
    public var value: Value?

    /// Wraps a value.
    public init(_ value: Value?) { self.value = value }

    /// Decodes a value or `null`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        value = c.decodeNil() ? nil : try c.decode(Value.self)
    }

    /// Encodes the value or `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}
