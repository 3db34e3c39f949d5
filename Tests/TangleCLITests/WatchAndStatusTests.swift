import Foundation
import Testing

/// `tangle watch` argument checks and `tangle status`.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct WatchAndStatusTests {
    /// Before: `--metrics-port 99999` loaded the model and index, reached `MetricsServer` and trapped (exit 132).
    @Test(arguments: ["99999", "65536", "-1"])
    func metricsPortOutOfRangeIsAUsageError(port: String) throws {
        let root = try TemporaryFolder.make("watch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try TangleBinary.run(
            ["watch", "--root", root, "--model", CLIFixtures.shippedModel, "--no-seed", "--metrics-port=\(port)"] + CLIFixtures.cacheArguments)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--metrics-port"))
        #expect(r.stderr.contains("65535"))
    }

    @Test func statusOfAMissingRootIsAnError() throws {
        let r = try TangleBinary.run(["status", "--root", "/nonexistent/tangle-root"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/tangle-root"), "\(r.stderr)")
        #expect(r.stderr.contains("does not exist"))
    }

    @Test func statusOfAFileIsAnError() throws {
        let folder = try TemporaryFolder.make("status-file")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/a-file"
        try CLIFixtures.write([1, 2, 3], to: file)
        let r = try TangleBinary.run(["status", "--root", file])
        #expect(r.status != 0)
        #expect(r.stderr.contains("not a folder"), "\(r.stderr)")
    }

    @Test func statusOfAFolderThatWasNeverWatchedIsAnError() throws {
        let folder = try TemporaryFolder.make("status-empty")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try TangleBinary.run(["status", "--root", folder])
        #expect(r.status != 0)
        #expect(r.stderr.contains("tangle watch --root"), "\(r.stderr)")
    }

    struct StatusJSON: Decodable {
        var root: String
        var total: Int
        var counts: [String: Int]
        var inbox: Int
        var daemons: Int
        var held: Bool
    }

    /// The folders of a watched root, and one `outlier` record in the log file `logName` of the root.
    func makeRoot(_ root: String, logName: String) throws {
        for f in ["inbox", "processing", "in-distribution", "outlier", "adversarial", "rejected"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(f)", withIntermediateDirectories: true)
        }
        let record = #"{"time":"2026-12-01T10:00:00.000Z","verdict":"outlier","reason":"far","input":{"name":"x.png"}}"#
        try CLIFixtures.write(Array((record + "\n").utf8), to: "\(root)/\(logName)")
    }

    /// A root with one record and one waiting file; a live lock in processing/ counts as a daemon holding the root.
    @Test func statusJSONSaysWhetherADaemonHoldsTheRoot() throws {
        let root = try TemporaryFolder.make("status-root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try makeRoot(root, logName: "verdicts.jsonl")
        try CLIFixtures.write([0], to: "\(root)/inbox/waiting.png")
        // A dead owner's lock (nobody holds it) does not count.
        try CLIFixtures.write([], to: "\(root)/processing/1-dead.lock")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase

        var r = try TangleBinary.run(["status", "--root", root, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        var s = try decoder.decode(StatusJSON.self, from: Data(r.stdout.utf8))
        #expect(s.total == 1 && s.counts["outlier"] == 1 && s.inbox == 1)
        #expect(s.daemons == 0 && !s.held)

        let lock = "\(root)/processing/2-live.lock"
        try CLIFixtures.write([], to: lock)
        let fd = open(lock, O_RDWR)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        r = try TangleBinary.run(["status", "--root", root, "--json"])
        s = try decoder.decode(StatusJSON.self, from: Data(r.stdout.utf8))
        #expect(s.daemons == 1 && s.held)
        r = try TangleBinary.run(["status", "--root", root])
        #expect(r.stdout.contains("held by 1 running daemon"), "\(r.stdout)")
    }

    /// `status` reads the root's own logs only: a `verdicts.jsonl` that is a link to a file outside is not read.
    @Test func statusDoesNotReadALogThroughALink() throws {
        let root = try TemporaryFolder.make("status-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try makeRoot(root, logName: "outside.jsonl")
        try FileManager.default.createSymbolicLink(atPath: "\(root)/verdicts.jsonl", withDestinationPath: "\(root)/outside.jsonl")
        let r = try TangleBinary.run(["status", "--root", root, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let s = try decoder.decode(StatusJSON.self, from: Data(r.stdout.utf8))
        #expect(s.total == 0, "the record behind the link was read")
    }
}
