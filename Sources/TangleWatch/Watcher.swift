import Foundation
import Glibc
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
///
/// The root is a boundary: every file operation is relative to a descriptor of one of its folders
/// (``RootFolders``), never through a symbolic link, and a folder or log that has become a link or a
/// file stops the daemon (``WatchError/rootChanged(path:found:)``) with nothing moved. Names are bytes
/// end to end (``FileName``): a name that is not UTF-8 or too long for a claim name is judged like any
/// other, and a file the claim cannot rename is moved to `rejected/` with a record that says why.
///
/// Flag-only daemons sharing a root judge each file once: each round takes an exclusive `flock` on
/// `processing/flag-only.mutex`, reads the records other daemons appended meanwhile, skips what they
/// judged, and appends its own before letting go.
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
    /// The root's folders, held by descriptors (set when ``run()`` starts).
    var root: RootFolders!
    var log: VerdictLog!
    var tracker: ReadinessTracker
    /// The descriptor of `processing/flag-only.mutex` (flag-only mode).
    var flagMutex: Int32 = -1
    /// Claimed files waiting for a round (recovered from dead daemons).
    var backlog: [ProcessingArea.Claimed] = []
    /// Prometheus metrics, when served.
    public var metrics: WatchMetrics?
    /// Images posted over HTTP, judged in the same rounds as the inbox's files (nil: no server).
    public var queue: JudgingQueue?
    /// Told when the root and its log are ready, when judging pauses and when the worker stops.
    public var readiness: Readiness?
    /// Writes sample images into an empty inbox on a root's first start (when ``WatchOptions/seed`` is set).
    public var seeder: InboxSeeder?
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
        tracker = ReadinessTracker(settle: options.settleSeconds, fallback: options.unclosedFallbackSeconds)
        started = clock.now
    }

    /// Seconds since the watcher was made (a monotonic clock).
    var now: Double {
        let d = clock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The inbox's names.
    func listInbox() -> [FileName] { listFolder(root.fd(RootFolders.inbox)) ?? [] }

    /// Runs until the stop flag is set: sets up the root, then judges files as they come.
    /// - Throws: ``WatchError`` when the root, the lock, inotify or the log fail, or a folder of the
    ///   root or its log became a link or a file (``WatchError/rootChanged(path:found:)``).
    public func run() throws {
        let root = try RootFolders(layout: layout)
        self.root = root
        log = VerdictLog(rootFD: root.rootFD, root: layout.root, maxBytes: options.maxLogBytes)
        readiness?.notReady("opening the root \(layout.root)")
        defer {
            readiness?.notReady("stopping")
            queue?.stop()
        }
        tracker.inbox = root.fd(RootFolders.inbox)
        let firstStart = root.logNames().isEmpty
        // The log must be writable before the daemon says it is ready.
        do { try log.probe() } catch {
            switch error {
            case .failed(let e): throw e
            case .diskFull: throw WatchError.log(path: layout.log, reason: "the disk is full")
            }
        }
        seen.load(root)
        if options.flagOnly {
            flagMutex = openat(root.fd(RootFolders.processing), "flag-only.mutex", O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard flagMutex >= 0 else { throw WatchError.lock(path: layout.processing + "/flag-only.mutex", reason: WatchError.errnoText()) }
        } else {
            area = try ProcessingArea(processing: root.fd(RootFolders.processing), path: layout.processing)
        }
        defer {
            area?.release()
            if flagMutex >= 0 { close(flagMutex) }
        }
        logger.info(
            "starting",
            metadata: [
                "root": "\(layout.root)", "model": "\(judge.setup.folder)", "calibration": "\(judge.rule.calibration.id)",
                "owner": "\(area?.owner ?? "flag-only")", "mode": "\(options.flagOnly ? "flag-only" : "move")",
            ])
        if options.seed && firstStart && listInbox().filter({ !$0.isIgnored }).isEmpty { seedInbox() }
        let inotify = try Inotify(folderFD: root.fd(RootFolders.inbox), path: layout.inbox)
        recover()
        tracker.scanned(listInbox(), now: now)
        readiness?.ready()
        logger.info("watching \(layout.inbox)", metadata: ["waiting": "\(tracker.count + backlog.count)"])
        var lastScan = now
        var lastPosted = 0
        while !stop.isSet {
            let busy = tracker.hasWaiting || !backlog.isEmpty
            // Posted images still waiting (a round takes at most half a batch of them): no wait at all.
            let posted = (queue?.count ?? 0) > 0
            let events = inotify.next(timeoutMs: posted ? 0 : busy ? 50 : 250, wake: queue?.wakeFD ?? -1)
            var overflow = false
            let t = now
            for e in events {
                if e.overflow { overflow = true } else { tracker.apply(e, now: t) }
            }
            if overflow || t - lastScan >= options.rescanSeconds {
                if overflow { logger.warning("inotify queue overflowed: rescanning the inbox") }
                for name in try root.verify() {
                    logger.warning("a verdict folder was removed: created it again", metadata: ["folder": "\(layout.path(name))"])
                }
                recover()
                tracker.scanned(listInbox(), now: t)
                lastScan = t
            }
            metrics?.setWaiting(tracker.count + backlog.count)
            // Under concurrent posts (the last round judged several), wait up to 2 ms for a fuller
            // round: one round of 8 costs far less than four of 2. A lone client never waits.
            if let queue, lastPosted >= 2, queue.count > 0 { queue.gather(min(8, options.batch), milliseconds: 2) }
            // Posted images take at most half a round while files wait, so neither starves the other.
            let uploads = queue?.take(tracker.hasWaiting || !backlog.isEmpty ? max(1, options.batch / 2) : options.batch) ?? []
            lastPosted = uploads.count
            let batch = nextBatch(limit: max(1, options.batch - uploads.count))
            if !batch.isEmpty || !uploads.isEmpty { try process(batch, uploads: uploads) }
        }
        logger.info("stopped", metadata: ["root": "\(layout.root)"])
    }

    /// Takes over dead daemons' files (they join the backlog), refreshing the seen set first so
    /// their records count.
    func recover() {
        guard let area else { return }
        let (files, owners) = area.recoverDeadOwners()
        guard !owners.isEmpty else { return }
        seen.load(root)
        logger.notice("recovered the files of dead daemons", metadata: ["owners": "\(owners.joined(separator: ","))", "files": "\(files.count)"])
        backlog += files
    }

    private func seedInbox() {
        guard let seeder else { return }
        do {
            let names = try seeder.seed(layout)
            logger.info("first start: seeded the inbox with \(names.count) sample images (\(seeder.description)); pass --no-seed to skip")
        } catch {
            logger.warning("could not seed the inbox with samples", metadata: ["error": "\(error)"])
        }
    }
}
