import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TangleEvaluation
import TangleImage
import TangleJudge
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

    @Option(help: "Invert intensities: auto (when the border is light), never, always.")
    var polarity: String = "auto"

    @Option(help: "Serve Prometheus metrics on this port (off unless given).")
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
    }

    func run() async throws {
        let format = LineLogHandler.Format(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { LineLogHandler(label: $0, format: format) }
        let logger = Logger(label: "tangle.watch")
        // A missing or foreign calibration throws here: the daemon refuses to start.
        let setup = try DetectorSetup(model: model, data: data, cache: cache, requireCalibration: true)
        if setup.indexBuild.built {
            logger.info("built the neighbour index", metadata: ["seconds": "\(String(format: "%.1f", setup.indexBuild.seconds))"])
        } else {
            logger.info("neighbour index from the cache")
        }
        let judge = try Judge(setup: setup, limits: DecodeLimits(maxPixels: maxPixels), polarity: Polarity(rawValue: polarity) ?? .auto)
        let options = WatchOptions(
            root: root, flagOnly: flagOnly, settleSeconds: Double(settleMs) / 1000, rescanSeconds: rescanSeconds, batch: batch,
            maxLogBytes: maxLogBytes, seed: !noSeed)
        let stop = StopFlag()
        let watcher = Watcher(options: options, judge: judge, logger: logger, stop: stop)
        var server: MetricsServer?
        if let metricsPort {
            let metrics = WatchMetrics()
            watcher.metrics = metrics
            server = try MetricsServer(address: metricsAddress, port: metricsPort) { metrics.render() }
            logger.info("serving metrics", metadata: ["url": "http://\(metricsAddress):\(server!.port)/metrics"])
        }
        defer { server?.shutdown() }
        let service = WatchService(watcher: watcher, stop: stop)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
