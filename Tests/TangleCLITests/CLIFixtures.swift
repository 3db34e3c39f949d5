import Foundation
import TangleImage

/// Small inputs the command-line tests write into temporary folders.
enum CLIFixtures {
    /// The shipped model (read only: tests never write into models/).
    static let shippedModel = "\(TangleBinary.packageRoot)/models/fashion-mnist"

    /// Fashion-MNIST, which judging with the shipped model needs (for its neighbour index).
    static let dataset = "/usr/share/datasets/fashion-mnist"

    /// Whether the shipped model can judge here.
    static var canJudge: Bool { TangleBinary.available && FileManager.default.fileExists(atPath: dataset) }

    /// `--cache` for judging runs: `$TANGLE_TEST_CACHE` when set, else the default cache (shared with the watch tests).
    static var cacheArguments: [String] {
        if let c = ProcessInfo.processInfo.environment["TANGLE_TEST_CACHE"], !c.isEmpty { return ["--cache", c] }
        return []
    }

    /// A `size`x`size` grey PNG whose pixels depend on `seed` (brighter in the middle for odd `seed`s).
    static func png(seed: Int, size: Int = 28) throws -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let pixels = (0..<(size * size)).map { i -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let (y, x) = (i / size, i % size)
            let centre = abs(y - size / 2) < size / 4 && abs(x - size / 2) < size / 4
            return UInt8(truncatingIfNeeded: state >> 58) &+ (centre && seed % 2 == 1 ? 180 : 0)
        }
        return try PNG.encode(pixels, width: size, height: size, layout: .gray)
    }

    /// Writes `bytes` to `path`, making its folder.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// An image folder for training: `DIR/<class>/<n>.png`, `perClass` tiny images per class.
    static func imageFolder(classes: [String] = ["dark", "bright"], perClass: Int = 8) throws -> String {
        let root = try TemporaryFolder.make("images")
        for (c, name) in classes.enumerated() {
            for i in 0..<perClass { try write(try png(seed: 2 * i + c), to: "\(root)/\(name)/\(i).png") }
        }
        return root
    }

    /// Lines of `text` that are not empty.
    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    /// The JSON records `classify` printed, by input name.
    static func recordsByName(_ stdout: String) throws -> [String: [String: Any]] {
        let records = try lines(stdout).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        return Dictionary(uniqueKeysWithValues: records.map { (($0["input"] as! [String: Any])["name"] as! String, $0) })
    }
}
