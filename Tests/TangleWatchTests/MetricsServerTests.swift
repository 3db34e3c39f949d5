import Foundation
import Glibc
import Synchronization
import TangleWatch
import Testing

/// The metrics responder on its own (no daemon): answers, idle and half-sent connections, slow
/// readers, oversized heads, the connection cap and shutdown.
@Suite struct MetricsServerTests {
    static let body = Array("# TYPE tangle_test counter\ntangle_test 1\n".utf8)

    private func server(_ limits: MetricsServer.Limits = .init(), render: (@Sendable () -> [UInt8])? = nil) throws -> MetricsServer {
        try MetricsServer(port: 0, limits: limits, render: render ?? { Self.body })
    }

    @Test("GET /metrics answers 200 with Content-Length; HEAD, other paths, other methods and garbage get their statuses")
    func answers() throws {
        let s = try server()
        defer { s.shutdown() }
        let ok = HTTPProbe.get(port: s.port)
        #expect(ok.complete)
        #expect(ok.status == 200, "\(ok.text)")
        #expect(ok.body == String(decoding: Self.body, as: UTF8.self))
        #expect(ok.header("Content-Length") == "\(Self.body.count)")
        #expect(ok.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(ok.header("Connection") == "close")
        #expect(HTTPProbe.get(port: s.port, path: "/metrics?name[]=x").status == 200)
        let head = HTTPProbe.get(port: s.port, request: "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "\(Self.body.count)")
        #expect(head.body.isEmpty)
        #expect(HTTPProbe.get(port: s.port, path: "/other").status == 404)
        let post = HTTPProbe.get(port: s.port, request: "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        #expect(HTTPProbe.get(port: s.port, request: "hello\r\n\r\n").status == 400)
        // A lax client ending its lines with LF alone is understood.
        #expect(HTTPProbe.get(port: s.port, request: "GET /metrics HTTP/1.0\n\n").status == 200)
    }

    @Test("100 idle connections: GET /metrics still answers in under 100 ms")
    func idleConnectionsDoNotDelay() throws {
        let s = try server()
        defer { s.shutdown() }
        let idle = HTTPProbe.idleConnections(100, port: s.port)
        defer { idle.forEach { close($0) } }
        #expect(idle.count == 100)
        usleep(100_000)
        let answer = HTTPProbe.get(port: s.port)
        #expect(answer.status == 200)
        #expect(answer.seconds < 0.1, "took \(answer.seconds) s")
    }

    @Test("half a request, then silence: others are served at once; the staller hears 408 and is closed at its deadline")
    func halfRequestTimesOut() throws {
        let s = try server(.init(headSeconds: 0.5))
        defer { s.shutdown() }
        let staller = HTTPProbe.startConnect(port: s.port)
        defer { close(staller) }
        #expect(HTTPProbe.wait(staller, POLLOUT, timeout: 2))
        HTTPProbe.send(staller, Array("GET /met".utf8))
        let start = HTTPProbe.now()
        let answer = HTTPProbe.get(port: s.port)
        #expect(answer.status == 200)
        #expect(answer.seconds < 0.1, "took \(answer.seconds) s")
        let (bytes, closed) = HTTPProbe.readAll(staller, timeout: 3)
        let waited = HTTPProbe.now() - start
        #expect(closed, "the stalled connection is still open after 3 s")
        #expect(waited > 0.3 && waited < 2, "closed after \(waited) s")
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408"))
    }

    @Test("a connection that never sends is closed at its deadline, silently")
    func idleConnectionIsClosed() throws {
        let s = try server(.init(headSeconds: 0.3))
        defer { s.shutdown() }
        let idle = HTTPProbe.idleConnections(1, port: s.port)
        defer { idle.forEach { close($0) } }
        let (bytes, closed) = HTTPProbe.readAll(idle[0], timeout: 3)
        #expect(closed)
        #expect(bytes.isEmpty)
    }

    @Test("a request head past the cap is answered 431 and closed")
    func oversizedHead() throws {
        let s = try server(.init(maxHeadBytes: 1024))
        defer { s.shutdown() }
        let long = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 4000) + "\r\n\r\n"
        let answer = HTTPProbe.get(port: s.port, request: long)
        #expect(answer.complete)
        #expect(answer.status == 431, "\(answer.text)")
        // Just under the cap is served.
        let fits = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 900) + "\r\n\r\n"
        #expect(HTTPProbe.get(port: s.port, request: fits).status == 200)
    }

    @Test("a client that asks for a large answer and never reads does not stall others; it is dropped at its write deadline")
    func slowReader() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 32 << 20)
        let calls = RenderCount()
        let s = try server(.init(writeSeconds: 0.5)) {
            calls.value.add(1, ordering: .relaxed).oldValue == 0 ? big : Self.body
        }
        defer { s.shutdown() }
        let reader = HTTPProbe.startConnect(port: s.port)
        defer { close(reader) }
        #expect(HTTPProbe.wait(reader, POLLOUT, timeout: 2))
        HTTPProbe.send(reader, Array("GET /metrics HTTP/1.1\r\n\r\n".utf8))
        usleep(100_000)
        #expect(calls.value.load(ordering: .relaxed) == 1, "the server has not rendered the large answer yet")
        let answer = HTTPProbe.get(port: s.port)
        #expect(answer.status == 200)
        #expect(answer.body == String(decoding: Self.body, as: UTF8.self))
        #expect(answer.seconds < 0.1, "took \(answer.seconds) s")
        // After the write deadline the reader's connection is gone: reading it ends early.
        usleep(800_000)
        let (bytes, closed) = HTTPProbe.readAll(reader, timeout: 5)
        #expect(closed)
        #expect(bytes.count < big.count, "the whole answer arrived: the test proves nothing")
    }

    @Test("at the connection cap the oldest idle connection is closed for a new one")
    func connectionCap() throws {
        let s = try server(.init(maxConnections: 8))
        defer { s.shutdown() }
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<20 {
            idle += HTTPProbe.idleConnections(1, port: s.port)
            usleep(5_000)  // in order, so "oldest" is the first opened
        }
        usleep(100_000)
        let answer = HTTPProbe.get(port: s.port)
        #expect(answer.status == 200)
        #expect(answer.seconds < 0.1, "took \(answer.seconds) s")
        // The first twelve (and one more for the GET) were closed by the server; the last seven still wait.
        let closed = idle.map { fd -> Bool in HTTPProbe.readAll(fd, timeout: 0.05).closed }
        #expect(closed.prefix(12).allSatisfy { $0 }, "\(closed)")
        #expect(closed.suffix(7).allSatisfy { !$0 }, "\(closed)")
    }

    @Test("shutdown closes the port and open connections, and returns")
    func shutdownCloses() throws {
        let s = try server()
        let idle = HTTPProbe.idleConnections(3, port: s.port)
        defer { idle.forEach { close($0) } }
        usleep(50_000)
        s.shutdown()
        s.shutdown()
        #expect(idle.allSatisfy { HTTPProbe.readAll($0, timeout: 1).closed })
        let after = HTTPProbe.get(port: s.port, timeout: 1)
        #expect(after.status == nil)
    }
}

/// How many times a test's render closure ran.
private final class RenderCount: Sendable {
    let value = Atomic<Int>(0)
}
