import Foundation

/// Follows inbox names from inotify events and scans, and says which files are complete:
///
/// - renamed in (`IN_MOVED_TO`), or a symbolic link created in place: ready at once;
/// - written in place: ready after `IN_CLOSE_WRITE` once size and modification time have held still for
///   the settle interval; a file written to (`IN_MODIFY`, or created) since its last close waits for the
///   close, or for no write during the fallback interval (a writer that never closes);
/// - a hard link made in place (created with a second link): ready after the settle interval (nothing
///   writes it: no close will come);
/// - found only by a scan: ready once size and modification time have held still for the settle interval;
/// - hidden and partial names (``NameFilter``) are not followed until renamed; folders and special files
///   are dropped (left alone in the inbox).
struct ReadinessTracker {
    struct Entry {
        var order: Int
        var movedIn = false
        var writing = false
        var lastWrite: Double
        var stamp: FileStamp?
        var stableSince: Double
    }

    /// The inbox's descriptor.
    var inbox: Int32 = -1
    let settle: Double
    let fallback: Double
    private(set) var entries: [FileName: Entry] = [:]
    /// Names judged in place (flag-only) or left alone after a failed claim, with the stamp they had:
    /// not taken again while it holds.
    private var judged: [FileName: FileStamp] = [:]
    private var counter = 0

    init(settle: Double, fallback: Double) {
        self.settle = settle
        self.fallback = fallback
    }

    /// How many names are followed.
    var count: Int { entries.count }

    private func stamp(_ name: FileName) -> FileStamp? { FileStamp.of(name, in: inbox) }

    private mutating func entry(_ name: FileName, now: Double) -> Entry {
        if let e = entries[name] { return e }
        counter += 1
        return Entry(order: counter, lastWrite: now, stamp: nil, stableSince: now)
    }

    /// Takes an inotify event into account.
    mutating func apply(_ event: Inotify.Event, now: Double) {
        let name = event.name
        guard !name.bytes.isEmpty, !name.isIgnored else { return }
        var e = entry(name, now: now)
        if event.movedIn {
            e.movedIn = true
            e.writing = false
        } else if event.created {
            let current = stamp(name)
            if current?.kind == .symlink { e.movedIn = true } else if let current, current.kind == .regular, current.links >= 2 {
                e.movedIn = false  // a hard link: complete, but let it settle like a scanned file
                e.writing = false
                e.stamp = current
                e.stableSince = now
            } else {
                e.movedIn = false
                e.writing = true
                e.lastWrite = now
            }
        } else if event.modified {
            e.movedIn = false  // renamed in, then written again: wait for the close
            e.writing = true
            e.lastWrite = now
        } else if event.closedWrite {
            e.writing = false
            e.stamp = stamp(name)
            e.stableSince = now
        } else {
            return
        }
        judged[name] = nil
        entries[name] = e
    }

    /// Takes a full listing of the inbox into account: new names are followed, vanished ones dropped.
    mutating func scanned(_ names: [FileName], now: Double) {
        let present = Set(names)
        for name in entries.keys where !present.contains(name) { entries[name] = nil }
        for name in judged.keys where !present.contains(name) { judged[name] = nil }
        for name in names where entries[name] == nil && !name.isIgnored {
            let stamp = self.stamp(name)
            guard let stamp, stamp.kind != .other else { continue }
            if let done = judged[name], done.sameContentStamp(stamp) { continue }
            judged[name] = nil
            var e = entry(name, now: now)
            e.stamp = stamp
            e.stableSince = now
            entries[name] = e
        }
    }

    /// The names ready to be judged, oldest first, at most `limit`.
    mutating func ready(limit: Int, now: Double) -> [FileName] {
        var out: [(Int, FileName)] = []
        for (name, var e) in entries {
            // Renamed in: complete, and checked when claimed (no lstat here: a burst of n files would
            // cost n lstat calls per round, n² over the burst).
            if e.movedIn {
                out.append((e.order, name))
                continue
            }
            guard let stamp = self.stamp(name), stamp.kind != .other else {
                entries[name] = nil
                continue
            }
            if e.stamp.map({ !$0.sameContentStamp(stamp) }) ?? true {
                e.stamp = stamp
                e.stableSince = now
                entries[name] = e
            }
            if e.writing && now - max(e.lastWrite, e.stableSince) < fallback { continue }
            if now - e.stableSince >= settle { out.append((e.order, name)) }
        }
        return out.sorted { $0.0 < $1.0 }.prefix(limit).map(\.1)
    }

    /// Whether some followed file may become ready without a new event (so poll briefly).
    var hasWaiting: Bool { !entries.isEmpty }

    /// Stops following a name (claimed, gone, or left alone).
    mutating func forget(_ name: FileName) { entries[name] = nil }

    /// Records that a file was judged in place with this stamp.
    mutating func markJudged(_ name: FileName, stamp: FileStamp?) {
        entries[name] = nil
        if let stamp { judged[name] = stamp }
    }
}
