import Foundation
import TangleNetwork
import Testing

@testable import TangleModelStore

/// The checks a model folder passes when it is opened (`ModelValidation.swift`).
@Suite struct ModelValidationTests {
    let arch = Architecture(
        input: Shape3(height: 4, width: 4, channels: 1),
        layers: [.conv2d("c", filters: 2, kernel: 3), .maxpool("h"), .dense("logits", units: 2, activation: .linear)])

    func card() -> ModelCard {
        ModelCard(
            name: "t", toolVersion: "test", created: "2026-01-01T00:00:00Z", architecture: arch, representations: ["h"],
            preprocessing: .fashionMNIST, classNames: ["a", "b"],
            data: DataSource(kind: "test", directory: "/x", files: [], calibration: CalibrationSplit(rule: "last", count: 1, first: 9)),
            hyperparameters: Hyperparameters(batchSize: 2, learningRate: 1e-3, epochs: 1, seed: 3))
    }

    /// A scratch folder holding a valid model folder `model/` (and room beside it).
    func scratch() throws -> (root: String, folder: ModelFolder, card: ModelCard) {
        let root = NSTemporaryDirectory() + "tangle-validate-\(UUID().uuidString.prefix(8))"
        let folder = ModelFolder(path: root + "/model")
        var c = card()
        c.weightsSHA256 = try folder.writeWeights(try Network(architecture: arch, seed: 4))
        try folder.writeCard(c)
        return (root, folder, c)
    }

    @Test(arguments: [
        ("../../../../etc/passwd", "climbs out"), ("/etc/passwd", "absolute path"), ("sub/model.safetensors", "path with '/'"),
        ("..", "folder"), (".", "folder"), ("", "empty"), ("a\u{0}b", "NUL"), (String(repeating: "x", count: 256), "256 bytes"),
    ])
    func weightsFileNamesOutsideTheFolderAreRefused(name: String, reason: String) {
        #expect(ModelCard.weightsFileProblem(name)?.contains(reason) == true, "\(name): \(String(describing: ModelCard.weightsFileProblem(name)))")
    }

    @Test func plainWeightsFileNamesAreAccepted() {
        for name in ["model.safetensors", "epoch-3.safetensors", "..weights", String(repeating: "x", count: 255)] {
            #expect(ModelCard.weightsFileProblem(name) == nil, "\(name)")
        }
    }

    /// The name is refused before anything is opened: a FIFO outside the folder, which would block
    /// an open, is named by a `..` path and the load returns at once.
    @Test func aWeightsFileOutsideIsRefusedBeforeItIsOpened() throws {
        let (root, folder, c) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkfifo(root + "/outside-fifo", 0o644) == 0)
        for name in ["../outside-fifo", root + "/outside-fifo"] {
            var bad = c
            bad.weightsFile = name
            let e = try #require(throws: ModelStoreError.self) { try folder.loadNetwork(card: bad) }
            guard case .unsafeWeightsFile(_, let n, _) = e else { Issue.record("\(e)"); continue }
            #expect(n == name)
            #expect(e.description.contains("weights_file") && e.description.contains("restore"), "\(e)")
        }
    }

    /// A link (here to a FIFO outside the folder) or a FIFO as the weights file is refused without blocking.
    @Test func aLinkOrAFIFOAsTheWeightsFileIsRefused() throws {
        let (root, folder, _) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkfifo(root + "/outside-fifo", 0o644) == 0)
        try FileManager.default.removeItem(atPath: folder.file("model.safetensors"))
        #expect(symlink(root + "/outside-fifo", folder.file("model.safetensors")) == 0)
        let link = try #require(throws: ModelStoreError.self) { try folder.loadNetwork() }
        #expect(link.description.contains("symbolic link to \(root)/outside-fifo"), "\(link)")
        try FileManager.default.removeItem(atPath: folder.file("model.safetensors"))
        #expect(mkfifo(folder.file("model.safetensors"), 0o644) == 0)
        let fifo = try #require(throws: ModelStoreError.self) { try folder.loadNetwork() }
        #expect(fifo.description.contains("FIFO"), "\(fifo)")
    }

    /// NaN or infinite weights whose SHA-256 matches the card are refused, naming the tensor.
    @Test(arguments: [(Float.nan, "3 NaN values"), (Float.infinity, "3 infinite values")])
    func nonFiniteWeightsAreRefused(value: Float, says: String) throws {
        let (root, folder, c) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let net = try Network(architecture: arch, seed: 4)
        let kernel = try #require(net.layout.entries.first)
        for i in 0..<3 { net.parameters[kernel.offset + i] = value }
        var bad = c
        bad.weightsSHA256 = try folder.writeWeights(net)
        try folder.writeCard(bad)
        let e = try #require(throws: ModelStoreError.self) { try folder.loadNetwork() }
        #expect(e == .nonFiniteWeights(path: folder.file("model.safetensors"), tensor: kernel.name, nan: value.isNaN ? 3 : 0, infinite: value.isNaN ? 0 : 3))
        #expect(e.description.contains("weights tensor \(kernel.name)") && e.description.contains(says), "\(e)")
        #expect(e.description.contains("retrain or restore the model folder"))
    }

    @Test func aCardThatDoesNotFitItsNetworkIsRefused() throws {
        let (root, folder, c) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var classes = c
        classes.classNames = ["a", "b", "c"]
        #expect(try #require(throws: ModelStoreError.self) { try folder.loadNetwork(card: classes) }.description.contains("class_names holds 3"))
        var reps = c
        reps.representations = ["nowhere"]
        #expect(try #require(throws: ModelStoreError.self) { try folder.loadNetwork(card: reps) }.description.contains("'nowhere'"))
        #expect(try folder.loadNetwork().0 == c)
    }

    @Test func writingWeightsUnderAnUnsafeNameIsRefused() throws {
        let folder = ModelFolder(path: NSTemporaryDirectory() + "tangle-validate-\(UUID().uuidString.prefix(8))")
        #expect(throws: ModelStoreError.self) { try folder.writeWeights(try Network(architecture: arch, seed: 1), fileName: "../escape.safetensors") }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
