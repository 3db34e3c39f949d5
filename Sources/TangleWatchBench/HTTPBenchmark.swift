import Foundation
import Glibc
import TangleBLASCore
import TangleData
import TangleDetector
import TangleEvaluation
import TangleHTTPClient
import TangleImage
import TangleModelStore
import TangleTensor

/// The HTTP benchmark behind `tangle bench http`: a real `tangle watch --http-port 0` daemon as a child
/// process, one PNG posted to `POST /v1/judge` over and over.
///
/// 1. Starts the daemon on a temporary root (no seed) and waits until it is watching (a cold cache
///    builds the neighbour index first; that time is not measured) and `/readyz` answers 200.
/// 2. Posts the image `warmup` times.
/// 3. One client: `requests` posts one after another on one kept connection; the median and 90th
///    percentile of send → complete answer.
/// 4. The same again with `idleConnections` connections open that send nothing.
/// 5. `clients` clients at once, each on its own thread and connection, `perClient` posts each:
///    requests per second = all posts / (last answer − start), and their latency percentiles.
/// 6. Stops the daemon with SIGTERM (exit 0 expected) and removes the temporary root.
///
/// Targets (issue #15): one-client median ≤ 15 ms, ≥ 300 requests/s with 8 clients, on 2 cores.
public struct HTTPBenchmark {
    /// The calibrated model folder.
    public var model: String
    /// The `tangle` binary run as the daemon.
    public var binary: String
    /// The image posted (default: the first Fashion-MNIST test image as a 28x28 PNG).
    public var image: String?
    /// Posts by the single client.
    public var requests = 300
    /// Concurrent clients.
    public var clients = 8
    /// Posts per concurrent client.
    public var perClient = 150
    /// Posts before measuring.
    public var warmup = 100
    /// Idle connections held open while the single client posts again.
    public var idleConnections = 200
    /// The cache folder (default: the daemon's default, `$XDG_CACHE_HOME/tangle`).
    public var cache: String?
    /// The folder the temporary root is made in (default: the system's temporary folder).
    public var work: String?
    /// Keep the temporary root and the daemon's log.
    public var keep = false
    /// Longest wait for the daemon to be ready, seconds.
    public var readyTimeout = 900.0
    /// Progress notes (to stderr in the command).
    public var note: (String) -> Void = { _ in }

    /// Creates a benchmark.
    public init(model: String, binary: String) {
        self.model = model
        self.binary = binary
    }

    /// Runs the benchmark.
    /// - Throws: ``WatchBenchError``, ``HTTPClientError``, and model, data and image errors.
    public func run() throws -> HTTPBenchFigures {
        let png = try imageBytes()
        let base = ((work ?? NSTemporaryDirectory()) as NSString).appendingPathComponent("tangle-bench-http-\(getpid())")
        let root = (base as NSString).appendingPathComponent("root")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer {
            if keep { note("kept \(base)") } else { try? FileManager.default.removeItem(atPath: base) }
        }
        let cacheDirectory = IndexCache(override: cache).directory
        let daemon = try DaemonProcess(
            binary: binary,
            arguments: ["watch", "--root", root, "--model", model, "--no-seed", "--cache", cacheDirectory, "--http-port", "0", "--http-queue", "256"],
            logPath: (base as NSString).appendingPathComponent("daemon.log"))
        note("waiting for the daemon (a cold cache builds the neighbour index first)")
        try daemon.waitForLog("watching ", timeout: readyTimeout)
        guard let r = daemon.log.range(of: #"serving http .*url=http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression),
            let port = Int(daemon.log[r].split(separator: ":").last!.dropLast())
        else { throw WatchBenchError.notReady(seconds: readyTimeout, logTail: daemon.logTail()) }
        let probe = try HTTPConnection(port: port, timeout: 30)
        let deadline = Monotonic.seconds() + 60
        while try probe.request("GET", "/readyz").status != 200 {
            guard Monotonic.seconds() < deadline else { throw WatchBenchError.notReady(seconds: 60, logTail: daemon.logTail()) }
            usleep(50_000)
        }
        var statuses: [Int: Int] = [:]
        var verdicts: [String: Int] = [:]
        func post(_ c: HTTPConnection) throws -> Double {
            let t = Monotonic.seconds()
            let r = try c.request("POST", "/v1/judge?name=bench.png", body: png)
            let ms = (Monotonic.seconds() - t) * 1000
            statuses[r.status, default: 0] += 1
            if let v = r.text.firstMatch(of: /"verdict":"([a-z-]+)"/) { verdicts[String(v.1), default: 0] += 1 }
            return ms
        }
        note("warm-up: \(warmup) posts")
        for _ in 0..<warmup { _ = try post(probe) }
        note("one client: \(requests) posts")
        var single: [Double] = []
        for _ in 0..<requests { single.append(try post(probe)) }
        note("one client with \(idleConnections) idle connections open: \(requests) posts")
        let idle = (0..<idleConnections).compactMap { _ in try? HTTPConnection(port: port, timeout: 10) }
        var withIdle: [Double] = []
        for _ in 0..<requests { withIdle.append(try post(probe)) }
        for c in idle { c.close() }
        note("\(clients) clients at once: \(perClient) posts each")
        let results = ConcurrentResults()
        let group = DispatchGroup()
        let start = Monotonic.seconds()
        for _ in 0..<clients {
            group.enter()
            Thread { [png, perClient] in
                defer { group.leave() }
                do {
                    let c = try HTTPConnection(port: port, timeout: 60)
                    for _ in 0..<perClient {
                        let t = Monotonic.seconds()
                        let r = try c.request("POST", "/v1/judge?name=bench.png", body: png)
                        results.add(ms: (Monotonic.seconds() - t) * 1000, status: r.status, verdict: r.text.firstMatch(of: /"verdict":"([a-z-]+)"/).map { String($0.1) })
                    }
                } catch {
                    results.fail("\(error)")
                }
            }.start()
        }
        group.wait()
        let elapsed = Monotonic.seconds() - start
        for (s, n) in results.statuses { statuses[s, default: 0] += n }
        for (v, n) in results.verdicts { verdicts[v, default: 0] += n }
        let exit = daemon.terminate()
        guard exit == 0 else { throw WatchBenchError.daemonExited(status: exit, logTail: daemon.logTail()) }
        if let failure = results.failure { throw WatchBenchError.file(path: "http://127.0.0.1:\(port)/v1/judge", reason: failure) }
        func percentile(_ xs: [Double], _ p: Double) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))]
        }
        let concurrent = results.latencies
        let rps = Double(concurrent.count) / elapsed
        let median = percentile(single, 0.5)
        return HTTPBenchFigures(
            imageBytes: png.count, requests: single.count, latencyMsMedian: median, latencyMsP90: percentile(single, 0.9),
            idleConnections: idle.count, latencyMsMedianWithIdleConnections: percentile(withIdle, 0.5), clients: clients,
            concurrentRequests: concurrent.count, requestsPerSecond: rps, concurrentLatencyMsMedian: percentile(concurrent, 0.5),
            concurrentLatencyMsP90: percentile(concurrent, 0.9), statuses: Dictionary(uniqueKeysWithValues: statuses.map { ("\($0.key)", $0.value) }),
            verdicts: verdicts,
            targets: .init(latencyMsMedian: 15, requestsPerSecond: 300, latencyMet: median <= 15, requestsPerSecondMet: rps >= 300), binary: binary,
            cache: cacheDirectory)
    }

    private func imageBytes() throws -> [UInt8] {
        if let image { return try [UInt8](Data(contentsOf: URL(fileURLWithPath: image))) }
        return try BenchSamples.png(try BenchSamples.inDistribution(card: try ModelFolder(path: model).readCard(), data: nil), 0)
    }
}

/// Latencies and statuses from the concurrent clients' threads.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var ms: [Double] = []
    private var codes: [Int: Int] = [:]
    private var firstFailure: String?

    private var byVerdict: [String: Int] = [:]

    func add(ms value: Double, status: Int, verdict: String?) {
        lock.withLock {
            ms.append(value)
            codes[status, default: 0] += 1
            if let verdict { byVerdict[verdict, default: 0] += 1 }
        }
    }

    var verdicts: [String: Int] { lock.withLock { byVerdict } }

    func fail(_ why: String) { lock.withLock { if firstFailure == nil { firstFailure = why } } }
    var latencies: [Double] { lock.withLock { ms } }
    var statuses: [Int: Int] { lock.withLock { codes } }
    var failure: String? { lock.withLock { firstFailure } }
}

/// What `tangle bench http` measured, printed as one JSON object (snake_case keys).
public struct HTTPBenchFigures: Codable, Sendable {
    /// The posted image's size.
    public var imageBytes: Int
    /// Posts by the single client.
    public var requests: Int
    /// One client: median send → answer, ms.
    public var latencyMsMedian: Double
    /// One client: 90th percentile, ms.
    public var latencyMsP90: Double
    /// Idle connections open during the second single-client phase.
    public var idleConnections: Int
    /// One client's median with them open, ms.
    public var latencyMsMedianWithIdleConnections: Double
    /// Concurrent clients.
    public var clients: Int
    /// Posts by them in all.
    public var concurrentRequests: Int
    /// Their posts per second.
    public var requestsPerSecond: Double
    /// Their median latency, ms.
    public var concurrentLatencyMsMedian: Double
    /// Their 90th percentile, ms.
    public var concurrentLatencyMsP90: Double
    /// Answers by status code.
    public var statuses: [String: Int]
    /// Answers by verdict.
    public var verdicts: [String: Int]
    /// The targets and whether each was met.
    public var targets: Targets
    /// The daemon binary.
    public var binary: String
    /// Which OpenBLAS kernels ran.
    public var blasKernel: BLASKernel = BLAS.kernel
    /// The cache folder used.
    public var cache: String

    /// The targets: one-client median ≤ 15 ms, ≥ 300 requests/s with 8 clients.
    public struct Targets: Codable, Sendable {
        public var latencyMsMedian: Double
        public var requestsPerSecond: Double
        public var latencyMet: Bool
        public var requestsPerSecondMet: Bool
    }
}
