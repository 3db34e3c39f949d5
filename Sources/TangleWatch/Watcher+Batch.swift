import Foundation
import Glibc
import Logging
import TangleJudge
import TangleVerdict

extension Watcher {
    /// A file taken for this round.
    struct Item {
        /// The inbox name.
        var name: String
        /// Where it is now (our processing folder, or the inbox in flag-only mode).
        var path: String
        /// Whether it came from a dead daemon's folder.
        var recovered: Bool
        /// Its stamp when taken (flag-only: not judged again while it holds).
        var stamp: FileStamp?
    }

    /// Takes at most `batch` files: recovered ones first, then ready inbox files, claimed by rename.
    func nextBatch() -> [Item] {
        let limit = max(1, options.batch)
        var items: [Item] = []
        let fromBacklog = min(limit, backlog.count)
        items += backlog.prefix(fromBacklog).map { Item(name: $0.name, path: $0.path, recovered: true) }
        backlog.removeFirst(fromBacklog)
        guard items.count < limit else { return items }
        for name in tracker.ready(limit: limit - items.count, now: now) {
            let path = (layout.inbox as NSString).appendingPathComponent(name)
            guard let stamp = FileStamp.of(path), stamp.kind != .other else {
                tracker.forget(name)
                continue
            }
            if options.flagOnly {
                items.append(Item(name: name, path: path, recovered: false, stamp: stamp))
                continue
            }
            tracker.forget(name)
            if let claimed = area?.claim(path, name: name) {
                items.append(Item(name: name, path: claimed, recovered: false, stamp: stamp))
            }
        }
        return items
    }

    /// Judges a round's files, logs their records (one write, fsync), then moves them.
    func process(_ items: [Item]) {
        var kept: [(item: Item, slot: Result<Judge.Prepared, Judge.Rejection>)] = []
        for item in items {
            let slot = judge.prepare(path: item.path, name: item.name)
            let input = switch slot {
            case .success(let p): p.input
            case .failure(let r): r.input
            }
            let known = seen.contains(name: input.name, sha256: input.sha256)
            if item.recovered, known, let stamp = FileStamp.of(item.path), stamp.links >= 2 {
                // Linked to its destination after its record was written: only the processing link is left.
                unlink(item.path)
                logger.info("recovered file was already in place", metadata: ["name": "\(item.name)"])
                continue
            }
            if options.flagOnly && known {
                tracker.markJudged(item.name, stamp: item.stamp)
                continue
            }
            kept.append((item, slot))
        }
        var scored = judge.judge(kept.compactMap { try? $0.slot.get() }).makeIterator()
        var reserved = Set<String>()
        var records: [(item: Item, record: VerdictRecord, line: String)] = []
        for (item, slot) in kept {
            var record =
                switch slot {
                case .success: scored.next()!
                case .failure(let rejection): judge.record(rejection)
                }
            if item.recovered && seen.contains(name: record.input.name, sha256: record.input.sha256) { record.replayed = true }
            record.input.path =
                options.flagOnly ? item.path : FileMover.freePath(for: item.name, in: layout.destination(record.verdict), reserved: &reserved)
            guard let line = try? record.jsonLine() else {
                logger.error("cannot encode the record; the file stays where it is", metadata: ["name": "\(item.name)"])
                continue
            }
            records.append((item, record, line))
        }
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.reduce(0) { $0 + $1.line.utf8.count + 1 })
        for r in records {
            bytes += r.line.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        guard append(bytes) else { return }
        for (item, record, _) in records {
            metrics?.record(record)
            seen.insert(name: record.input.name, sha256: record.input.sha256)
            if options.flagOnly {
                tracker.markJudged(item.name, stamp: item.stamp)
            } else {
                do {
                    let final = try FileMover.move(item.path, to: record.input.path)
                    if final != record.input.path {
                        logger.warning(
                            "destination name was taken meanwhile; the record names the intended path",
                            metadata: ["recorded": "\(record.input.path)", "actual": "\(final)"])
                    }
                } catch {
                    metrics?.error()
                    logger.error("\(error)")
                }
            }
            var metadata: Logger.Metadata = ["name": "\(item.name)", "verdict": "\(record.verdict.rawValue)", "reason": "\(record.reason)"]
            if record.replayed == true { metadata["replayed"] = "true" }
            logger.info("judged", metadata: metadata)
        }
    }

    /// Appends to the log; on a full disk (or another write error) pauses, saying so once, and retries
    /// every 2 s with the files kept in `processing/`.
    /// - Returns: false when asked to stop while paused (the files stay claimed, for recovery).
    func append(_ bytes: [UInt8]) -> Bool {
        var paused = false
        while true {
            do {
                try log.append(bytes)
                if paused { logger.notice("the verdict log is writable again: judging resumed") }
                return true
            } catch {
                if !paused {
                    metrics?.error()
                    paused = true
                    switch error {
                    case .diskFull: logger.error("disk full: judging paused", metadata: ["log": "\(layout.log)", "retry": "every 2 s"])
                    case .failed(let e): logger.error("\(e): judging paused", metadata: ["retry": "every 2 s"])
                    }
                }
                for _ in 0..<20 {
                    if stop.isSet { return false }
                    usleep(100_000)
                }
            }
        }
    }
}
