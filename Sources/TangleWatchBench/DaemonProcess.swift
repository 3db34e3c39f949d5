import Foundation
import Glibc

/// A `tangle watch` child process: started with `posix_spawn`, its stdout and stderr going to a log file,
/// stopped with SIGTERM.
final class DaemonProcess {
    /// The child's process id.
    let pid: pid_t
    /// Where its stdout and stderr go.
    let logPath: String
    /// When it was started (monotonic seconds).
    let startedAt: Double
    private var status: Int32?

    /// Starts `binary` with `arguments`.
    /// - Throws: ``WatchBenchError/cannotStart(binary:reason:)``.
    init(binary: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw WatchBenchError.cannotStart(binary: binary, reason: String(cString: strerror(rc))) }
        pid = child
        startedAt = Monotonic.seconds()
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = reap(timeout: 5)
        }
    }

    /// The child's log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The last `lines` lines of the log.
    func logTail(_ lines: Int = 20) -> String { log.split(separator: "\n").suffix(lines).joined(separator: "\n") }

    /// The exit status once the child exited (128 + signal when killed), else nil. Reaps it.
    func exitStatus() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        status = code
        return code
    }

    /// Waits until the log contains `text`.
    /// - Throws: ``WatchBenchError/daemonExited(status:logTail:)`` or ``WatchBenchError/notReady(seconds:logTail:)``.
    func waitForLog(_ text: String, timeout: Double) throws {
        let deadline = Monotonic.seconds() + timeout
        while Monotonic.seconds() < deadline {
            if log.contains(text) { return }
            if let s = exitStatus() { throw WatchBenchError.daemonExited(status: s, logTail: logTail()) }
            usleep(20_000)
        }
        throw WatchBenchError.notReady(seconds: timeout, logTail: logTail())
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after `timeout` seconds).
    /// - Returns: the exit status.
    @discardableResult
    func terminate(timeout: Double = 60) -> Int32 {
        if let status { return status }
        kill(pid, SIGTERM)
        if let s = reap(timeout: timeout) { return s }
        kill(pid, SIGKILL)
        return reap(timeout: 10) ?? -1
    }

    private func reap(timeout: Double) -> Int32? {
        let deadline = Monotonic.seconds() + timeout
        while Monotonic.seconds() < deadline {
            if let s = exitStatus() { return s }
            usleep(5_000)
        }
        return exitStatus()
    }
}

/// Monotonic time in seconds (`CLOCK_MONOTONIC`).
enum Monotonic {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
