import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TangleDetector
import TangleEvaluation
import TangleHTTPServer
import TangleImage
import TangleJudge
import TangleSamples
import TangleWatch

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Judge image files dropped into <root>/inbox and move them to a folder by verdict, logging records to verdicts.jsonl.",
        discussion: """
            Folders under the root: inbox/, processing/, in-distribution/, outlier/, adversarial/, rejected/. Drop files in by \
            rename (write elsewhere, then mv) or write them in place; hidden and *.part/*.tmp/*.crdownload/*~ names wait until \
            renamed. Several daemons may share a root. SIGTERM or SIGINT finishes the batch in hand and exits 0.
            """)

    @Option(help: "The watched root folder.")
    var root = "watch"

    @Option(help: "Model folder (must be calibrated: see `tangle calibrate`).")
    var model = "models/fashion-mnist"

    @Flag(help: "Leave files in the inbox and only log records (a file already judged is not judged again).")
    var flagOnly = false

    @Option(help: "Milliseconds a written file's size and mtime must hold still before it is judged.")
    var settleMs = 300

    @Option(help: "Seconds between full scans of the inbox (besides inotify).")
    var rescanSeconds: Double = 10

    @Option(help: "Most files claimed and judged per round.")
    var batch = 256

    @Option(help: "Human log format on stderr: text or json.")
    var logFormat = "text"

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Folder with the training data (default: the one the model card names).")
    var data: String?

    @Option(help: "Rotate verdicts.jsonl to verdicts-<UTC time>.jsonl beyond this size.")
    var maxLogBytes = 64 << 20

    @Flag(help: "Do not write sample images into the inbox on the first start.")
    var noSeed = false

    @Option(help: "Invert intensities: auto (as the model's data profile says: a light-bordered input to a model of dark-bordered images, never for photographs), never, always.")
    var polarity: String = "auto"

    @Option(help: "Serve HTTP on this port: health, readiness, metrics, POST /v1/judge, the records and the page (off unless given; 0 picks a free one).")
    var httpPort: Int?

    @Option(help: "Address the HTTP server binds to (a non-loopback address needs --http-token-file).")
    var httpAddress = "127.0.0.1"

    @Option(help: "File holding the bearer token HTTP requests must carry (all but /healthz and /readyz).")
    var httpTokenFile: String?

    @Option(help: "Largest image body POST /v1/judge accepts, in bytes (413 above).")
    var httpMaxBodyBytes = 16 << 20

    @Option(help: "HTTP connections open at once (more wait in the listen backlog).")
    var httpMaxConnections = 512

    @Option(help: "Seconds an idle HTTP connection is kept.")
    var httpIdleSeconds = 60

    @Option(help: "Posted images waiting to be judged at once (429 beyond).")
    var httpQueue = 64

    @Option(help: "Serve only the Prometheus metrics on this port (kept for existing scrapers; --http-port serves them too, at /metrics).")
    var metricsPort: Int?

    @Option(help: "Address the metrics port binds to.")
    var metricsAddress = "127.0.0.1"

    @Option(help: "Largest image, in pixels (width x height), decoded; larger ones are rejected.")
    var maxPixels = DecodeLimits().maxPixels

    func validate() throws {
        guard LineLogHandler.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format takes text or json") }
        guard Polarity(rawValue: polarity) != nil else { throw ValidationError("--polarity takes auto, never or always") }
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
        guard settleMs >= 0, rescanSeconds > 0 else { throw ValidationError("--settle-ms must be ≥ 0 and --rescan-seconds > 0") }
        guard maxLogBytes > 0 else { throw ValidationError("--max-log-bytes must be positive") }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port \(metricsPort) is not a TCP port: give one from 1 to 65535 (0 picks a free one)")
        }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be at least 1") }
        if let httpPort, !(0...65535).contains(httpPort) {
            throw ValidationError("--http-port \(httpPort) is not a TCP port: give one from 1 to 65535 (0 picks a free one)")
        }
        guard httpMaxBodyBytes > 0, httpMaxConnections > 0, httpIdleSeconds > 0, httpQueue > 0 else {
            throw ValidationError("--http-max-body-bytes, --http-max-connections, --http-idle-seconds and --http-queue must be at least 1")
        }
    }

    func run() async throws {
        let format = LineLogHandler.Format(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { LineLogHandler(label: $0, format: format) }
        let logger = Logger(label: "tangle.watch")
        let readiness = Readiness()
        readiness.notReady("loading the model, its calibration and the neighbour index (a first start builds the index: about 30 s)")
        let metrics: WatchMetrics? = metricsPort != nil || httpPort != nil ? WatchMetrics() : nil
        let queue = JudgingQueue(capacity: httpQueue)
        // The HTTP server listens at once, before the index is ready (/readyz says 503 until then).
        var surface: HTTPSurface?
        var serverTask: Task<Void, any Error>?
        defer { serverTask?.cancel() }
        if let httpPort {
            let token = try httpTokenFile.map { try AccessToken(file: $0) }
            let options = HTTPServerOptions(
                address: httpAddress, port: httpPort, token: token, maxBodyBytes: httpMaxBodyBytes, maxConnections: httpMaxConnections,
                idleTimeoutSeconds: httpIdleSeconds)
            try options.validate()
            let server = HTTPSurface(options: options, root: root, readiness: readiness, queue: queue, metrics: metrics, logger: Logger(label: "tangle.http"))
            let (ports, reported) = AsyncStream<Int>.makeStream()
            let task = Task {
                defer { reported.finish() }
                try await server.run { reported.yield($0) }
            }
            serverTask = task
            var next = ports.makeAsyncIterator()
            guard let port = await next.next() else {
                try await task.value  // it ended before listening: its error says why
                throw HTTPServerError.bind(address: httpAddress, port: httpPort, reason: "the server stopped before listening")
            }
            let host = httpAddress.contains(":") ? "[\(httpAddress)]" : httpAddress
            logger.info("serving http", metadata: ["url": "http://\(host):\(port)/", "token": "\(token == nil ? "none" : "required")"])
            surface = server
        }
        // A missing or foreign calibration throws here: the daemon refuses to start.
        let (model, data, cache) = (self.model, self.data, self.cache)
        let setup = try await Self.onThread { try DetectorSetup(model: model, data: data, cache: cache, requireCalibration: true) }
        if setup.indexBuild.built {
            logger.info("built the neighbour index", metadata: ["seconds": "\(String(format: "%.1f", setup.indexBuild.seconds))"])
        } else {
            logger.info("neighbour index from the cache")
        }
        let judge = try Judge(setup: setup, limits: DecodeLimits(maxPixels: maxPixels), polarity: Polarity(rawValue: polarity) ?? .auto)
        surface?.setModel(Self.summary(of: judge), folder: setup.folder)
        let options = WatchOptions(
            root: root, flagOnly: flagOnly, settleSeconds: Double(settleMs) / 1000, rescanSeconds: rescanSeconds, batch: batch,
            maxLogBytes: maxLogBytes, seed: !noSeed)
        let stop = StopFlag()
        let watcher = Watcher(options: options, judge: judge, logger: logger, stop: stop)
        watcher.metrics = metrics
        watcher.readiness = readiness
        watcher.seeder = Seeder.inboxSeeder(network: setup.network, classNames: setup.card.classNames) {
            let set = try setup.training()
            return set.images.subset(set.calibrationIndices)
        }
        if surface != nil { watcher.queue = queue }
        var metricsServer: MetricsServer?
        if let metricsPort, let metrics {
            metricsServer = try MetricsServer(address: metricsAddress, port: metricsPort) { metrics.render() }
            logger.info("serving metrics", metadata: ["url": "http://\(metricsAddress):\(metricsServer!.port)/metrics"])
        }
        defer { metricsServer?.shutdown() }
        let service = WatchService(watcher: watcher, stop: stop)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        // Stop the HTTP server and wait for it to end, so nothing is left running (or allocated) at exit.
        serverTask?.cancel()
        _ = await serverTask?.result
    }

    /// Runs blocking work (loading the model, building the index) on its own thread, off the Swift
    /// concurrency pool that serves HTTP meanwhile.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "tangle-load"
            thread.start()
        }
    }

    /// What the page shows of the model and its calibration.
    static func summary(of judge: Judge) -> ModelSummary {
        let setup = judge.setup
        let c = judge.rule.calibration
        let shape = setup.network.inputShape
        let selected = setup.card.selectedEpoch.flatMap { e in setup.card.epochs.first { $0.epoch == e } } ?? setup.card.epochs.last
        let names = (try? FileManager.default.contentsOfDirectory(atPath: setup.folder)) ?? []
        let charts = names.filter { $0.hasSuffix(".svg") && !$0.hasPrefix(".") }.sorted()
        return ModelSummary(
            name: setup.card.name, folder: setup.folder, weightsSHA256: setup.card.weightsSHA256, classes: setup.card.classNames,
            input: "\(shape.height)x\(shape.width)x\(shape.channels)", accuracy: selected?.calibrationAccuracy, calibrationID: c.id,
            targetFalseFlagRate: c.targetFalseFlagRate, calibrationFlaggedRate: c.achieved.calibrationFlagged.rate,
            verdictThreshold: c.verdictThreshold, routingBias: c.routingBias, k: c.k, layers: c.layers, charts: charts)
    }
}
