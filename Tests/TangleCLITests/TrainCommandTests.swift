import Foundation
import TangleTesting
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
        (["--calibration-count", "10"], "--calibration-count"),  // the last N images: Fashion-MNIST only
        (["--epochs", "0"], "--epochs"),
        (["--width", "0"], "--width"),
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

    /// Colour images at their own size: a colour model of that size, never inverting, whose card
    /// records the data profile; classify judges a colour PNG and a grey one with it.
    @Test func colourImagesMakeAColourModelAtTheirSize() throws {
        let data = try TestImageFolders.colour()
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out + "/colour", "--epochs", "1", "--batch-size", "8", "--no-test"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("input 24x32x3 (from the data); polarity never"), "\(r.stdout)")
        let card = try readCard(out + "/colour")
        let input = (card["architecture"] as? [String: Any])?["input"] as? [String: Int]
        #expect(input == ["height": 24, "width": 32, "channels": 3])
        let profile = try #require(card["profile"] as? [String: Any])
        #expect(profile["polarity"] as? String == "never")
        #expect((profile["arrivals"] as? [String: Any])?["count"] as? Int == 26)
        #expect((profile["augmentation"] as? [String])?.count == 2, "photographs are augmented by default")
        // The lab's commands work on it: evaluate on a class folder, attacks in colour, entanglement on its own split.
        let evaluate = try TangleBinary.run(["evaluate", "--model", out + "/colour", "--test", data, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let figures = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
        #expect((figures?["count"] as? Int) == 26 && (figures?["accuracy"] as? Double).map { (0...1).contains($0) } == true)
        let attack = try TangleBinary.run(["attack", "--model", out + "/colour", "--test", data, "--count", "3", "--out", out + "/attacks"])
        #expect(attack.status == 0, "\(attack.stderr)")
        let attacked = try FileManager.default.contentsOfDirectory(atPath: out + "/attacks").sorted()
        #expect(attacked.count == 3)
        let png = try Data(contentsOf: URL(fileURLWithPath: out + "/attacks/" + attacked[0]))
        #expect(png.count > 26 && png[25] == 2, "colour type 2: RGB")
        let entanglement = try TangleBinary.run(["entanglement", "--model", out + "/colour", "--count", "6", "--json"])
        #expect(entanglement.status == 0, "\(entanglement.stderr)")
        #expect(entanglement.stdout.contains("pool1") && entanglement.stdout.contains("fc2"), "\(entanglement.stdout)")
        // --input overrides the data's shape.
        let small = try TangleBinary.run(["train", "--data", data, "--out", out + "/small", "--epochs", "1", "--batch-size", "8", "--no-test", "--input", "16x16x1"])
        #expect(small.status == 0, "\(small.stderr)")
        #expect(small.stdout.contains("input 16x16x1 (--input)"), "\(small.stdout)")
        let bad = try TangleBinary.run(["train", "--data", data, "--out", out + "/bad", "--input", "16x16x2"])
        #expect(bad.status == 64 && bad.stderr.contains("HxWxC"), "\(bad.stderr)")
    }

    /// `--width 2` trains the reference design at twice its width (another architecture to transfer
    /// attacks from), and judging and attacking work on it.
    @Test func widthMultipliesEveryHiddenLayer() throws {
        let data = try TestImageFolders.colour()
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out + "/wide", "--steps", "2", "--batch-size", "8", "--no-test", "--width", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let layers = try #require((try readCard(out + "/wide")["architecture"] as? [String: Any])?["layers"] as? [[String: Any]])
        #expect(layers.compactMap { $0["filters"] as? Int } == [64, 128], "\(layers)")
        #expect(layers.compactMap { $0["units"] as? Int } == [512, 256, 2], "\(layers)")
        let evaluate = try TangleBinary.run(["evaluate", "--model", out + "/wide", "--test", data, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let attack = try TangleBinary.run(["attack", "--model", out + "/wide", "--test", data, "--count", "2", "--method", "pgd-linf", "--out", out + "/attacks"])
        #expect(attack.status == 0, "\(attack.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/attacks").count == 2)
    }

    /// `--steps` bounds training by optimiser steps (the paper's recipe is 14,000 at batch 256): as
    /// many passes as they take, the last one partial, recorded in the card; and the card's
    /// representations are the architecture's pooling and dense layers, by name.
    @Test func stepsBoundTraining() throws {
        let data = try TestImageFolders.colour()
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try TangleBinary.run(["train", "--data", data, "--out", out + "/m", "--steps", "5", "--batch-size", "8", "--no-test"])
        #expect(r.status == 0, "\(r.stderr)")
        // "5 steps of 8: P passes over the N training images", with P = ceil(5 / floor(N / 8)).
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("5 steps of 8: ") }, "\(r.stdout)")
        let words = line.split(separator: " ")
        let passes = try #require(Int(words[4])), trained = try #require(Int(words[8]))
        #expect(passes == (5 + trained / 8 - 1) / (trained / 8) && passes >= 2)
        let card = try readCard(out + "/m")
        let h = try #require(card["hyperparameters"] as? [String: Any])
        #expect(h["steps"] as? Int == 5 && h["epochs"] as? Int == passes, "\(h)")
        #expect((card["epochs"] as? [Any])?.count == passes)
        #expect(card["representations"] as? [String] == ["pool1", "pool2", "fc1", "fc2", "logits"])
        let zero = try TangleBinary.run(["train", "--data", data, "--out", out + "/z", "--steps", "0"])
        #expect(zero.status == 64 && zero.stderr.contains("--steps"), "\(zero.stderr)")
    }

    /// A run trained in slots (`--stop-after`, then `--resume`) ends with the same weights, logs and
    /// probe figures as a run never stopped: entangled (learned temperatures), augmented (its own
    /// generator), so every piece of carried state is exercised.
    @Test func aResumedRunEndsWhereAnUnbrokenOneDoes() throws {
        let data = try TestImageFolders.colour()
        let out = try TemporaryFolder.make("model")
        defer { for p in [data, out] { try? FileManager.default.removeItem(atPath: p) } }
        // Batch 4: five steps an epoch, so the 20th step writes a training-log line.
        let base = ["train", "--data", data, "--epochs", "4", "--batch-size", "4", "--no-test", "--seed", "3"]
        let whole = try TangleBinary.run(base + ["--out", out + "/whole"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/whole/resume.safetensors"), "a completed run leaves no resume point")

        let first = try TangleBinary.run(base + ["--out", out + "/slots", "--stop-after", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("--resume"), "\(first.stdout)")
        #expect(try readCard(out + "/slots")["status"] as? String == "interrupted")
        #expect(FileManager.default.fileExists(atPath: out + "/slots/resume.safetensors"))
        // Other settings are refused by name, and nothing is changed.
        let other = try TangleBinary.run(base + ["--out", out + "/slots", "--resume", "--learning-rate", "0.01"])
        #expect(other.status != 0 && other.stderr.contains("hyperparameters"), "\(other.stderr)")
        let second = try TangleBinary.run(base + ["--out", out + "/slots", "--resume", "--stop-after", "2"])
        #expect(second.status == 0 && second.stdout.contains("resuming \(out)/slots after epoch 1 of 4"), "\(second.stdout)\(second.stderr)")
        let last = try TangleBinary.run(base + ["--out", out + "/slots", "--resume"])
        #expect(last.status == 0 && last.stdout.contains("after epoch 3 of 4"), "\(last.stdout)\(last.stderr)")

        for file in ["model.safetensors", "training-log.jsonl", "entanglement.jsonl"] {
            let a = FileManager.default.contents(atPath: out + "/whole/" + file)
            let b = FileManager.default.contents(atPath: out + "/slots/" + file)
            #expect(a != nil && a == b, "\(file) is missing or differs between the unbroken and the resumed run")
        }
        let a = try readCard(out + "/whole"), b = try readCard(out + "/slots")
        func canonical(_ value: Any?) -> String {
            value.flatMap { try? JSONSerialization.data(withJSONObject: [$0], options: [.sortedKeys]) }.map { String(decoding: $0, as: UTF8.self) } ?? "nil"
        }
        for key in ["status", "selected_epoch", "weights_sha256", "hyperparameters"] {
            #expect(canonical(a[key]) == canonical(b[key]), "\(key)")
        }
        func figures(_ card: [String: Any]) -> [String] {
            ((card["epochs"] as? [[String: Any]]) ?? []).map { e in
                ["epoch", "train_loss", "train_accuracy", "calibration_loss", "calibration_accuracy"].map { String(describing: e[$0]) }.joined(separator: " ")
            }
        }
        #expect(figures(a).count == 4 && figures(a) == figures(b))
        #expect(canonical(a["objective"]) == canonical(b["objective"]), "the learned temperatures carry over")
        #expect(!FileManager.default.fileExists(atPath: out + "/slots/resume.safetensors"))
        let again = try TangleBinary.run(base + ["--out", out + "/slots", "--resume"])
        #expect(again.status != 0 && again.stderr.contains("no resume.safetensors"), "\(again.stderr)")
    }

    /// The model card in `folder`, as JSON.
    func readCard(_ folder: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/model.json"))) as? [String: Any])
    }
}
