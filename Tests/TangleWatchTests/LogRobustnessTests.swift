import Foundation
import Testing
import TangleVerdict

/// Logs that input cannot forge or break: a file name with a newline and an escape sequence stays on
/// one escaped line of the text log, and a verdict log cut mid-line gets a newline before the next
/// record, which then parses; `tangle status` skips the damaged line with a warning.
extension WatchIntegrationTests {
    /// A daemon started and ready on a fresh temporary root.
    private func readyDaemon(_ label: String) throws -> (root: String, daemon: WatchDaemon) {
        let root = WatchFixtures.temporaryRoot(label)
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        return (root, daemon)
    }

    @Test("a name with a newline and an escape sequence is one escaped line of the text log")
    func hostileNameIsEscapedInTheTextLog() throws {
        let (root, daemon) = try readyDaemon("escape")
        defer { WatchFixtures.remove(root) }
        let name = "evil\nname\u{1B}[31m.png"
        try WatchFixtures.drop(try WatchFixtures.png(seed: 3), name: name, root: root)
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).contains { $0.input.name == name } })
        #expect(waitUntil(timeout: 10) { daemon.stderr.contains("judged ") })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        let log = daemon.stderr
        #expect(!log.contains("\u{1B}"), "the escape sequence reached the log raw")
        #expect(log.contains(#"name="evil\nname\u{1b}[31m.png""#), "\(log)")
        // Every line of the text log is a log line of its own (a timestamp or a progress line).
        for line in log.split(separator: "\n") {
            #expect(line.hasPrefix("20") || line.hasPrefix("index") || line.hasPrefix("tangle"), "a line of its own: \(line)")
        }
    }

    @Test("a verdict log cut mid-line: the next record starts on a new line and parses; status skips the damaged line")
    func logCutMidLineIsRepaired() throws {
        let (root, first) = try readyDaemon("cut")
        var daemon = first
        defer { WatchFixtures.remove(root) }
        try WatchFixtures.drop(try WatchFixtures.png(seed: 1), name: "first.png", root: root)
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count == 1 })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        // A crash cut the next record short.
        let log = "\(root)/verdicts.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"schema":1,"id":"cut-sh"#.utf8))
        handle.closeFile()
        daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        try WatchFixtures.drop(try WatchFixtures.png(seed: 2), name: "second.png", root: root)
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).contains { $0.input.name == "second.png" } })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let decoder = VerdictRecord.decoder
        let parsed = lines.compactMap { try? decoder.decode(VerdictRecord.self, from: Data($0.utf8)) }
        #expect(parsed.map(\.input.name) == ["first.png", "second.png"])
        #expect(lines.dropFirst().first == #"{"schema":1,"id":"cut-sh"#)
        let status = try BatchInvariance.run(["status", "--root", root, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(report["total"] as? Int == 2)
        #expect(report["damaged_lines"] as? Int == 1)
        #expect(status.stderr.contains("skipped 1 line"), "\(status.stderr)")
    }
}
