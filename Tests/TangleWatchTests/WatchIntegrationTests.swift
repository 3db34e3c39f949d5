import Foundation
import Testing
import TangleVerdict

/// The real `tangle watch` binary on temporary roots: bursts, slow writers, crashes, two daemons,
/// bad inputs, a missing calibration, and SIGTERM. The binary must already be built (the tests never
/// build it); the neighbour index cache is shared (the first start may take ~30 s to build it).
@Suite(.serialized, .enabled(if: WatchDaemon.available, WatchDaemon.skipMessage))
struct WatchIntegrationTests {
    /// Asserts that every name has exactly one file in exactly one destination folder and at least one
    /// record naming that file's path, and that nothing is left in the inbox or processing.
    private func expectRouted(_ names: [String], root: String, exactlyOneRecord: Bool) {
        let records = WatchFixtures.records(root)
        var byName: [String: [VerdictRecord]] = [:]
        for r in records { byName[r.input.name, default: []].append(r) }
        let destinations = WatchFixtures.destinations(root)
        var misplaced = 0, unrecorded = 0, repeated = 0
        for name in names {
            let folders = destinations[name] ?? []
            if folders.count != 1 { misplaced += 1 }
            let mine = byName[name] ?? []
            if mine.isEmpty { unrecorded += 1 }
            if exactlyOneRecord && mine.count != 1 { repeated += 1 }
            if let folder = folders.first, let last = mine.last {
                #expect(last.input.path == "\(root)/\(folder)/\(name)")
                #expect(last.verdict.rawValue == folder)
            }
        }
        #expect(misplaced == 0, "files not in exactly one destination folder")
        #expect(unrecorded == 0, "files without a record")
        #expect(repeated == 0, "files with more than one record")
        #expect(WatchFixtures.inbox(root).isEmpty)
        #expect(WatchFixtures.processing(root).isEmpty)
    }

    @Test("a burst of 2,000 files renamed in: each routed once with one record")
    func burst() throws {
        let root = WatchFixtures.temporaryRoot("burst")
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let names = (0..<2000).map { String(format: "burst-%04d.png", $0) }
        for (i, name) in names.enumerated() { try WatchFixtures.drop(try WatchFixtures.png(seed: i), name: name, root: root) }
        let done = waitUntil(timeout: 120) { WatchFixtures.records(root).count >= names.count && WatchFixtures.inbox(root).isEmpty && WatchFixtures.processing(root).isEmpty }
        #expect(done, "only \(WatchFixtures.records(root).count) records")
        usleep(500_000)
        expectRouted(names, root: root, exactlyOneRecord: true)
        #expect(WatchFixtures.records(root).count == names.count)
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("a file written in slow chunks is judged once, complete")
    func slowWriter() throws {
        let root = WatchFixtures.temporaryRoot("slow")
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let bytes = try WatchFixtures.png(seed: 7)
        let path = "\(root)/inbox/slow.png"
        // A writer in place: open (creating), write a part, pause, write more, pause, close.
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let third = bytes.count / 3
        try handle.write(contentsOf: Data(bytes[0..<third]))
        usleep(500_000)
        try handle.write(contentsOf: Data(bytes[third..<(2 * third)]))
        usleep(500_000)
        try handle.write(contentsOf: Data(bytes[(2 * third)...]))
        usleep(200_000)
        #expect(WatchFixtures.records(root).isEmpty, "judged before the writer closed the file")
        close(fd)
        #expect(waitUntil(timeout: 20) { !WatchFixtures.records(root).isEmpty })
        usleep(1_000_000)
        let records = WatchFixtures.records(root)
        #expect(records.count == 1)
        #expect(records.first?.input.bytes == bytes.count)
        #expect(records.first?.verdict != .rejected, "\(records.first?.reason ?? "")")
        expectRouted(["slow.png"], root: root, exactlyOneRecord: true)
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("kill -9 mid-burst, then a restart: nothing lost, each file in one destination with a record")
    func crashAndRestart() throws {
        let root = WatchFixtures.temporaryRoot("crash")
        let first = try WatchDaemon(root: root, extra: ["--batch", "32"])
        #expect(first.waitReady(), "\(first.stderr)")
        let names = (0..<1000).map { String(format: "crash-%04d.png", $0) }
        // Kill as soon as 200 are judged — during the drops when the daemon keeps pace with them
        // (it does with a warm index cache), so the kill always lands mid-burst.
        var killed = false
        for (i, name) in names.enumerated() {
            try WatchFixtures.drop(try WatchFixtures.png(seed: 10_000 + i), name: name, root: root)
            if !killed && i % 25 == 24 && WatchFixtures.records(root).count >= 200 {
                first.signal(SIGKILL)
                killed = true
            }
        }
        if !killed {
            #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count >= 200 })
            first.signal(SIGKILL)
        }
        _ = first.waitExit()
        let judgedBefore = WatchFixtures.records(root).count
        #expect(judgedBefore < names.count, "the daemon finished before the kill; the test proves less")
        let second = try WatchDaemon(root: root, extra: ["--rescan-seconds", "1"])
        #expect(second.waitReady(), "\(second.stderr)")
        // The dead daemon's flock was released by the kernel: the new one takes over its folder.
        #expect(second.stderr.contains("recovered the files of dead daemons"), "\(second.stderr)")
        let done = waitUntil(timeout: 90) {
            WatchFixtures.inbox(root).isEmpty && WatchFixtures.processing(root).isEmpty && WatchFixtures.destinations(root).count >= names.count
        }
        #expect(done)
        usleep(500_000)
        expectRouted(names, root: root, exactlyOneRecord: false)
        // Only files in hand at the kill may have two records, and the repeat says so.
        let records = WatchFixtures.records(root)
        var counts: [String: Int] = [:]
        for r in records { counts[r.input.name, default: 0] += 1 }
        #expect(counts.values.filter { $0 > 1 }.count <= 64)
        for r in records where counts[r.input.name, default: 0] > 1 && r.replayed == true { #expect(r.input.name.hasPrefix("crash-")) }
        #expect(!FileManager.default.fileExists(atPath: "\(root)/processing/\(first.process.processIdentifier)"))
        second.signal(SIGTERM)
        second.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("recovery of a dead daemon's folder: a linked file is only unlinked, a logged one is judged again as replayed")
    func recoveryReplay() throws {
        let root = WatchFixtures.temporaryRoot("replay")
        var daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        try WatchFixtures.drop(try WatchFixtures.png(seed: 42), name: "x.png", root: root)
        #expect(waitUntil(timeout: 20) { WatchFixtures.records(root).count == 1 && WatchFixtures.processing(root).isEmpty })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        let first = try #require(WatchFixtures.records(root).first)
        let firstPath = try #require(first.input.path)
        // A dead daemon (its lock file exists, nobody holds it) that had moved x.png (still linked in
        // its folder) and held a copy of the same content (record written, not yet moved).
        let dead = "\(root)/processing/1-deadbeef"
        try FileManager.default.createDirectory(atPath: dead, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dead + ".lock", contents: nil)
        #expect(link(firstPath, "\(dead)/1-x.png") == 0)
        try FileManager.default.copyItem(atPath: firstPath, toPath: "\(dead)/2-x.png")
        daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        #expect(waitUntil(timeout: 20) { WatchFixtures.records(root).count == 2 && WatchFixtures.processing(root).isEmpty })
        let records = WatchFixtures.records(root)
        #expect(records.count == 2)
        #expect(records.last?.replayed == true)
        #expect(records.last?.input.sha256 == first.input.sha256)
        let folder = (firstPath as NSString).deletingLastPathComponent
        #expect(records.last?.input.path == "\(folder)/x-1.png")
        var info = stat()
        #expect(lstat(firstPath, &info) == 0 && info.st_nlink == 1)
        #expect(FileManager.default.fileExists(atPath: "\(folder)/x-1.png"))
        #expect(!FileManager.default.fileExists(atPath: dead) && !FileManager.default.fileExists(atPath: dead + ".lock"))
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("two daemons on one root never judge a file twice")
    func twoDaemons() throws {
        let root = WatchFixtures.temporaryRoot("two")
        let a = try WatchDaemon(root: root, extra: ["--batch", "16"])
        let b = try WatchDaemon(root: root, extra: ["--batch", "16"])
        #expect(a.waitReady(), "\(a.stderr)")
        #expect(b.waitReady(), "\(b.stderr)")
        let names = (0..<600).map { String(format: "pair-%04d.png", $0) }
        for (i, name) in names.enumerated() { try WatchFixtures.drop(try WatchFixtures.png(seed: 20_000 + i), name: name, root: root) }
        let done = waitUntil(timeout: 90) { WatchFixtures.records(root).count >= names.count && WatchFixtures.inbox(root).isEmpty && WatchFixtures.processing(root).isEmpty }
        #expect(done)
        usleep(1_000_000)
        expectRouted(names, root: root, exactlyOneRecord: true)
        #expect(WatchFixtures.records(root).count == names.count)
        let judgedByA = a.stderr.components(separatedBy: " judged ").count - 1
        let judgedByB = b.stderr.components(separatedBy: " judged ").count - 1
        #expect(judgedByA + judgedByB == names.count)
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        a.expectCleanExit()
        b.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("bad inputs are rejected with a reason while the daemon keeps running")
    func badInputs() throws {
        let root = WatchFixtures.temporaryRoot("bad")
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let good = try WatchFixtures.png(seed: 1)
        var bad: [String: [UInt8]] = [
            "corrupt.png": Array(good.prefix(16)) + [UInt8](repeating: 0xAB, count: 200),
            "truncated.png": Array(good.prefix(good.count / 2)),
            "empty.png": [],
            "notes.png": Array("these are not pixels\n".utf8),
            "huge-header.png": WatchFixtures.pngHeader(width: 100_000, height: 100_000),
        ]
        for (name, bytes) in bad { try WatchFixtures.drop(bytes, name: name, root: root) }
        // A symbolic link (to a good image) is claimed and rejected, never followed.
        let target = "\(root)/target.png"
        try Data(good).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: "\(root)/.link.png", withDestinationPath: target)
        #expect(rename("\(root)/.link.png", "\(root)/inbox/link.png") == 0)
        bad["link.png"] = []
        // A folder and a FIFO are left alone.
        try FileManager.default.createDirectory(atPath: "\(root)/inbox/a-folder", withIntermediateDirectories: false)
        #expect(mkfifo("\(root)/inbox/a-fifo", 0o644) == 0)
        #expect(waitUntil(timeout: 20) { WatchFixtures.records(root).count >= bad.count })
        let records = WatchFixtures.records(root)
        for name in bad.keys {
            let r = records.first { $0.input.name == name }
            #expect(r?.verdict == .rejected, "\(name): \(r?.reason ?? "no record")")
            #expect(!(r?.reason.isEmpty ?? true))
        }
        #expect(records.first { $0.input.name == "link.png" }?.reason.contains("symbolic link") == true)
        // Records are flushed before the files move, so the link may still be on its way to rejected/.
        #expect(waitUntil(timeout: 10) {
            var info = stat()
            return lstat("\(root)/rejected/link.png", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
        })
        #expect(daemon.process.isRunning)
        try WatchFixtures.drop(good, name: "good.png", root: root)
        #expect(waitUntil(timeout: 20) { WatchFixtures.records(root).contains { $0.input.name == "good.png" } })
        #expect(WatchFixtures.records(root).first { $0.input.name == "good.png" }?.verdict != .rejected)
        #expect(Set(WatchFixtures.inbox(root)) == ["a-folder", "a-fifo"])
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        WatchFixtures.remove(root)
    }

    @Test("the daemon refuses to start on a model without calibration.json")
    func missingCalibration() throws {
        let root = WatchFixtures.temporaryRoot("uncalibrated")
        let model = root + "-model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        for file in ["model.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: "\(WatchDaemon.packageRoot)/models/fashion-mnist/\(file)", toPath: "\(model)/\(file)")
        }
        let daemon = try WatchDaemon(root: root, model: model)
        let status = daemon.waitExit(timeout: 60)
        #expect(status != nil && status != 0)
        #expect(daemon.stderr.contains("tangle calibrate"), "\(daemon.stderr)")
        WatchFixtures.remove(root)
        try? FileManager.default.removeItem(atPath: model)
    }

    @Test("SIGTERM mid-burst finishes the batch in hand and exits 0, leaving nothing in processing")
    func sigterm() throws {
        let root = WatchFixtures.temporaryRoot("term")
        let daemon = try WatchDaemon(root: root, extra: ["--batch", "32"])
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let names = (0..<300).map { String(format: "term-%04d.png", $0) }
        for (i, name) in names.enumerated() { try WatchFixtures.drop(try WatchFixtures.png(seed: 30_000 + i), name: name, root: root) }
        #expect(waitUntil(timeout: 30) { !WatchFixtures.records(root).isEmpty })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        #expect(WatchFixtures.processing(root).isEmpty)
        let routed = WatchFixtures.destinations(root)
        let waiting = Set(WatchFixtures.inbox(root))
        #expect(names.allSatisfy { (routed[$0]?.count ?? 0) + (waiting.contains($0) ? 1 : 0) == 1 })
        #expect(WatchFixtures.records(root).count == routed.count)
        WatchFixtures.remove(root)
    }

    @Test("--metrics-port serves Prometheus counters of files per verdict, the latency histogram and the queue depth")
    func metrics() throws {
        let root = WatchFixtures.temporaryRoot("metrics")
        let daemon = try WatchDaemon(root: root, extra: ["--metrics-port", "0"])
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        // The daemon logs where it serves: url=http://127.0.0.1:PORT/metrics
        guard let range = daemon.stderr.range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression),
            let port = Int(daemon.stderr[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber })
        else {
            Issue.record("no metrics URL in the daemon's log: \(daemon.stderr)")
            return
        }
        try WatchFixtures.drop(try WatchFixtures.png(seed: 7), name: "m.png", root: root)
        try WatchFixtures.drop(Array("not an image".utf8), name: "junk.png", root: root)
        #expect(waitUntil(timeout: 30) { WatchFixtures.records(root).count == 2 })
        // The counters move just after the records are flushed: give them a moment.
        var body = ""
        _ = waitUntil(timeout: 10) {
            body = (try? httpGet(port: port, path: "/metrics")) ?? ""
            return body.contains("tangle_judge_latency_seconds_count 2")
        }
        #expect(body.hasPrefix("HTTP/1.1 200"))
        #expect(body.contains(#"tangle_files_total{verdict="rejected"} 1"#))
        #expect(body.contains("tangle_judge_latency_seconds_count 2"))
        #expect(body.contains("tangle_queue_depth"))
        #expect(try httpGet(port: port, path: "/other").hasPrefix("HTTP/1.1 404"))
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        WatchFixtures.remove(root)
    }

    /// A plain HTTP/1.1 GET over a socket (no client library needed).
    private func httpGet(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return "connect failed" }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
