import Foundation
import Glibc
import Logging
import TangleJudge
import TangleVerdict

extension Watcher {
    /// A file taken for this round.
    struct Item {
        /// The inbox name.
        var name: FileName
        /// Its name in the folder it is in now.
        var entry: FileName
        /// The descriptor of that folder: our processing folder, or the inbox (flag-only, or a file the
        /// claim could not rename).
        var folder: Int32
        /// Whether it came from a dead daemon's folder.
        var recovered: Bool
        /// Its stamp when taken (flag-only: not judged again while it holds).
        var stamp: FileStamp?
        /// The claim, when it is in our processing folder.
        var claim: ProcessingArea.Claimed?
        /// The `errno` of a claim that failed: the file is rejected from where it is.
        var claimError: Int32?
    }

    /// The record's input part of a prepared or rejected file.
    static func input(of slot: Result<Judge.Prepared, Judge.Rejection>) -> VerdictRecord.Input {
        switch slot {
        case .success(let p): p.input
        case .failure(let r): r.input
        }
    }

    /// The path of an item where it is now, for records and messages.
    func currentPath(_ item: Item) -> String {
        if item.claim != nil, let area { return (area.folder as NSString).appendingPathComponent(item.entry.text) }
        return (layout.inbox as NSString).appendingPathComponent(item.entry.text)
    }

    /// Takes at most `limit` files: recovered ones first, then ready inbox files, claimed by rename.
    func nextBatch(limit: Int) -> [Item] {
        var items: [Item] = []
        let fromBacklog = min(limit, backlog.count)
        if let area {
            items += backlog.prefix(fromBacklog).map { Item(name: $0.name, entry: $0.entry, folder: area.folderFD, recovered: true, claim: $0) }
        }
        backlog.removeFirst(fromBacklog)
        guard items.count < limit else { return items }
        let inbox = root.fd(RootFolders.inbox)
        for name in tracker.ready(limit: limit - items.count, now: now) {
            guard let stamp = FileStamp.of(name, in: inbox), stamp.kind != .other else {
                tracker.forget(name)
                continue
            }
            if options.flagOnly {
                items.append(Item(name: name, entry: name, folder: inbox, recovered: false, stamp: stamp))
                continue
            }
            tracker.forget(name)
            switch area?.claim(name, inbox: inbox) {
            case .claimed(let c): items.append(Item(name: name, entry: c.entry, folder: area!.folderFD, recovered: false, stamp: stamp, claim: c))
            case .failed(let code): items.append(Item(name: name, entry: name, folder: inbox, recovered: false, stamp: stamp, claimError: code))
            case .gone, nil: break
            }
        }
        return items
    }

    /// Judges a round's files and posted images, logs their records (one write, fsync), then moves the
    /// files and answers the posts.
    /// - Throws: ``WatchError/rootChanged(path:found:)`` when the log or a verdict folder became a link.
    func process(_ items: [Item], uploads: [JudgingQueue.Upload] = []) throws {
        // Every post gets exactly one answer: its record once the log holds it, else `stopped`.
        var answered = Set<Int>()
        defer { for (i, u) in uploads.enumerated() where !answered.contains(i) { u.reply.resume(returning: .stopped) } }
        let posted = uploads.map { u in
            judge.prepare(bytes: u.bytes, name: u.name, path: "", started: u.started)
        }
        var kept: [(item: Item, slot: Result<Judge.Prepared, Judge.Rejection>)] = []
        for item in items {
            let path = currentPath(item)
            let slot: Result<Judge.Prepared, Judge.Rejection>
            if let code = item.claimError {
                let error = "cannot claim it (\(WatchError.errnoText(code))): rejected where it was, unread"
                slot = .failure(judge.rejection(name: item.name.text, path: path, bytes: item.stamp?.size ?? 0, error: error))
            } else {
                slot = item.entry.withCString { judge.prepare(entry: $0, in: item.folder, name: item.name.text, path: path) }
            }
            let known = seen.contains(name: item.name, sha256: Self.input(of: slot).sha256)
            if item.recovered, known, let stamp = FileStamp.of(item.entry, in: item.folder), stamp.links >= 2 {
                // Linked to its destination after its record was written: only the processing link is left.
                _ = item.entry.withCString { unlinkat(item.folder, $0, 0) }
                if let c = item.claim { area?.forgetSidecar(c) }
                logger.info("recovered file was already in place", metadata: ["name": "\(item.name)"])
                continue
            }
            kept.append((item, slot))
        }
        // Flag-only daemons on one root: one at a time from here to the log write, skipping what the
        // others judged meanwhile.
        var locked = false
        if options.flagOnly && flagMutex >= 0 {
            // Polled, not blocking, so a daemon waiting here still stops at SIGTERM (its files stay in the inbox).
            while true {
                if flock(flagMutex, LOCK_EX | LOCK_NB) == 0 {
                    locked = true
                    break
                }
                guard errno == EWOULDBLOCK || errno == EINTR else { break }  // no lock to be had: judge unlocked
                if stop.isSet { return }
                usleep(5_000)
            }
        }
        defer { if locked { flock(flagMutex, LOCK_UN) } }
        if options.flagOnly {
            if locked { seen.refresh(root) }
            // Judged or rejected by another daemon (or before a restart): not again.
            kept.removeAll { item, slot in
                guard seen.contains(name: item.name, sha256: Self.input(of: slot).sha256) else { return false }
                tracker.markJudged(item.name, stamp: item.stamp)
                return true
            }
        }
        var scored = judge.judge(kept.compactMap { try? $0.slot.get() } + posted.compactMap { try? $0.get() }).makeIterator()
        var reserved: [Int32: Set<FileName>] = [:]
        var records: [(item: Item, record: VerdictRecord, destination: FileName, line: String)] = []
        for (item, slot) in kept {
            var record =
                switch slot {
                case .success: scored.next()!
                case .failure(let rejection): judge.record(rejection)
                }
            if item.recovered && seen.contains(name: item.name, sha256: record.input.sha256) { record.replayed = true }
            if !item.name.isUTF8 { record.input.nameBase64 = item.name.base64 }
            var destination = item.entry
            var folder = layout.inbox  // where the file is after this round (flag-only: where it was)
            if !options.flagOnly {
                destination = FileMover.freeName(for: item.name, in: root.destination(record.verdict), reserved: &reserved)
                folder = layout.destination(record.verdict)
                if item.claimError != nil {
                    // Not claimed, so not safe in processing/: moved before its record is written.
                    do {
                        destination = try FileMover.move(
                            item.entry, in: item.folder, to: root.destination(record.verdict), as: destination, sourcePath: currentPath(item))
                    } catch {
                        tracker.markJudged(item.name, stamp: item.stamp)
                        record.reason += "; it cannot be moved either (\(WatchError.errnoText(error.code))): it stays in the inbox and is not taken again until it changes"
                        destination = item.entry
                        folder = layout.inbox
                    }
                }
                record.input.path = (folder as NSString).appendingPathComponent(destination.text)
            }
            if !destination.isUTF8 { record.input.pathBase64 = Data(Array(folder.utf8) + [UInt8(ascii: "/")] + destination.bytes).base64EncodedString() }
            guard let line = try? record.jsonLine() else {
                logger.error("cannot encode the record; the file stays where it is", metadata: ["name": "\(item.name)"])
                continue
            }
            records.append((item, record, destination, line))
        }
        var replies: [(index: Int, record: VerdictRecord, line: String)] = []
        for (index, slot) in posted.enumerated() {
            var record =
                switch slot {
                case .success: scored.next()!
                case .failure(let rejection): judge.record(rejection)
                }
            record.input.path = nil
            record.source = "http"
            guard let line = try? record.jsonLine() else { continue }
            replies.append((index, record, line))
        }
        guard !records.isEmpty || !replies.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.reduce(0) { $0 + $1.line.utf8.count + 1 } + replies.reduce(0) { $0 + $1.line.utf8.count + 1 })
        for line in records.map(\.line) + replies.map(\.line) {
            bytes += line.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        guard try append(bytes) else { return }
        for (index, record, line) in replies {
            metrics?.record(record)
            answered.insert(index)
            uploads[index].reply.resume(returning: .judged(record, line: line))
        }
        for (item, record, destination, _) in records {
            metrics?.record(record)
            seen.insert(name: item.name, sha256: record.input.sha256)
            if options.flagOnly {
                tracker.markJudged(item.name, stamp: item.stamp)
            } else if item.claimError == nil {
                try move(item, to: record.verdict, as: destination, recorded: record.input.path ?? "")
            }
            var metadata: Logger.Metadata = ["name": "\(item.name)", "verdict": "\(record.verdict.rawValue)", "reason": "\(record.reason)"]
            if record.replayed == true { metadata["replayed"] = "true" }
            logger.info("judged", metadata: metadata)
        }
    }

    /// Moves a claimed, judged file to its verdict's folder, creating the folder again when it was removed.
    private func move(_ item: Item, to verdict: Verdict, as name: FileName, recorded: String) throws {
        var retried = false
        while true {
            do {
                let final = try FileMover.move(item.entry, in: item.folder, to: root.destination(verdict), as: name, sourcePath: currentPath(item))
                if let c = item.claim { area?.forgetSidecar(c) }
                if final != name {
                    logger.warning(
                        "destination name was taken meanwhile; the record names the intended path", metadata: ["recorded": "\(recorded)", "actual": "\(final)"])
                }
                return
            } catch {
                if error.code == ENOENT && !retried && FileMover.exists(item.entry, in: item.folder) {
                    retried = true
                    try root.reopenDestination(verdict)
                    logger.warning("a verdict folder was removed: created it again", metadata: ["folder": "\(layout.destination(verdict))"])
                    continue
                }
                metrics?.error()
                logger.error("\(error)")
                return
            }
        }
    }

    /// Appends to the log; on a full disk (or another write error) pauses, saying so once, and retries
    /// every 2 s with the files kept in `processing/`.
    /// - Returns: false when asked to stop while paused (the files stay claimed, for recovery).
    /// - Throws: ``WatchError/rootChanged(path:found:)`` when the log became a link or not a file.
    func append(_ bytes: [UInt8]) throws(WatchError) -> Bool {
        var paused = false
        while true {
            do {
                try log.append(bytes)
                if paused {
                    logger.notice("the verdict log is writable again: judging resumed")
                    readiness?.ready()
                }
                return true
            } catch {
                if case .failed(let e) = error, case .rootChanged = e { throw e }
                if !paused {
                    metrics?.error()
                    paused = true
                    readiness?.notReady("judging is paused: the verdict log \(layout.log) cannot be written (\(error)); it is retried every 2 s")
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
