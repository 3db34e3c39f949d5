import Foundation
import Testing
import TangleData
import TangleImage

/// The real `tangle` binary on the shipped model and real test images: a file's record is the same
/// bits whatever batch `classify` judges it in, wherever it sits in the batch, and the daemon writes
/// the same record as `classify` (apart from what differs by nature: `id`, `time`, `input.path`,
/// `latency_ms`).
///
/// The helpers live here; the test itself is one of ``WatchIntegrationTests`` (below), whose tests
/// run one at a time, so its daemons and `classify` runs never slow another daemon test.
enum BatchInvariance {
    /// What differs between two judgements of one file by nature.
    static let volatile: Set<String> = ["id", "time", "latency_ms"]

    /// Writes the inputs: Fashion-MNIST test images, the same inverted (turned back by the polarity
    /// check), pixel-shuffled ones (outliers), FGSM attacks made by `tangle attack`, and two files
    /// that cannot be decoded (rejected). Returns the folder and the file names.
    static func inputs() throws -> (folder: String, names: [String]) {
        let folder = WatchFixtures.temporaryRoot("batch-inputs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let test = try FashionMNIST().test()
        var names: [String] = []
        func write(_ pixels: [UInt8], _ name: String) throws {
            try Data(try PNG.encode(pixels, width: 28, height: 28, layout: .gray)).write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
            names.append(name)
        }
        var state: UInt64 = 12_345
        for i in 0..<160 {
            let pixels = Array(test.pixels[(i * 784)..<((i + 1) * 784)])
            try write(pixels, String(format: "test-%04d.png", i))
            if i % 8 == 0 { try write(pixels.map { 255 - $0 }, String(format: "inverted-%04d.png", i)) }
            if i % 8 == 1 {
                var shuffled = pixels
                for j in stride(from: shuffled.count - 1, to: 0, by: -1) {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    shuffled.swapAt(j, Int(state >> 33) % (j + 1))
                }
                try write(shuffled, String(format: "shuffled-%04d.png", i))
            }
        }
        let attacks = folder + "-attacks"
        let attack = try run(["attack", "--method", "fgsm", "--eps", "0.1", "--count", "24", "--out", attacks])
        #expect(attack.status == 0, "\(attack.stderr)")
        for name in try FileManager.default.contentsOfDirectory(atPath: attacks).sorted() where name.hasSuffix(".png") {
            try FileManager.default.moveItem(atPath: "\(attacks)/\(name)", toPath: "\(folder)/fgsm-\(name)")
            names.append("fgsm-\(name)")
        }
        try? FileManager.default.removeItem(atPath: attacks)
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: URL(fileURLWithPath: "\(folder)/broken.png"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(folder)/text.png"))
        names += ["broken.png", "text.png"]
        return (folder, names)
    }

    /// Runs the binary; returns its exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: WatchDaemon.binary!)
        p.currentDirectoryURL = URL(fileURLWithPath: WatchDaemon.packageRoot)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        let errPath = NSTemporaryDirectory() + "tangle-stderr-\(UUID().uuidString.prefix(8))"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self), (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Records by file name, without the fields in `dropping`.
    static func records(_ lines: some Sequence<Substring>, dropping: Set<String>) throws -> [String: NSDictionary] {
        var out: [String: NSDictionary] = [:]
        for line in lines where !line.isEmpty {
            guard var r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                var input = r["input"] as? [String: Any], let name = input["name"] as? String
            else { throw CocoaError(.coderReadCorrupt) }
            for key in dropping { r.removeValue(forKey: key) }
            if dropping.contains("input.path") { input.removeValue(forKey: "path") }
            r["input"] = input
            out[name] = r as NSDictionary
        }
        return out
    }

    /// Names whose records differ between two runs (or are missing from one).
    static func differing(_ a: [String: NSDictionary], _ b: [String: NSDictionary]) -> [String] {
        Set(a.keys).union(b.keys).filter { name in
            guard let x = a[name], let y = b[name] else { return true }
            return !x.isEqual(y)
        }.sorted()
    }

}

extension WatchIntegrationTests {
    @Test("classify: the same records in batches of 1, 7, 32, 150 and 256, forwards and backwards; the daemon writes them too")
    func recordsDoNotDependOnTheBatchOrTheCommand() throws {
        let (folder, names) = try BatchInvariance.inputs()
        defer { WatchFixtures.remove(folder) }
        let paths = names.map { "\(folder)/\($0)" }
        var referenceLines: [Substring] = []
        func classify(_ batch: Int, _ files: [String]) throws -> [String: NSDictionary] {
            let r = try BatchInvariance.run(["classify", "--batch", "\(batch)"] + WatchDaemon.cacheArguments + files)
            #expect(r.status == 0, "classify --batch \(batch): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            if batch == 256 { referenceLines = lines }
            return try BatchInvariance.records(lines, dropping: BatchInvariance.volatile)
        }
        let reference = try classify(256, paths)
        #expect(reference.count == names.count)
        let verdicts = Set(reference.values.compactMap { $0["verdict"] as? String })
        #expect(verdicts == ["in-distribution", "outlier", "adversarial", "rejected"], "every verdict is exercised: \(verdicts)")
        for batch in [1, 7, 32, 150] {
            let d = BatchInvariance.differing(try classify(batch, paths), reference)
            #expect(d.isEmpty, "batch \(batch): \(d.count) records differ, e.g. \(d.prefix(3))")
        }
        let backwards = BatchInvariance.differing(try classify(32, paths.reversed()), reference)
        #expect(backwards.isEmpty, "reversed, batch 32: \(backwards.count) records differ, e.g. \(backwards.prefix(3))")

        // The daemon, on the same files dropped into its inbox.
        let root = WatchFixtures.temporaryRoot("batch-daemon")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        for name in names { try WatchFixtures.drop(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))), name: name, root: root) }
        let done = waitUntil(timeout: 120) { WatchFixtures.records(root).count >= names.count }
        #expect(done, "only \(WatchFixtures.records(root).count) records")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        let log = try String(contentsOfFile: "\(root)/verdicts.jsonl", encoding: .utf8)
        let fromDaemon = try BatchInvariance.records(log.split(separator: "\n"), dropping: BatchInvariance.volatile.union(["input.path"]))
        let fromClassify = try BatchInvariance.records(referenceLines, dropping: BatchInvariance.volatile.union(["input.path"]))
        let d = BatchInvariance.differing(fromDaemon, fromClassify)
        #expect(d.isEmpty, "daemon against classify: \(d.count) records differ, e.g. \(d.prefix(3).map { "\($0): \(fromDaemon[$0].map { "\($0)" } ?? "none") vs \(fromClassify[$0].map { "\($0)" } ?? "none")" })")
    }
}
