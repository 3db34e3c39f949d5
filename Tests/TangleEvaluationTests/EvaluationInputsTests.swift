import Foundation
import TangleData
import TangleDataSource
import TangleImage
import TangleModelStore
import TangleNetwork
import TangleTesting
import Testing

@testable import TangleEvaluation

@Suite struct EvaluationInputsTests {
    func card(_ input: Shape3, classes: [String], polarity: String, kind: String = "image-folder") -> ModelCard {
        var profile = DataSurvey.profile(name: "x", digest: "", arrivals: [])
        profile.polarity = polarity
        var c = ModelCard.forIntake(input: input, profile: profile)
        c.classNames = classes
        c.data = DataSource(kind: kind, directory: "/nonexistent", files: [], calibration: CalibrationSplit(rule: "stratified", count: 0))
        return c
    }

    @Test("A class folder is a test set, its classes mapped by name onto the model's; an unknown class is refused")
    func classFolder() throws {
        let root = try TestImageFolders.colour(count: 3)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let colour = card(Shape3(height: 24, width: 32, channels: 3), classes: ["blue", "green", "red"], polarity: "never")
        let test = try EvaluationInputs.test(card: colour, path: root, data: nil)
        #expect(test.count == 8 && test.channels == 3 && test.classNames == ["blue", "green", "red"])
        #expect(Set(test.labels) == [1, 2])  // green and red, never blue
        let other = card(Shape3(height: 24, width: 32, channels: 3), classes: ["cat", "dog"], polarity: "never")
        #expect(throws: EvaluationError.self) { try EvaluationInputs.test(card: other, path: root, data: nil) }
        // A model trained on an image folder has no default test set: the error says what to pass.
        do {
            _ = try EvaluationInputs.test(card: colour, path: nil, data: nil)
            Issue.record("expected an error")
        } catch let e as EvaluationError {
            #expect(e.description.contains("--test"))
        }
    }

    @Test("Any folder of images is an outlier set at the model's input, through the intake (grey into colour, other sizes)")
    func imageFolderOutliers() throws {
        let root = NSTemporaryDirectory() + "tangle-ood-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try PNG.writeGray([UInt8](repeating: 200, count: 28 * 28), width: 28, height: 28, to: root + "/a.png")
        try Data(try PNG.encode([UInt8](repeating: 90, count: 50 * 40 * 3), width: 50, height: 40, layout: .rgb)).write(to: URL(fileURLWithPath: root + "/sub/b.png"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/notes.txt"))
        let colour = card(Shape3(height: 32, width: 32, channels: 3), classes: ["a", "b"], polarity: "never")
        let set = try EvaluationInputs.outliers(root, card: colour)
        #expect(set.count == 2 && set.rows == 32 && set.columns == 32 && set.channels == 3)
        // The grey digit-like image: 200 replicated in three channels, centred, never inverted.
        #expect(set.pixels[(16 * 32 + 16) * 3] == 200 && set.pixels[(16 * 32 + 16) * 3 + 2] == 200)
    }

    @Test("IDX grey images of the model's size pass unchanged into a grey model unless the intake would invert them")
    func idxOutliers() throws {
        let root = NSTemporaryDirectory() + "tangle-idx-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Two 4x4 images, dark borders with a bright centre.
        var bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4]
        let image: [UInt8] = [0, 0, 0, 0, 0, 255, 200, 0, 0, 100, 50, 0, 0, 0, 0, 0]
        bytes += image + image
        let file = root + "/t10k-images-idx3-ubyte"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let grey = card(Shape3(height: 4, width: 4, channels: 1), classes: ["a", "b"], polarity: "invert-light-border", kind: "fashion-mnist")
        let set = try EvaluationInputs.outliers(file, card: grey)
        #expect(set.pixels == image + image)
        #expect(try EvaluationInputs.outliers(root, card: grey).pixels == image + image)
        // A colour model takes them through the intake: replicated into three channels.
        let colour = card(Shape3(height: 4, width: 4, channels: 3), classes: ["a", "b"], polarity: "never")
        let c = try EvaluationInputs.outliers(file, card: colour)
        #expect(c.channels == 3 && Array(c.pixels[15..<18]) == [255, 255, 255])
    }

    @Test("An attack set takes each image's true class from its name, dashes in class and method included; other names and unknown classes are refused")
    func attackSet() throws {
        let folder = NSTemporaryDirectory() + "tangle-attack-set-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let grey = card(Shape3(height: 8, width: 8, channels: 1), classes: ["T-shirt/top", "Ankle boot", "pgd"], polarity: "invert-light-border")
        let png = try PNG.encode([UInt8](repeating: 40, count: 64), width: 8, height: 8, layout: .gray)
        let names = ["00003-T-shirt-top-pgd-l2-2.0.png", "00004-Ankle-boot-fgsm-0.1.png", "00010-pgd-pgd-linf-0.05.png", "00011-T-shirt-top-bim-1e-05.png"]
        for n in names { try Data(png).write(to: URL(fileURLWithPath: "\(folder)/\(n)")) }
        let set = try EvaluationInputs.attackSet(folder, card: grey)
        #expect(set.count == 4 && set.rows == 8)
        // allFiles sorts by name: 00003, 00004, 00010, 00011.
        #expect(set.labels == [0, 1, 2, 0])
        #expect(EvaluationInputs.attackFileLabel("00001-Bag-pgd-linf-0.1.png") == "Bag")
        for bad in ["Bag-fgsm-0.1.png", "00001-fgsm-0.1.png", "00001-Bag-fgsm-x.png", "00001-Bag-fgsm-0.1.jpg", "00001-Bag-cw-0.1.png"] {
            #expect(EvaluationInputs.attackFileLabel(bad) == nil, "\(bad)")
        }
        try Data(png).write(to: URL(fileURLWithPath: "\(folder)/00012-Sandal-fgsm-0.1.png"))
        #expect(throws: EvaluationError.self) { try EvaluationInputs.attackSet(folder, card: grey) }
        try FileManager.default.removeItem(atPath: "\(folder)/00012-Sandal-fgsm-0.1.png")
        try Data(png).write(to: URL(fileURLWithPath: "\(folder)/notes.png"))
        do {
            _ = try EvaluationInputs.attackSet(folder, card: grey)
            Issue.record("expected an error")
        } catch let e as EvaluationError {
            #expect(e.description.contains("notes.png") && e.description.contains("<index>-<class>-<method>-<eps>.png"), "\(e)")
        }
    }
}

