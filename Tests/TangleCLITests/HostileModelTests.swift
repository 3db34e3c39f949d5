import Foundation
import TangleDigest
import Testing

/// A model folder is validated when `tangle` opens it (issue 12, item 5): a copy of the shipped
/// model with NaN weights, absurd calibration values or a `weights_file` outside the folder is
/// refused with a non-zero exit and its reason, before anything outside the folder is read.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct HostileModelTests {
    /// A scratch folder with a copy of the shipped model in `model/` (card, weights, calibration)
    /// and one small PNG to classify.
    struct Scratch {
        let root: String
        var model: String { root + "/model" }
        var image: String { root + "/in/a.png" }

        init() throws {
            root = try TemporaryFolder.make("hostile-model")
            try FileManager.default.createDirectory(atPath: root + "/model", withIntermediateDirectories: true)
            for name in ["model.json", "model.safetensors", "calibration.json"] {
                try FileManager.default.copyItem(atPath: "\(CLIFixtures.shippedModel)/\(name)", toPath: "\(root)/model/\(name)")
            }
            try CLIFixtures.write(try CLIFixtures.png(seed: 1), to: root + "/in/a.png")
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        /// Edits a JSON file of the model folder in place.
        func edit(_ name: String, _ change: (inout [String: Any]) -> Void) throws {
            let path = "\(model)/\(name)"
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            change(&json)
            try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        }

        /// `tangle classify` of the PNG with this model; also how long it took.
        func classify(timeout: Double = 120) throws -> (TangleBinary.Outcome, Double) {
            let start = Date()
            let r = try TangleBinary.run(["classify", image, "--model", model] + CLIFixtures.cacheArguments, timeout: timeout)
            return (r, Date().timeIntervalSince(start))
        }
    }

    /// Before: the NaN weights were accepted (their SHA-256 matching) and every input was judged
    /// `in-distribution` with probability "nan".
    @Test func nanWeightsAreRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.model + "/model.safetensors")))
        let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as! [String: Any]
        let begin = ((header["conv1.kernel"] as! [String: Any])["data_offsets"] as! [Int])[0] + 8 + headerLength
        let nan = Float.nan.bitPattern.littleEndian
        for i in 0..<3 { withUnsafeBytes(of: nan) { bytes.replaceSubrange((begin + 4 * i)..<(begin + 4 * i + 4), with: $0) } }
        try Data(bytes).write(to: URL(fileURLWithPath: s.model + "/model.safetensors"))
        // The card and the calibration name the new hash, so the hash check passes and the finiteness check is what refuses.
        let digest = SHA256.hex(of: bytes)
        try s.edit("model.json") { $0["weights_sha256"] = digest }
        try s.edit("calibration.json") { $0["weights_sha256"] = digest }
        let (r, _) = try s.classify()
        #expect(r.status != 0, "\(r.stdout.prefix(400))")
        #expect(r.stderr.contains("weights tensor conv1.kernel") && r.stderr.contains("holds 3 NaN values"), "\(r.stderr)")
        #expect(r.stderr.contains("retrain or restore the model folder"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let info = try TangleBinary.run(["info", s.model])
        #expect(info.status != 0 && info.stderr.contains("holds 3 NaN values"), "\(info.stderr)")
    }

    /// Before: each was accepted and judged with (−1e9: everything flagged; 1e308: nothing flagged).
    @Test(arguments: [
        ("verdict_threshold -1e9", "verdict_threshold is -1000000000.0"),
        ("verdict_threshold 1e308", "verdict_threshold is 1e+308"),
        ("k 0", "k is 0"),
        ("layer_thresholds {}", "layer_thresholds has no entry for layer pool1"),
        ("predicted_class_neighbours []", "layer_thresholds.pool1.predicted_class_neighbours holds 0 counts"),
    ])
    func absurdCalibrationValuesAreRefused(edit: String, reason: String) throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.edit("calibration.json") { c in
            switch edit {
            case "verdict_threshold -1e9": c["verdict_threshold"] = -1e9
            case "verdict_threshold 1e308": c["verdict_threshold"] = 1e308
            case "k 0": c["k"] = 0
            case "layer_thresholds {}": c["layer_thresholds"] = [String: Any]()
            default:
                var t = c["layer_thresholds"] as! [String: Any]
                var pool1 = t["pool1"] as! [String: Any]
                pool1["predicted_class_neighbours"] = [Int]()
                t["pool1"] = pool1
                c["layer_thresholds"] = t
            }
        }
        let (r, _) = try s.classify()
        #expect(r.status != 0, "\(edit): \(r.stdout.prefix(400))")
        #expect(r.stderr.contains(reason), "\(edit): \(r.stderr)")
        #expect(r.stderr.contains("run `tangle calibrate --model \(s.model)` again"), "\(r.stderr)")
    }

    /// `k` beyond the training points of the index (60,000 less the calibration split) (checked against the training data, so it needs Fashion-MNIST).
    /// Before: accepted (the search quietly clamped it).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLIFixtures.dataset), "needs Fashion-MNIST in /usr/share/datasets/fashion-mnist"))
    func kBeyondTheIndexIsRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.edit("calibration.json") { $0["k"] = 1_000_000_000 }
        let (r, _) = try s.classify()
        #expect(r.status != 0, "\(r.stdout.prefix(400))")
        // The index holds Fashion-MNIST's 60,000 training images less the shipped model's calibration split.
        let card = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLIFixtures.shippedModel + "/model.json"))) as? [String: Any])
        let held = try #require(((card["data"] as? [String: Any])?["calibration"] as? [String: Any])?["count"] as? Int)
        #expect(r.stderr.contains("k is 1000000000, more than the \(60_000 - held) training points"), "\(r.stderr)")
    }

    /// A `weights_file` outside the folder is refused by its name, before anything is opened. The
    /// outside targets are watched with inotify: a copy of the real weights (which the old code
    /// opened, read and accepted) and a FIFO; neither is opened. Before: `../../../../etc/passwd` was
    /// read and hashed before the hash refused it, `../outside/model.safetensors` was read and judged
    /// with, and an absolute name was looked up under the folder.
    @Test(arguments: ["../../../../etc/passwd", "../outside/model.safetensors", "../outside/fifo", "ABSOLUTE"])
    func aWeightsFileOutsideTheFolderIsRefusedBeforeItIsRead(name: String) throws {
        let s = try Scratch()
        defer { s.remove() }
        try FileManager.default.createDirectory(atPath: s.root + "/outside", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: s.model + "/model.safetensors", toPath: s.root + "/outside/model.safetensors")
        #expect(mkfifo(s.root + "/outside/fifo", 0o644) == 0)
        let weights = name == "ABSOLUTE" ? s.root + "/outside/fifo" : name
        try s.edit("model.json") { $0["weights_file"] = weights }
        let watch = try OpenWatch([s.root + "/outside/model.safetensors", s.root + "/outside/fifo"])
        let (r, seconds) = try s.classify(timeout: 60)
        #expect(watch.opened().isEmpty, "opened outside the folder: \(watch.opened())")
        #expect(seconds < 5, "took \(seconds) s")
        #expect(r.status != 0)
        #expect(r.stderr.contains("weights_file \"\(weights)\" is refused"), "\(r.stderr)")
        #expect(!r.stderr.contains("SHA-256"), "\(r.stderr)")
    }

    /// A weights file that is a symbolic link (here to a FIFO outside the folder) is not followed:
    /// the FIFO is never opened. Before: the link was followed and the FIFO opened.
    @Test func aWeightsFileLinkedOutsideIsNotFollowed() throws {
        let s = try Scratch()
        defer { s.remove() }
        try FileManager.default.createDirectory(atPath: s.root + "/outside", withIntermediateDirectories: true)
        #expect(mkfifo(s.root + "/outside/fifo", 0o644) == 0)
        try FileManager.default.removeItem(atPath: s.model + "/model.safetensors")
        #expect(symlink(s.root + "/outside/fifo", s.model + "/model.safetensors") == 0)
        let watch = try OpenWatch([s.root + "/outside/fifo"])
        let (r, seconds) = try s.classify(timeout: 20)
        #expect(watch.opened().isEmpty, "opened outside the folder: \(watch.opened())")
        #expect(seconds < 5, "took \(seconds) s: the link was followed")
        #expect(r.status != 0)
        #expect(r.stderr.contains("symbolic link to \(s.root)/outside/fifo"), "\(r.stderr)")
    }
}

/// Notices whether files are opened (inotify `IN_OPEN`), to prove that a run never touched them.
final class OpenWatch {
    private let fd: Int32
    private var names: [Int32: String] = [:]

    /// Starts watching `paths`.
    init(_ paths: [String]) throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        for p in paths {
            let wd = inotify_add_watch(fd, p, UInt32(IN_OPEN))
            guard wd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            names[wd] = p
        }
    }

    deinit { close(fd) }

    /// The watched paths opened since the watch started.
    func opened() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var found: [String] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            while offset < n {
                let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                if let p = names[event.wd], !found.contains(p) { found.append(p) }
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
        }
        return found
    }
}
