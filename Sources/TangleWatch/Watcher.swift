import Foundation
import Logging
import TangleJudge
import TangleVerdict

/// The daemon's worker: discovers inbox files, claims them, judges them in batches, logs the records
/// and moves the files to their verdict's folder. ``run()`` blocks: call it on a dedicated thread
/// (``WatchService`` does), never on the Swift concurrency pool.
///
/// One round: read inotify events (waiting at most a short poll timeout), rescan when due or when the
/// kernel queue overflowed (and recover dead daemons' files, see ``ProcessingArea``), claim at most
/// `batch` ready files by rename, prepare them, score the prepared ones together, append every record
/// with one write and `fsync`, and only then move each file to its destination with `link` + `unlink`.
/// A record's `input.path` is that destination, chosen before the log is written.
///
/// Crash safety: a file is in the inbox, in some daemon's `processing/` folder, or in a destination
/// folder (possibly linked in both of the last two, for an instant). A recovered file that still has a
/// second link was already moved after its record was written, so only its `processing/` link is
/// removed; any other recovered file is judged again, its record marked `replayed` when the logs
/// already hold a record for the same name and content.
public final class Watcher: @unchecked Sendable {
    /// The options.
    public let options: WatchOptions
    /// The folders.
    public let layout: WatchLayout
    let judge: Judge
    let logger: Logger
    let stop: StopFlag
    var seen = SeenInputs()
    var area: ProcessingArea?
    var log: VerdictLog
    var tracker: ReadinessTracker
    /// Claimed files waiting for a round (recovered from dead daemons).
    var backlog: [ProcessingArea.Recovered] = []
    /// Prometheus metrics, when served.
    public var metrics: WatchMetrics?
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    /// Creates a watcher.
    /// - Parameters:
    ///   - options: the root and its settings.
    ///   - judge: the calibrated judge.
    ///   - logger: where human logs go.
    ///   - stop: set to stop after the batch in hand.
    public init(options: WatchOptions, judge: Judge, logger: Logger, stop: StopFlag) {
        self.options = options
        layout = WatchLayout(root: options.root)
        self.judge = judge
        self.logger = logger
        self.stop = stop
        log = VerdictLog(path: layout.log, maxBytes: options.maxLogBytes)
        tracker = ReadinessTracker(inbox: layout.inbox, settle: options.settleSeconds, fallback: options.unclosedFallbackSeconds)
        started = clock.now
    }

    /// Seconds since the watcher was made (a monotonic clock).
    var now: Double {
        let d = clock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Visible inbox names.
    func listInbox() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: layout.inbox)) ?? [] }

    /// Runs until the stop flag is set: sets up the root, then judges files as they come.
    /// - Throws: ``WatchError`` when the root, the lock, inotify or the log fail.
    public func run() throws {
        try layout.create()
        let firstStart = layout.logFiles().isEmpty
        seen.load(layout.logFiles())
        if !options.flagOnly { area = try ProcessingArea(processing: layout.processing) }
        logger.info(
            "starting",
            metadata: [
                "root": "\(layout.root)", "model": "\(judge.setup.folder)", "calibration": "\(judge.rule.calibration.id)",
                "owner": "\(area?.owner ?? "flag-only")", "mode": "\(options.flagOnly ? "flag-only" : "move")",
            ])
        if options.seed && firstStart && listInbox().filter({ !NameFilter.isIgnored($0) }).isEmpty { seedInbox() }
        let inotify = try Inotify(folder: layout.inbox)
        recover()
        tracker.scanned(listInbox(), now: now)
        logger.info("watching \(layout.inbox)", metadata: ["waiting": "\(tracker.count + backlog.count)"])
        var lastScan = now
        while !stop.isSet {
            let busy = tracker.hasWaiting || !backlog.isEmpty
            let events = inotify.next(timeoutMs: busy ? 50 : 250)
            var overflow = false
            let t = now
            for e in events {
                if e.overflow { overflow = true } else { tracker.apply(e, now: t) }
            }
            if overflow || t - lastScan >= options.rescanSeconds {
                if overflow { logger.warning("inotify queue overflowed: rescanning the inbox") }
                recover()
                tracker.scanned(listInbox(), now: t)
                lastScan = t
            }
            metrics?.setWaiting(tracker.count + backlog.count)
            let batch = nextBatch()
            if !batch.isEmpty { process(batch) }
        }
        area?.release()
        logger.info("stopped", metadata: ["root": "\(layout.root)"])
    }

    /// Takes over dead daemons' files (they join the backlog), refreshing the seen set first so
    /// their records count.
    func recover() {
        guard let area else { return }
        let (files, owners) = area.recoverDeadOwners()
        guard !owners.isEmpty else { return }
        seen.load(layout.logFiles())
        logger.notice("recovered the files of dead daemons", metadata: ["owners": "\(owners.joined(separator: ","))", "files": "\(files.count)"])
        backlog += files
    }

    private func seedInbox() {
        do {
            let names = try Seeder.seed(
                layout, network: judge.setup.network, classNames: judge.setup.card.classNames, dataDirectory: judge.setup.dataDirectory)
            logger.info(
                "first start: seeded the inbox with \(names.count) sample images (4 Fashion-MNIST test images, 2 inverted, 3 pixel-shuffled, 3 FGSM eps 0.1); pass --no-seed to skip")
        } catch {
            logger.warning("could not seed the inbox with samples", metadata: ["error": "\(error)"])
        }
    }
}
