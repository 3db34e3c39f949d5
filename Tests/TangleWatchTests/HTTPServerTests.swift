import Foundation
import Glibc
import TangleDigest
import TangleHTTPClient
import TangleVerdict
import Testing

/// The daemon's HTTP server, with the real `tangle watch` process: readiness before and after the
/// index, `POST /v1/judge` against `tangle classify`, refused paths and bodies, the token, the queue
/// bound, and judging latency with many idle connections open.
@Suite(.serialized, .enabled(if: WatchDaemon.available, WatchDaemon.skipMessage))
struct HTTPServerTests {
    /// Starts a daemon serving HTTP on a free port; returns it with its port once it is ready.
    static func daemon(_ label: String, seed: Bool = false, extra: [String] = []) throws -> (WatchDaemon, Int, String) {
        let root = WatchFixtures.temporaryRoot(label)
        let d = try WatchDaemon(root: root, extra: ["--http-port", "0"] + extra, seed: seed)
        let port = try #require(d.httpPort(), "no port: \(d.stderr)")
        #expect(d.waitReady(), "\(d.stderr)")
        return (d, port, root)
    }

    /// Posts `bytes` and returns the answer.
    static func post(_ bytes: [UInt8], name: String?, port: Int, headers: [(String, String)] = []) throws -> HTTPResponse {
        let c = try HTTPConnection(port: port, timeout: 30)
        let target = name.map { "/v1/judge?name=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? "/v1/judge"
        return try c.request("POST", target, headers: headers, body: bytes)
    }

    static func get(_ path: String, port: Int, headers: [(String, String)] = []) throws -> HTTPResponse {
        try HTTPConnection(port: port, timeout: 30).request("GET", path, headers: headers)
    }

    @Test("/healthz answers at once; /readyz and POST say 503 with the reason until the index is built, then 200")
    func readinessFollowsTheIndex() throws {
        let root = WatchFixtures.temporaryRoot("http-ready")
        let cache = root + "-cache"
        defer {
            WatchFixtures.remove(root)
            try? FileManager.default.removeItem(atPath: cache)
        }
        // A fresh cache: the daemon builds its neighbour index (tens of seconds) while it already listens.
        let d = try WatchDaemon(root: root, extra: ["--http-port", "0"], cache: cache)
        let port = try #require(d.httpPort(), "no port: \(d.stderr)")
        #expect(try Self.get("/healthz", port: port).status == 200)
        let early = try Self.get("/readyz", port: port)
        #expect(early.status == 503)
        let reason = try JSONSerialization.jsonObject(with: Data(early.body)) as? [String: String]
        #expect(reason?["reason"]?.contains("neighbour index") == true, "\(early.text)")
        #expect(try Self.post(WatchFixtures.png(seed: 1), name: "early.png", port: port).status == 503)
        #expect(waitUntil(timeout: 300) { (try? Self.get("/readyz", port: port).status) == 200 }, "\(d.stderr)")
        #expect(d.stderr.contains("built the neighbour index"))
        #expect(try Self.get("/healthz", port: port).status == 200)
        #expect(try Self.post(WatchFixtures.png(seed: 1), name: "late.png", port: port).status == 200)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("POST /v1/judge gives classify's record for in-distribution, outlier, adversarial and rejected inputs, logged with source http")
    func postedRecordsMatchClassify() throws {
        let (d, port, root) = try Self.daemon("http-judge", seed: true)
        defer { WatchFixtures.remove(root) }
        // The records are written before the files move: wait for both.
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count >= 12 && WatchFixtures.destinations(root).count >= 12 }, "\(d.stderr)")
        // One seeded sample of each verdict, and a PNG cut short.
        let folder = root + "-posted"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var names: [String] = []
        for verdict in [Verdict.inDistribution, .outlier, .adversarial] {
            let name = try #require(
                WatchFixtures.destinations(root).filter { $0.value.contains(verdict.rawValue) }.keys.sorted().first, "no seeded \(verdict.rawValue) sample")
            try FileManager.default.copyItem(atPath: "\(root)/\(verdict.rawValue)/\(name)", toPath: "\(folder)/\(name)")
            names.append(name)
        }
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: URL(fileURLWithPath: "\(folder)/cut.png"))
        names.append("cut.png")
        let before = WatchFixtures.destinations(root)
        var posted: [Substring] = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
            let answer = try Self.post(bytes, name: name, port: port)
            #expect(answer.status == (name == "cut.png" ? 422 : 200), "\(name): \(answer.text)")
            #expect(answer.header("content-type") == "application/json")
            posted.append(Substring(answer.text))
        }
        let classify = try BatchInvariance.run(["classify", "--model", "models/fashion-mnist"] + WatchDaemon.cacheArguments + names.map { "\(folder)/\($0)" })
        #expect(classify.status == 0, "\(classify.stderr)")
        let dropped = BatchInvariance.volatile.union(["input.path", "source"])
        let fromHTTP = try BatchInvariance.records(posted, dropping: dropped)
        let fromClassify = try BatchInvariance.records(classify.stdout.split(separator: "\n"), dropping: dropped)
        #expect(fromHTTP.count == 4)
        #expect(BatchInvariance.differing(fromHTTP, fromClassify).isEmpty, "\(fromHTTP) vs \(fromClassify)")
        let verdicts = Set(fromHTTP.values.compactMap { $0["verdict"] as? String })
        #expect(verdicts == ["in-distribution", "outlier", "adversarial", "rejected"])
        // Logged with source http and no path; the folders are untouched.
        let logged = WatchFixtures.records(root).filter { $0.source == "http" }
        #expect(logged.count == 4 && logged.allSatisfy { $0.input.path == nil })
        let log = try String(contentsOfFile: "\(root)/verdicts.jsonl", encoding: .utf8)
        #expect(log.components(separatedBy: #""path":null"#).count - 1 == 4)
        #expect(WatchFixtures.destinations(root) == before)
        #expect(WatchFixtures.inbox(root).isEmpty)
        // The list and the images.
        let list = try Self.get("/v1/records?limit=1000", port: port)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: [[String: Any]]])["records"]
        #expect(records?.count == 16)
        let ids = Set(logged.map(\.id))
        #expect(Set(try Self.get("/v1/records?verdict=rejected", port: port).text.matches(of: /"id":"([0-9a-f-]{36})"/).map { String($0.1) }).isSubset(of: ids))
        let first = try #require(logged.first { $0.verdict == .inDistribution })
        let image = try Self.get("/v1/images/\(first.id)", port: port)
        #expect(image.status == 200 && image.header("content-type") == "image/png" && SHA256.hex(of: image.body) == first.input.sha256)
        let seeded = try #require(WatchFixtures.records(root).first { $0.source == nil })
        let file = try Self.get("/v1/images/\(seeded.id)", port: port)
        #expect(file.status == 200 && SHA256.hex(of: file.body) == seeded.input.sha256)
        // Bodies that are not images.
        #expect(try Self.post(Array("hello".utf8), name: nil, port: port).status == 415)
        #expect(try Self.post([], name: nil, port: port).status == 415)
        #expect(try Self.post(WatchFixtures.png(seed: 2), name: "a/b.png", port: port).status == 400)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("Oversized bodies are refused with 413, announced or streamed; the daemon keeps judging")
    func oversizedBodiesAreRefused() throws {
        let (d, port, root) = try Self.daemon("http-size", extra: ["--http-max-body-bytes", "50000"])
        defer { WatchFixtures.remove(root) }
        let big = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 60_000)
        #expect(try Self.post(big, name: "big.png", port: port).status == 413)
        // Streamed in chunks with no length announced.
        let fd = HTTPProbe.startConnect(port: port)
        defer { close(fd) }
        #expect(HTTPProbe.wait(fd, POLLOUT, timeout: 5))
        var request = Array("POST /v1/judge HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for _ in 0..<8 { request += Array("2000\r\n".utf8) + [UInt8](repeating: 0x89, count: 0x2000) + Array("\r\n".utf8) }
        request += Array("0\r\n\r\n".utf8)
        HTTPProbe.send(fd, request)
        let answer = HTTPProbe.readAll(fd, timeout: 5)
        #expect(String(decoding: answer.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 413"), "\(String(decoding: answer.bytes.prefix(200), as: UTF8.self))")
        #expect(try Self.post(WatchFixtures.png(seed: 3), name: "small.png", port: port).status == 200)
        #expect(WatchFixtures.records(root).count == 1)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("Images are served only for logged files inside the root: no traversal, no links, no changed content")
    func pathTraversalIsRefused() throws {
        let (d, port, root) = try Self.daemon("http-paths")
        defer { WatchFixtures.remove(root) }
        let png = try WatchFixtures.png(seed: 4)
        let outside = root + "-outside.png"
        try Data(png).write(to: URL(fileURLWithPath: outside))
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let sha = SHA256.hex(of: png)
        // Files in the root's in-distribution folder: a real one, a link to the outside file, one changed since.
        try Data(png).write(to: URL(fileURLWithPath: "\(root)/in-distribution/real.png"))
        #expect(symlink(outside, "\(root)/in-distribution/link.png") == 0)
        try Data(png.reversed()).write(to: URL(fileURLWithPath: "\(root)/in-distribution/changed.png"))
        func forged(_ path: String) -> (id: String, line: String) {
            let id = UUID().uuidString.lowercased()
            let line = #"{"schema":1,"id":"\#(id)","time":"2026-01-01T00:00:00.000Z","input":{"name":"x.png","path":"\#(path)","bytes":\#(png.count),"sha256":"\#(sha)","format":"png","width":28,"height":28},"model":{"name":"m","sha256":"s"},"calibration":{"id":"c"},"verdict":"in-distribution","reason":"forged","latency_ms":1}"#
            return (id, line)
        }
        let real = forged("\(root)/in-distribution/real.png")
        let refused = [
            forged(outside), forged("\(root)/in-distribution/link.png"), forged("\(root)/in-distribution/changed.png"),
            forged("\(root)/in-distribution/../../\((outside as NSString).lastPathComponent)"), forged("/etc/passwd"),
            forged("\(root)/processing/real.png"),
        ]
        let lines = ([real] + refused).map(\.line).joined(separator: "\n") + "\n"
        let log = try #require(FileHandle(forWritingAtPath: "\(root)/verdicts.jsonl"))
        log.seekToEndOfFile()
        log.write(Data(lines.utf8))
        try log.close()
        usleep(200_000)  // the server reads the log at most every 100 ms
        let served = try Self.get("/v1/images/\(real.id)", port: port)
        #expect(served.status == 200 && served.body == png, "the control must be served: \(served.text)")
        for (id, line) in refused {
            #expect(try Self.get("/v1/images/\(id)", port: port).status == 404, "\(line)")
        }
        for path in [
            "/v1/images/..%2F..%2F..%2Fetc%2Fpasswd", "/v1/images/../../etc/passwd", "/v1/images/%2e%2e", "/v1/charts/..%2Fmodel.json",
            "/v1/charts/../model.json", "/v1/charts/model.json", "/v1/charts/%2Fetc%2Fpasswd", "/../../etc/passwd",
        ] {
            let r = try Self.get(path, port: port)
            #expect(r.status == 404 || r.status == 400, "\(path): \(r.status)")
            #expect(!r.text.contains("root:"), "\(path)")
        }
        #expect(try Self.get("/v1/charts/calibration.svg", port: port).status == 200)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("Off loopback the server needs a token; with one, every route but /healthz and /readyz asks for it")
    func tokenGuardsTheServer() throws {
        let root = WatchFixtures.temporaryRoot("http-token")
        defer { WatchFixtures.remove(root) }
        let open = try WatchDaemon(root: root, extra: ["--http-port", "0", "--http-address", "0.0.0.0"])
        #expect(open.waitExit(timeout: 30).map { $0 != 0 } == true)
        #expect(open.stderr.contains("--http-token-file"), "\(open.stderr)")
        let tokenFile = root + "-token"
        let token = "s3cret-\(UUID().uuidString)"
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let (d, port, _) = try Self.daemon("http-token2", extra: ["--http-token-file", tokenFile])
        defer { WatchFixtures.remove(d.root) }
        #expect(try Self.get("/healthz", port: port).status == 200)
        #expect(try Self.get("/readyz", port: port).status == 200)
        for path in ["/", "/v1/records", "/metrics", "/v1/summary"] {
            let r = try Self.get(path, port: port)
            #expect(r.status == 401, "\(path)")
            #expect(r.header("www-authenticate")?.contains("Basic") == true)
        }
        #expect(try Self.post(WatchFixtures.png(seed: 5), name: "x.png", port: port).status == 401)
        #expect(try Self.get("/v1/records", port: port, headers: [("Authorization", "Bearer wrong-\(token)")]).status == 401)
        #expect(try Self.get("/v1/records", port: port, headers: [("Authorization", "Bearer \(token)")]).status == 200)
        let basic = Data("operator:\(token)".utf8).base64EncodedString()
        #expect(try Self.get("/", port: port, headers: [("Authorization", "Basic \(basic)")]).status == 200)
        #expect(try Self.post(WatchFixtures.png(seed: 5), name: "x.png", port: port, headers: [("Authorization", "Bearer \(token)")]).status == 200)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("A full judging queue answers 429 at once; every accepted post is judged and logged")
    func fullQueueAnswers429() throws {
        let (d, port, root) = try Self.daemon("http-queue", extra: ["--http-queue", "1", "--batch", "1"])
        defer { WatchFixtures.remove(root) }
        let png = try WatchFixtures.png(seed: 6)
        let statuses = StatusList()
        // Sixteen clients at once, each on its own thread (not the pool's two).
        let done = DispatchGroup()
        for i in 0..<16 {
            done.enter()
            Thread {
                for _ in 0..<4 {
                    let s = (try? Self.post(png, name: "q\(i).png", port: port).status) ?? -1
                    statuses.append(s)
                }
                done.leave()
            }.start()
        }
        done.wait()
        let all = statuses.values
        #expect(all.count == 64 && Set(all).isSubset(of: [200, 429]), "\(all)")
        #expect(all.contains(429), "\(all)")
        #expect(WatchFixtures.records(root).count == all.filter { $0 == 200 }.count)
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    @Test("With 200 idle connections open (and slow and garbage clients), the median POST /v1/judge latency stays within 2 ms of its idle figure")
    func idleConnectionsDoNotSlowJudging() throws {
        let (d, port, root) = try Self.daemon("http-idle")
        defer { WatchFixtures.remove(root) }
        let png = try WatchFixtures.png(seed: 7)
        let c = try HTTPConnection(port: port, timeout: 30)
        var posts = 0
        func times(_ n: Int) throws -> [Double] {
            var out: [Double] = []
            for _ in 0..<n {
                let t = HTTPClock.now()
                let r = try c.request("POST", "/v1/judge?name=l\(posts).png", body: png)
                posts += 1
                out.append((HTTPClock.now() - t) * 1000)
                #expect(r.status == 200)
            }
            return out
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        _ = try times(10)
        // Interleaved rounds (idle, then with the connections open), so that load from other tests
        // running meanwhile falls on both sides alike.
        var idle: [Double] = [], loaded: [Double] = [], hostile: [Double] = []
        for _ in 0..<4 {
            idle += try times(15)
            let fds = HTTPProbe.idleConnections(200, port: port)
            #expect(fds.count == 200)
            usleep(300_000)  // open, not opening: the server has accepted and set them up
            loaded += try times(15)
            // Slow clients (a head sent, the body never) and garbage ones do not hold judging up either.
            let slow = HTTPProbe.idleConnections(20, port: port) + HTTPProbe.idleConnections(20, port: port)
            for (i, fd) in slow.enumerated() {
                let bytes = i < 20 ? Array("POST /v1/judge HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n\u{89}PNG".utf8) : (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) }
                HTTPProbe.send(fd, bytes)
            }
            usleep(300_000)
            hostile += try times(15)
            // They are still open (not refused or dropped), and /healthz still answers.
            #expect(try Self.get("/healthz", port: port).status == 200)
            for fd in fds + slow { close(fd) }
        }
        #expect(median(loaded) - median(idle) <= 2, "idle \(median(idle)) ms, with 200 idle connections \(median(loaded)) ms")
        // Slow and garbage clients must not hold judging up: a held-up worker would show as posts
        // waiting for the 30 s body deadline. The bound is against that, not against scheduling noise
        // from the suites that run beside this one.
        #expect(median(hostile) - median(idle) <= 10, "idle \(median(idle)) ms, with slow and garbage clients too \(median(hostile)) ms")
        #expect(hostile.max()! < 1000, "slowest post with slow and garbage clients open: \(hostile.max()!) ms")
        d.signal(SIGTERM)
        d.expectCleanExit()
    }
}

/// Statuses collected from several threads.
final class StatusList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ v: Int) { lock.withLock { items.append(v) } }
    var values: [Int] { lock.withLock { items } }
}
