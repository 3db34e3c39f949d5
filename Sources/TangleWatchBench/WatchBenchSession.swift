import Foundation
import Glibc
import TangleVerdict
import TangleWatch

/// One run of ``WatchBenchmark`` on its temporary root: starts the daemon, drops files, follows the log.
struct WatchBenchSession {
    let binary: String
    let arguments: [String]
    let base: String
    let root: String
    let staging: String
    let readyTimeout: Double
    let note: (String) -> Void
    private var sampledRssKiB = 0
    private var lastSample = 0.0

    init(binary: String, arguments: [String], base: String, root: String, staging: String, readyTimeout: Double, note: @escaping (String) -> Void) {
        self.binary = binary
        self.arguments = arguments
        self.base = base
        self.root = root
        self.staging = staging
        self.readyTimeout = readyTimeout
        self.note = note
    }

    /// Runs the phases and returns the figures.
    mutating func measure(images: BenchImages, cache: String) throws -> WatchBenchFigures {
        let indexesBefore = Self.indexFiles(in: cache)
        var (daemon, startup) = try start()
        var buildSeconds: Double?
        let built = Self.indexFiles(in: cache).contains { indexesBefore[$0.key] != $0.value }
        if built {
            buildSeconds = Self.loggedBuildSeconds(daemon.log) ?? startup
            note(String(format: "cold cache: the daemon built the neighbour index (%.1f s); restarting it from the cache", buildSeconds ?? 0))
            let status = daemon.terminate()
            guard status == 0 else { throw WatchBenchError.daemonExited(status: status, logTail: daemon.logTail()) }
            (daemon, startup) = try start()
        }
        defer { daemon.terminate() }
        let follower = VerdictLogFollower(root: root, fromEnd: true)

        note("warm-up file")
        try drop(images.warmup.name)
        _ = try collect([images.warmup.name], follower: follower, daemon: daemon, timeout: 300)

        note("burst of \(images.burst.count) files")
        let burstNames = images.burst.map(\.name)
        let firstDrop = Date()
        let dropStart = Monotonic.seconds()
        for name in burstNames { try drop(name) }
        let dropSeconds = Monotonic.seconds() - dropStart
        let burst = try collect(Set(burstNames), follower: follower, daemon: daemon, timeout: max(300, Double(burstNames.count) / 20))
        let observedEnd = burst.values.map(\.seenAt).max() ?? dropStart
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let lastRecord = burst.values.compactMap { formatter.date(from: $0.record.time) }.max() ?? firstDrop

        note("\(images.singles.count) single files")
        var latencies: [Double] = []
        var judgeLatencies: [Double] = []
        for image in images.singles {
            usleep(20_000)  // let the daemon go idle: a single drop meets a waiting daemon
            let t0 = Monotonic.seconds()
            try drop(image.name)
            let got = try collect([image.name], follower: follower, daemon: daemon, timeout: 60)
            latencies.append((got[image.name]!.seenAt - t0) * 1000)
            judgeLatencies.append(got[image.name]!.record.latencyMs)
        }

        let peak = ProcStatus.read(pid: daemon.pid)?.peakRssKiB ?? 0
        let status = daemon.terminate()
        guard status == 0 else { throw WatchBenchError.daemonExited(status: status, logTail: daemon.logTail()) }

        var verdicts: [String: Int] = [:]
        var bySource: [String: [String: Int]] = [:]
        var sources: [String: Int] = [:]
        let sourceOf = Dictionary(uniqueKeysWithValues: images.burst.map { ($0.name, $0.source.rawValue) })
        for (name, got) in burst {
            let verdict = got.record.verdict.rawValue
            verdicts[verdict, default: 0] += 1
            bySource[sourceOf[name]!, default: [:]][verdict, default: 0] += 1
            sources[sourceOf[name]!, default: 0] += 1
        }
        let files = burstNames.count
        let median = Self.percentile(latencies, 0.5)
        let peakMib = Double(peak) / 1024
        var targets = WatchBenchFigures.Targets()
        let rate = Double(files) / max(lastRecord.timeIntervalSince(firstDrop), 1e-3)
        targets.filesPerSecondMet = rate >= targets.filesPerSecond
        targets.latencyMet = median <= targets.latencyMsMedian
        targets.peakRssMet = peakMib <= targets.peakRssMib
        return WatchBenchFigures(
            filesPerSecond: rate, filesPerSecondObserved: Double(files) / max(observedEnd - dropStart, 1e-3), latencyMsMedian: median,
            latencyMsP90: Self.percentile(latencies, 0.9), judgeLatencyMsMedian: Self.percentile(judgeLatencies, 0.5), peakRssMib: peakMib,
            sampledRssMibMax: Double(sampledRssKiB) / 1024, files: files, sources: sources, burstSeconds: observedEnd - dropStart,
            dropSeconds: dropSeconds, indexBuildSeconds: JSONNullable(buildSeconds), indexCached: !built, startupSeconds: startup,
            verdicts: verdicts, verdictsBySource: bySource, daemonExitStatus: status, targets: targets, binary: binary,
            cache: cache)
    }

    /// Starts the daemon and waits for `watching`; returns it and the seconds that took.
    private func start() throws -> (DaemonProcess, Double) {
        let log = (base as NSString).appendingPathComponent("daemon-\(Int(Monotonic.seconds() * 1000)).log")
        let daemon = try DaemonProcess(binary: binary, arguments: arguments, logPath: log)
        try daemon.waitForLog("watching ", timeout: readyTimeout)
        return (daemon, Monotonic.seconds() - daemon.startedAt)
    }

    /// Renames a staged file into the inbox.
    private func drop(_ name: String) throws {
        let from = (staging as NSString).appendingPathComponent(name)
        let to = (WatchLayout(root: root).inbox as NSString).appendingPathComponent(name)
        guard rename(from, to) == 0 else { throw WatchBenchError.file(path: to, reason: String(cString: strerror(errno))) }
    }

    /// Follows the log until every name has a record, woken by inotify when the root's files change
    /// (busy polling would steal one of the two cores from the daemon it measures); samples `VmRSS`
    /// every 100 ms.
    /// - Returns: each name's record and when it was seen (monotonic seconds).
    private mutating func collect(
        _ names: Set<String>, follower: VerdictLogFollower, daemon: DaemonProcess, timeout: Double
    ) throws -> [String: (record: VerdictRecord, seenAt: Double)] {
        var got: [String: (record: VerdictRecord, seenAt: Double)] = [:]
        let deadline = Monotonic.seconds() + timeout
        let changes = LogChanges(root: root)
        while got.count < names.count {
            let records = try follower.poll()
            let t = Monotonic.seconds()
            for r in records where names.contains(r.input.name) && got[r.input.name] == nil { got[r.input.name] = (r, t) }
            if got.count == names.count { break }
            if t - lastSample >= 0.1 {
                lastSample = t
                if let s = ProcStatus.read(pid: daemon.pid) { sampledRssKiB = max(sampledRssKiB, s.rssKiB) }
                if let status = daemon.exitStatus() { throw WatchBenchError.daemonExited(status: status, logTail: daemon.logTail()) }
            }
            if t > deadline { throw WatchBenchError.recordsMissing(expected: names.count, got: got.count, seconds: timeout) }
            changes.wait(milliseconds: 100)
        }
        return got
    }

    /// The neighbour index files in the cache, with their modification times.
    static func indexFiles(in cache: String) -> [String: Date] {
        let fm = FileManager.default
        var out: [String: Date] = [:]
        for name in (try? fm.contentsOfDirectory(atPath: cache)) ?? [] where name.hasPrefix("index-") && name.hasSuffix(".tidx") {
            let attributes = try? fm.attributesOfItem(atPath: (cache as NSString).appendingPathComponent(name))
            out[name] = attributes?[.modificationDate] as? Date ?? .distantPast
        }
        return out
    }

    /// The build time the daemon logged (`built the neighbour index … seconds=12.3`), if it did.
    static func loggedBuildSeconds(_ log: String) -> Double? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("built the neighbour index") }) else { return nil }
        guard let token = line.split(separator: " ").first(where: { $0.hasPrefix("seconds=") }) else { return nil }
        return Double(token.dropFirst("seconds=".count))
    }

    /// The `q` quantile by nearest rank (0 for none).
    static func percentile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
    }
}

/// Wakes when a file in the root is written, created or renamed in (the verdict log and its rotations).
final class LogChanges {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)

    init(root: String) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 { _ = inotify_add_watch(fd, root, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)) }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Waits up to `milliseconds` for a change (at once when inotify is unavailable: then polling every 1 ms).
    func wait(milliseconds: Int32) {
        guard fd >= 0 else {
            usleep(1_000)
            return
        }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, milliseconds) > 0 else { return }
        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress!, $0.count) }) > 0 {}
    }
}
