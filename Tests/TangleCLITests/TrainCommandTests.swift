import Foundation
import Testing

/// `tangle train` refuses what it cannot do well, before it loads data.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct TrainCommandTests {
    /// A folder that already holds a model (card, weights, calibration), with recognisable contents.
    func existingModel() throws -> String {
        let out = try TemporaryFolder.make("model")
        for name in ["model.json", "model.safetensors", "calibration.json"] { try CLIFixtures.write(Array("old \(name)".utf8), to: "\(out)/\(name)") }
        return out
    }

    /// Before: it trained and overwrote the weights and card, leaving the old calibration beside them.
    @Test func refusesAnExistingModelFolderWithoutForce() throws {
        let data = try CLIFixtures.imageFolder()
        let out = try existingModel()
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out, "--epochs", "1", "--batch-size", "8"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--force"), "\(r.stderr)")
        for name in ["model.json", "model.safetensors", "calibration.json"] {
            #expect(try String(contentsOfFile: "\(out)/\(name)", encoding: .utf8) == "old \(name)")
        }
    }

    /// The shipped model is the default --out: a plain `tangle train` in the repository refuses it.
    /// (Batch 256 on 4 images would fail before writing anything, should the refusal ever not come.)
    @Test func theDefaultOutputIsTheShippedModelAndIsRefused() throws {
        let data = try CLIFixtures.imageFolder(perClass: 2)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let r = try TangleBinary.run(["train", "--data", data, "--epochs", "1"], directory: TangleBinary.packageRoot)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("models/fashion-mnist"))
    }

    /// With --force the new weights never sit beside the old calibration (a tiny model: 2 classes x 8 images, one epoch).
    @Test func forceReplacesTheModelAndDropsTheStaleCalibration() throws {
        let data = try CLIFixtures.imageFolder()
        let out = try existingModel()
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out, "--epochs", "1", "--batch-size", "8", "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(out)/calibration.json"))
        #expect(try String(contentsOfFile: "\(out)/model.json", encoding: .utf8) != "old model.json")
        #expect(r.stdout.contains("tangle calibrate"), "\(r.stdout)")
    }

    @Test(arguments: [
        (["--batch-size", "0"], "--batch-size"),
        (["--calibration-fraction", "1.5"], "--calibration-fraction"),
        (["--calibration-fraction", "0"], "--calibration-fraction"),
        (["--epochs", "0"], "--epochs"),
    ])
    func refusesNonsenseSettings(arguments: [String], option: String) throws {
        let data = try CLIFixtures.imageFolder(perClass: 8)
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out + "/new", "--epochs", "1", "--batch-size", "4"] + arguments)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(option), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/new/model.json"))
    }

    /// Before: one class trained to "100 %".
    @Test func refusesAFolderWithOneClass() throws {
        let data = try CLIFixtures.imageFolder(classes: ["only"], perClass: 10)
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out + "/new", "--epochs", "1", "--batch-size", "4"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("one class") && r.stderr.contains("at least two"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/new/model.json"))
    }
}
