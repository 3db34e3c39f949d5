import Foundation
import Testing

/// CIFAR-10 as an image folder, for the tests of the shipped `models/cifar10`: where a user keeps
/// it, and where the product itself looks (`$TANGLE_DATA/cifar10`,
/// `$XDG_DATA_HOME/tangle/datasets/cifar10`); nothing outside the repository and the user's own
/// data folders is read. `nil` on a lone clone.
enum CIFAR10Data {
    /// A folder holding `train/<class>/*.jpg` and `test/<class>/*.jpg`, or nil.
    static let root: String? = {
        let fm = FileManager.default
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let d = env["TANGLE_DATA"], !d.isEmpty { candidates.append(d + "/cifar10") }
        let xdg = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.local/share"
        candidates.append(xdg + "/tangle/datasets/cifar10")
        for c in candidates where fm.fileExists(atPath: c + "/train/airplane") && fm.fileExists(atPath: c + "/test/airplane") { return c }
        return nil
    }()
}

/// Every command of the README's table on the shipped CIFAR-10 model, with Fashion-MNIST hidden
/// (`$TANGLE_FASHION_MNIST` names a folder that does not exist): nothing a CIFAR-10 model does may
/// need Fashion-MNIST. Without CIFAR-10 on the machine (a lone clone), the commands that need the
/// training data say how to get it, and the ones that do not still work.
@Suite(.serialized) struct ShippedCIFAR10Tests {
    let model = TangleBinary.packageRoot + "/models/cifar10"

    /// The environment: Fashion-MNIST hidden, CIFAR-10 at `$TANGLE_DATA/cifar10` when ``CIFAR10Data``
    /// found it (`root`), a cache kept between runs (the index of 45,000 images takes minutes to build).
    func environment(root: String?) -> [String: String?] {
        [
            "TANGLE_FASHION_MNIST": "/nonexistent/fashion-mnist-hidden-by-the-test",
            "XDG_CACHE_HOME": NSTemporaryDirectory() + "tangle-test-cache",
            "XDG_DATA_HOME": "/nonexistent/xdg-data",
            "TANGLE_DATA": root.map { ($0 as NSString).deletingLastPathComponent } ?? "/nonexistent/tangle-data",
        ]
    }

    /// The shipped model as a user's machine sees it: the folder recorded at training (this
    /// machine's) is not there, so the data is found by name or not at all.
    func modelElsewhere(in work: String) throws -> String {
        let copy = work + "/cifar10"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for f in ["model.safetensors", "calibration.json"] { try FileManager.default.copyItem(atPath: "\(model)/\(f)", toPath: "\(copy)/\(f)") }
        var card = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/model.json"))) as? [String: Any])
        var data = try #require(card["data"] as? [String: Any])
        data["directory"] = "/nonexistent/training-machine/cifar10/train"
        card["data"] = data
        try JSONSerialization.data(withJSONObject: card).write(to: URL(fileURLWithPath: copy + "/model.json"))
        return copy
    }

    /// A small labelled class folder of CIFAR-10 test JPEGs (`perClass` of every class).
    func testSubset(_ root: String, perClass: Int) throws -> String {
        let out = try TemporaryFolder.make("cifar-test")
        let fm = FileManager.default
        for c in try fm.contentsOfDirectory(atPath: root + "/test").sorted() {
            try fm.createDirectory(atPath: "\(out)/\(c)", withIntermediateDirectories: true)
            for f in try fm.contentsOfDirectory(atPath: "\(root)/test/\(c)").sorted().prefix(perClass) {
                try fm.copyItem(atPath: "\(root)/test/\(c)/\(f)", toPath: "\(out)/\(c)/\(f)")
            }
        }
        return out
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
    func modelCardDescribesAColourModel() throws {
        let r = try TangleBinary.run(["info", model, "--json"], environment: environment(root: nil))
        #expect(r.status == 0, "\(r.stderr)")
        let card = try json(r.stdout)
        let input = try #require((card["architecture"] as? [String: Any])?["input"] as? [String: Int])
        #expect(input == ["height": 32, "width": 32, "channels": 3])
        let profile = try #require(card["profile"] as? [String: Any])
        #expect(profile["name"] as? String == "cifar10" && profile["subfolder"] as? String == "train")
        #expect(profile["polarity"] as? String == "never")
        let weights = try FileManager.default.attributesOfItem(atPath: model + "/model.safetensors")[.size] as? Int ?? .max
        #expect(weights < 10 << 20)
    }

    /// On a lone clone: judging needs the training data (the neighbour index is built from it); the
    /// error names the data and prints the command that puts it where the model looks.
    @Test(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
    func withoutTheDataTheErrorSaysHowToGetIt() throws {
        let work = try TemporaryFolder.make("one")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let image = work + "/x.png"
        try CLIFixtures.write(try CLIFixtures.png(seed: 1, size: 32), to: image)
        let copy = try modelElsewhere(in: work)
        let r = try TangleBinary.run(["classify", "--model", copy, image], environment: environment(root: nil))
        #expect(r.status != 0)
        #expect(r.stderr.contains("cifar10") && r.stderr.contains("tar -xzf train.tar.gz"), "\(r.stderr)")
        #expect(!r.stderr.lowercased().contains("fashion"), "\(r.stderr)")
    }

    @Test(.enabled(if: TangleBinary.available && CIFAR10Data.root != nil, "needs CIFAR-10 as an image folder at $TANGLE_DATA/cifar10 or ~/.local/share/tangle/datasets/cifar10 (see the README)"))
    func everyCommandWorksWithoutFashionMNIST() throws {
        let root = try #require(CIFAR10Data.root)
        let env = environment(root: root)
        let subset = try testSubset(root, perClass: 5)
        let work = try TemporaryFolder.make("cifar-cmds")
        defer { for p in [subset, work] { try? FileManager.default.removeItem(atPath: p) } }
        let model = try modelElsewhere(in: work)

        // Fashion-MNIST really is hidden.
        let hidden = try TangleBinary.run(["evaluate", "--model", TangleBinary.packageRoot + "/models/fashion-mnist"], environment: env)
        #expect(hidden.status != 0 && hidden.stderr.contains("fashion-mnist-hidden-by-the-test"), "\(hidden.stderr)")

        // classify: one record per JPEG, every verdict a known one, from the cold cache the first time.
        let files = ["airplane", "cat", "truck"].map { c in
            "\(subset)/\(c)/" + ((try? FileManager.default.contentsOfDirectory(atPath: "\(subset)/\(c)").sorted().first) ?? "")
        }
        let classify = try TangleBinary.run(["classify", "--model", model] + files, environment: env, timeout: 600)
        #expect(classify.status == 0, "\(classify.stderr)")
        let records = CLIFixtures.lines(classify.stdout)
        #expect(records.count == 3)
        for line in records {
            let rec = try json(String(line))
            #expect(["in-distribution", "outlier", "adversarial"].contains(rec["verdict"] as? String ?? ""))
        }

        // evaluate: accuracy, and the detector report with an outlier folder and an attack.
        let greys = try CLIFixtures.imageFolder(classes: ["a"], perClass: 12)
        let evaluate = try TangleBinary.run(
            ["evaluate", "--model", model, "--test", subset, "--ood", "grey=\(greys)", "--attacks", "fgsm:0.0314", "--attack-count", "20", "--json",
             "--reliability-svg", work + "/reliability.svg"], environment: env, timeout: 300)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let report = try json(evaluate.stdout)
        let accuracy = try #require(report["accuracy"] as? Double)
        #expect(accuracy > 0.5)
        #expect(report["false_flag_rate"] is Double)
        let grey = try #require((report["ood"] as? [String: Any])?["grey"] as? [String: Any])
        #expect(grey["flagged"] is Double)
        #expect(((report["attacks"] as? [String: Any])?["fgsm:0.0314"] as? [String: Any])?["flagged"] is Double)

        // calibrate a copy (one attack to keep it short): thresholds written, the split flagged near the target.
        let copy = work + "/model"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for f in ["model.json", "model.safetensors"] { try FileManager.default.copyItem(atPath: "\(model)/\(f)", toPath: "\(copy)/\(f)") }
        let calibrate = try TangleBinary.run(["calibrate", "--model", copy, "--attacks", "fgsm:0.0314"], environment: env, timeout: 600)
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        #expect(FileManager.default.fileExists(atPath: copy + "/calibration.json"))
        #expect(calibrate.stdout.contains("calibration split flagged"))

        // attack: colour PNGs named with their true class.
        let attackOut = work + "/attacks"
        let attack = try TangleBinary.run(
            ["attack", "--model", model, "--test", subset, "--method", "fgsm", "--eps", "0.0314", "--count", "4", "--out", attackOut], environment: env, timeout: 300)
        #expect(attack.status == 0, "\(attack.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: attackOut)) ?? []).filter { $0.hasSuffix(".png") }.count == 4)

        // entanglement on a class folder.
        let entanglement = try TangleBinary.run(["entanglement", "--model", model, "--data", subset, "--json"], environment: env, timeout: 300)
        #expect(entanglement.status == 0, "\(entanglement.stderr)")
        #expect(entanglement.stdout.contains("pool1"))

        // separation with a small index.
        let separation = try TangleBinary.run(["separation", "--model", model, "--train-count", "1000", "--count", "100", "--json"], environment: env, timeout: 600)
        #expect(separation.status == 0, "\(separation.stderr)")
        #expect(separation.stdout.contains("pool2"))

        // watch: seeds its first start from the model's own calibration split, and judges CIFAR-10 JPEGs dropped in.
        let watchRoot = work + "/watch"
        try FileManager.default.createDirectory(atPath: watchRoot + "/inbox", withIntermediateDirectories: true)
        let daemon = try Daemon(["watch", "--root", watchRoot, "--model", model], environment: env)
        defer { daemon.stop() }
        // The first start seeds the empty inbox once the model is loaded; drop files after that.
        let seeded = Date().addingTimeInterval(240)
        while Date() < seeded && daemon.process.isRunning
            && !((try? String(contentsOfFile: watchRoot + "/verdicts.jsonl", encoding: .utf8)) ?? "").contains("\"sample-")
        {
            usleep(200_000)
        }
        for (i, f) in files.enumerated() {
            try FileManager.default.copyItem(atPath: f, toPath: "\(watchRoot)/.drop-\(i).jpg")
            try FileManager.default.moveItem(atPath: "\(watchRoot)/.drop-\(i).jpg", toPath: "\(watchRoot)/inbox/dropped-\(i).jpg")
        }
        let deadline = Date().addingTimeInterval(240)
        var log = ""
        while Date() < deadline && daemon.process.isRunning {
            log = (try? String(contentsOfFile: watchRoot + "/verdicts.jsonl", encoding: .utf8)) ?? ""
            if (0..<3).allSatisfy({ log.contains("dropped-\($0).jpg") }) { break }
            usleep(200_000)
        }
        for i in 0..<3 { #expect(log.contains("\"dropped-\(i).jpg\""), "the daemon judged dropped-\(i).jpg") }
        #expect(log.contains("\"sample-"), "the first start seeded samples")
        daemon.stop()
        #expect(!daemon.stderr().lowercased().contains("fashion-mnist"), "\(daemon.stderr())")

        // bench verdict on the model's own calibration split.
        let bench = try TangleBinary.run(["bench", "verdict", "--model", model, "--batch", "100", "--runs", "1", "--singles", "5", "--reuse-index", "--json"], environment: env, timeout: 600)
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("batch_images_per_second"))

        // status of the root the daemon judged into.
        let status = try TangleBinary.run(["status", "--root", watchRoot, "--json"], environment: env)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("in-distribution"))

        // bench http and bench watch start real daemons on the model, posting and dropping its own photos.
        let http = try TangleBinary.run(
            ["bench", "http", "--model", model, "--requests", "5", "--clients", "2", "--per-client", "2", "--warmup", "1", "--idle", "2",
             "--cache", NSTemporaryDirectory() + "tangle-test-cache/tangle", "--work", work, "--json"], environment: env, timeout: 600)
        #expect(http.status == 0, "\(http.stderr)")
        #expect(http.stdout.contains("requests_per_second"))
        let burst = try TangleBinary.run(
            ["bench", "watch", "--model", model, "--count", "30", "--singles", "2", "--cache", NSTemporaryDirectory() + "tangle-test-cache/tangle",
             "--work", work, "--json"], environment: env, timeout: 600)
        #expect(burst.status == 0, "\(burst.stderr)")
        #expect(burst.stdout.contains("files_per_second"))
    }
}

/// A `tangle` process left running (the daemon), stopped with SIGTERM.
final class Daemon {
    let process = Process()
    let errPath: String

    init(_ arguments: [String], environment: [String: String?]) throws {
        let work = try TemporaryFolder.make("daemon")
        errPath = work + "/stderr"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: TangleBinary.path!)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (name, value) in environment { env[name] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Sends SIGTERM, then SIGKILL after 20 s, and waits for the exit (idempotent).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// What it wrote to standard error so far.
    func stderr() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
}
