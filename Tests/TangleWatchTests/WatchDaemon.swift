import Foundation
import TangleTesting
import TangleVerdict
import Testing

/// Runs the real `tangle` binary as a daemon on a temporary root, for the integration tests.
final class WatchDaemon {
    /// The package root, found from this file's path (Tests/TangleWatchTests/WatchDaemon.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let dataset = "/usr/share/datasets/fashion-mnist"

    /// The built `tangle` binary (see ``BuiltBinary/tangle(packageRoot:)``).
    static let binary: String? = BuiltBinary.tangle(packageRoot: packageRoot)

    /// Whether the tests can run: the binary is built and Fashion-MNIST is installed.
    static var available: Bool { binary != nil && FileManager.default.fileExists(atPath: dataset) }

    /// Why they are skipped.
    static let skipMessage: Comment =
        "needs a built tangle binary (.build/release/tangle or .build/debug/tangle: run `swift build` first) and Fashion-MNIST in /usr/share/datasets/fashion-mnist"

    /// `--cache` for every daemon: `$TANGLE_TEST_CACHE` when set, else the default cache, shared by all tests.
    static var cacheArguments: [String] {
        if let c = ProcessInfo.processInfo.environment["TANGLE_TEST_CACHE"], !c.isEmpty { return ["--cache", c] }
        return []
    }

    let root: String
    let process = Process()
    let stderrPath: String

    /// Starts `tangle watch` on `root` (not waiting for it to be ready).
    init(root: String, extra: [String] = [], model: String? = nil, seed: Bool = false, cache: String? = nil) throws {
        self.root = root
        stderrPath = root + "-daemon-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.currentDirectoryURL = URL(fileURLWithPath: Self.packageRoot)
        process.arguments =
            ["watch", "--root", root, "--model", model ?? "\(Self.packageRoot)/models/fashion-mnist", "--settle-ms", "300"] + (seed ? [] : ["--no-seed"])
            + (cache.map { ["--cache", $0] } ?? Self.cacheArguments) + extra
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// What the daemon printed on stderr.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until the daemon says it is watching (the first start may build the index: ~30 s).
    func waitReady(timeout: Double = 120) -> Bool {
        waitUntil(timeout: timeout) { self.stderr.contains("watching ") || !self.process.isRunning } && process.isRunning
    }

    /// The port of its HTTP server, from the `serving http` line of its log (nil when it has not
    /// said within `timeout` seconds, or exited).
    func httpPort(timeout: Double = 30) -> Int? {
        var port: Int?
        _ = waitUntil(timeout: timeout) {
            if let r = self.stderr.range(of: #"serving http .*url=http://[^ ]*:[0-9]+/"#, options: .regularExpression) {
                let url = self.stderr[r]
                port = Int(url.split(separator: ":").last!.dropLast())
                return true
            }
            return !self.process.isRunning
        }
        return port
    }

    /// Sends a signal.
    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// Waits for the exit; returns its status, or nil on a time-out.
    func waitExit(timeout: Double = 30) -> Int32? {
        waitUntil(timeout: timeout) { !self.process.isRunning } ? process.terminationStatus : nil
    }

    /// Expects the daemon to exit with status 0 within `timeout` seconds; on failure the message
    /// carries the last lines it printed (a sanitizer's report, an error), which the log file
    /// beside the root loses when the test removes it.
    func expectCleanExit(timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) {
        let status = waitExit(timeout: timeout)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none (still running)"): \(stderr.split(separator: "\n").suffix(30).joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    /// Kills the daemon if it still runs.
    func kill9() {
        if process.isRunning {
            signal(SIGKILL)
            _ = waitExit(timeout: 10)
        }
    }

    deinit { kill9() }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
