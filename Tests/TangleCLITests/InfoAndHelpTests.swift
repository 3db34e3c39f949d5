import Foundation
import TangleImage
import TangleSeparation
import Testing

/// `tangle info`, `tangle separation`'s table, misspelt commands, and messages that name real options.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct InfoAndHelpTests {
    /// A model folder whose card names an image folder of `count` files (the shipped card, weights and calibration otherwise).
    func imageFolderModel(files count: Int) throws -> String {
        let folder = try TemporaryFolder.make("info")
        var card = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLIFixtures.shippedModel + "/model.json"))) as! [String: Any]
        var data = card["data"] as! [String: Any]
        data["kind"] = "image-folder"
        data["directory"] = "/data/photos"
        data["files"] = (0..<count).map { ["path": "/data/photos/class\($0 % 10)/\($0).png", "sha256": String(repeating: String($0 % 10), count: 64)] }
        data["calibration"] = ["rule": "stratified", "count": count / 10, "seed": 0, "fraction": 0.1]
        card["data"] = data
        try JSONSerialization.data(withJSONObject: card).write(to: URL(fileURLWithPath: folder + "/model.json"))
        // info validates the model it opens: the weights are there too.
        for name in ["calibration.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: CLIFixtures.shippedModel + "/" + name, toPath: folder + "/" + name)
        }
        return folder
    }

    /// Before: one line per training file (3,021 for a real folder), and no calibration.
    @Test func infoSummarisesTheTrainingFilesAndShowsTheCalibration() throws {
        let model = try imageFolderModel(files: 300)
        defer { try? FileManager.default.removeItem(atPath: model) }
        let r = try TangleBinary.run(["info", model])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(CLIFixtures.lines(r.stdout).count < 60, "\(r.stdout)")
        #expect(!r.stdout.contains("/data/photos/class3/3.png"))
        #expect(r.stdout.contains("300 files"))
        #expect(r.stdout.contains("list digest"))
        #expect(r.stdout.contains("target false-flag rate 0.05"), "\(r.stdout)")
        // The shipped calibration's own figures, as info prints them.
        let calibration = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLIFixtures.shippedModel + "/calibration.json"))) as? [String: Any])
        let threshold = try #require(calibration["verdict_threshold"] as? Double)
        let flagged = try #require((calibration["achieved"] as? [String: Any])?["calibration_flagged"] as? [String: Any])
        #expect(r.stdout.contains(String(format: "verdict threshold %.3f", threshold)), "\(r.stdout)")
        #expect(r.stdout.contains("calibration split flagged \(flagged["count"] as? Int ?? -1)/\(flagged["total"] as? Int ?? -1)"), "\(r.stdout)")
        let all = try TangleBinary.run(["info", model, "--files"])
        #expect(all.stdout.contains("/data/photos/class3/3.png"))
        #expect(CLIFixtures.lines(all.stdout).count > 300)
    }

    @Test func infoSaysWhenAModelIsNotCalibrated() throws {
        let model = try imageFolderModel(files: 3)
        defer { try? FileManager.default.removeItem(atPath: model) }
        try FileManager.default.removeItem(atPath: model + "/calibration.json")
        let r = try TangleBinary.run(["info", model])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("not calibrated"), "\(r.stdout)")
    }

    /// Before: "Error: 2 unexpected arguments: 'clasify', 'x'".
    @Test func aMisspeltCommandIsNamed() throws {
        let r = try TangleBinary.run(["clasify", "x"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("did you mean 'tangle classify'?"), "\(r.stderr)")
        let nested = try TangleBinary.run(["bench", "verdcit"])
        #expect(nested.status == 64)
        #expect(nested.stderr.contains("did you mean 'tangle bench verdict'?"), "\(nested.stderr)")
        let far = try TangleBinary.run(["zzzzzzzz"])
        #expect(far.status == 64)
        #expect(far.stderr.contains("classify") && !far.stderr.contains("did you mean"), "\(far.stderr)")
        // Known commands, options and help still reach the parser.
        #expect(try TangleBinary.run(["help", "classify"]).status == 0)
        #expect(try TangleBinary.run(["--version"]).status == 0)
    }

    /// Before: "downscale the image, or raise the pixel limit", which no option did.
    @Test func thePixelLimitMessageNamesTheOption() throws {
        let png = try CLIFixtures.png(seed: 3, size: 40)
        #expect {
            _ = try ImageDecoder(limits: DecodeLimits(maxPixels: 1000)).decode(png)
        } throws: { error in
            "\(error)".contains("--max-pixels")
        }
    }
}

/// `tangle separation`'s table.
@Suite struct SeparationTableTests {
    /// Before: the sets were deduplicated through `NSOrderedSet`, which on Linux keeps every boxed
    /// string, so the table had 25 columns: its five sets five times.
    @Test func everySetIsOneColumn() {
        let layers = ["pool1", "pool2", "fc1", "fc2"]
        let sets = ["shuffled", "inverted", "blurred", "fgsm 0.1", "bim 0.1"]
        var figures: [Separation.Figure] = []
        for layer in layers + ["max"] {
            for (i, set) in sets.enumerated() { figures.append(Separation.Figure(set: set, layer: layer, auroc: 0.9 + 0.01 * Double(i), tprAt5: 0.5)) }
        }
        let lines = Separation.table(figures, layers: layers).split(separator: "\n")
        #expect(lines.count == 2 + layers.count + 1)
        for set in sets { #expect(lines[1].components(separatedBy: set).count == 2, "\(lines[1])") }
        for row in lines.dropFirst(2) { #expect(row.components(separatedBy: "(0.50)").count == sets.count + 1, "\(row)") }
    }
}
