import Foundation
import Glibc
import Synchronization
import TangleVerdict

/// Images posted to the daemon's HTTP server, waiting for the one worker that also judges the inbox:
/// both share its rounds (each round takes at most half its `--batch` from here while files wait),
/// its batch-invariant judging path and its log. Bounded: a full queue refuses at once (`429`), so a
/// flood of requests never grows memory or delays the inbox beyond half a round.
///
/// ```swift
/// let queue = JudgingQueue(capacity: 64)
/// switch await queue.submit(bytes, name: "a.png") {
/// case .judged(let record, _): print(record.verdict)
/// case .full: …   // 429
/// case .stopped: … // 503
/// }
/// ```
public final class JudgingQueue: Sendable {
    /// What became of a submitted image.
    public enum Outcome: Sendable {
        /// Its record (also appended to `verdicts.jsonl`) and that exact line.
        case judged(VerdictRecord, line: String)
        /// The queue held ``capacity`` images already: try again later.
        case full
        /// The daemon stopped (or its log was not writable at the stop) before judging it.
        case stopped
    }

    /// One posted image.
    struct Upload: Sendable {
        var bytes: [UInt8]
        var name: String
        var started: UInt64
        var reply: CheckedContinuation<Outcome, Never>
    }

    /// The most images waiting at once.
    public let capacity: Int
    private let pending = Mutex<(uploads: [Upload], stopped: Bool)>(([], false))
    /// A pipe the worker polls beside inotify (its read end), written when an image arrives.
    let wakeFD: Int32
    private let wakeWriteFD: Int32

    /// A queue of at most `capacity` waiting images.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for fd in ends {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        wakeFD = ends[0]
        wakeWriteFD = ends[1]
    }

    deinit {
        if wakeFD >= 0 { close(wakeFD) }
        if wakeWriteFD >= 0 { close(wakeWriteFD) }
    }

    /// How many images wait.
    public var count: Int { pending.withLock { $0.uploads.count } }

    /// Submits one image and waits for its record.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - name: the record's `input.name`.
    public func submit(_ bytes: [UInt8], name: String) async -> Outcome {
        let started = DispatchTime.now().uptimeNanoseconds
        return await withCheckedContinuation { (reply: CheckedContinuation<Outcome, Never>) in
            let refused: Outcome? = pending.withLock { state in
                if state.stopped { return .stopped }
                guard state.uploads.count < capacity else { return .full }
                state.uploads.append(Upload(bytes: bytes, name: name, started: started, reply: reply))
                return nil
            }
            if let refused {
                reply.resume(returning: refused)
                return
            }
            var one: UInt8 = 1
            _ = write(wakeWriteFD, &one, 1)  // a full pipe already wakes the worker
        }
    }

    /// Waits up to `milliseconds` for `count` images to be waiting (returning as soon as they are):
    /// lets a round under concurrent posts judge them together, which costs less per image than
    /// several small rounds.
    func gather(_ count: Int, milliseconds: Int) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
        while self.count < count {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return }
            var p = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32((deadline - now + 999_999) / 1_000_000))
            var drained = [UInt8](repeating: 0, count: 256)
            while read(wakeFD, &drained, drained.count) > 0 {}
        }
    }

    /// Takes at most `limit` waiting images, oldest first.
    func take(_ limit: Int) -> [Upload] {
        var drained = [UInt8](repeating: 0, count: 256)
        while read(wakeFD, &drained, drained.count) > 0 {}
        return pending.withLock { state in
            let n = min(limit, state.uploads.count)
            let out = Array(state.uploads.prefix(n))
            state.uploads.removeFirst(n)
            return out
        }
    }

    /// Refuses what waits and what comes later (the daemon is stopping).
    func stop() {
        let left = pending.withLock { state in
            state.stopped = true
            defer { state.uploads = [] }
            return state.uploads
        }
        for u in left { u.reply.resume(returning: .stopped) }
    }
}
