import Foundation
import Glibc
import Testing

/// The real `tangle watch --metrics-port 0` under idle and slow clients: `/metrics` keeps answering
/// at once. Before: the responder served one connection at a time, waiting up to 2 s for each
/// request, so every idle socket delayed a scrape by ~2 s and 51 stopped it answering.
extension WatchIntegrationTests {
    /// A ready daemon serving metrics on a free port, and that port (read from its log).
    private func metricsDaemon(_ label: String) throws -> (root: String, daemon: WatchDaemon, port: Int) {
        let root = WatchFixtures.temporaryRoot(label)
        let daemon = try WatchDaemon(root: root, extra: ["--metrics-port", "0"])
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        // The daemon logs where it serves: url=http://127.0.0.1:PORT/metrics
        let log = daemon.stderr
        let range = try #require(log.range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression), "no metrics URL in: \(log)")
        let port = try #require(Int(log[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber }))
        // Served before the test begins (also a first render, so the timing below is not a cold start).
        #expect(HTTPProbe.get(port: port).status == 200)
        return (root, daemon, port)
    }

    @Test("100 idle connections to the metrics port: GET /metrics answers in under 100 ms")
    func metricsUnderIdleConnections() throws {
        let (root, daemon, port) = try metricsDaemon("metrics-idle")
        defer { WatchFixtures.remove(root) }
        let idle = HTTPProbe.idleConnections(100, port: port)
        #expect(idle.count == 100)
        usleep(200_000)  // the server has seen them all
        let answer = HTTPProbe.get(port: port, timeout: 5)
        #expect(answer.status == 200, "no answer in \(String(format: "%.2f", answer.seconds)) s: \(answer.text.prefix(200))")
        #expect(answer.body.contains("tangle_queue_depth"))
        #expect(answer.seconds < 0.1, "took \(String(format: "%.3f", answer.seconds)) s")
        // And again, with the idle ones still open.
        let again = HTTPProbe.get(port: port, timeout: 5)
        #expect(again.status == 200 && again.seconds < 0.1, "second scrape took \(String(format: "%.3f", again.seconds)) s")
        idle.forEach { close($0) }
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
    }

    @Test("a client that sends half a request and stalls does not delay others; it is dropped within its deadline")
    func metricsUnderAStalledClient() throws {
        let (root, daemon, port) = try metricsDaemon("metrics-stall")
        defer { WatchFixtures.remove(root) }
        let stallers = (0..<3).map { _ in HTTPProbe.startConnect(port: port) }
        defer { stallers.forEach { close($0) } }
        for fd in stallers {
            #expect(HTTPProbe.wait(fd, POLLOUT, timeout: 2))
            HTTPProbe.send(fd, Array("GET /metr".utf8))
        }
        usleep(200_000)
        let start = HTTPProbe.now()
        for _ in 0..<3 {
            let answer = HTTPProbe.get(port: port, timeout: 5)
            #expect(answer.status == 200, "no answer in \(String(format: "%.2f", answer.seconds)) s")
            #expect(answer.seconds < 0.1, "took \(String(format: "%.3f", answer.seconds)) s")
        }
        // The stalled clients are closed at their 5 s deadline (408, best effort), not kept forever.
        let (_, closed) = HTTPProbe.readAll(stallers[0], timeout: 10)
        #expect(closed, "a stalled client was still connected \(String(format: "%.1f", HTTPProbe.now() - start)) s later")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
    }
}
