import Foundation
import Testing
import TangleNetwork
@testable import TangleModelStore

@Suite struct ModelFolderTests {
    func card(_ arch: Architecture) -> ModelCard {
        ModelCard(
            name: "t", toolVersion: "test", created: "2026-01-01T00:00:00Z", architecture: arch,
            representations: ["h"], preprocessing: .fashionMNIST, classNames: ["a", "b"],
            data: DataSource(kind: "test", directory: "/x", files: [FileDigest(path: "/x/f", sha256: "00")],
                             calibration: CalibrationSplit(rule: "last", count: 1, first: 9)),
            hyperparameters: Hyperparameters(batchSize: 2, learningRate: 1e-3, epochs: 1, seed: 3))
    }

    let arch = Architecture(
        input: Shape3(height: 4, width: 4, channels: 1),
        layers: [.conv2d("c", filters: 2, kernel: 3), .maxpool("h"), .dense("logits", units: 2, activation: .linear)])

    func tempFolder() -> ModelFolder {
        ModelFolder(path: NSTemporaryDirectory() + "tangle-model-\(UUID().uuidString)")
    }

    @Test func weightsAndCardRoundTrip() throws {
        let folder = tempFolder()
        let net = try Network(architecture: arch, seed: 4)
        var c = card(arch)
        c.weightsSHA256 = try folder.writeWeights(net)
        try folder.writeCard(c)
        let (back, loaded) = try folder.loadNetwork()
        #expect(back == c)
        #expect(loaded.parameters.array == net.parameters.array)
        let json = try String(contentsOfFile: folder.cardPath, encoding: .utf8)
        #expect(json.contains("\"weights_sha256\""))
        #expect(json.contains("\"class_names\""))
    }

    @Test func imageFolderDataIsCountedNotListed() throws {
        let source = DataSource(kind: "image-folder", directory: "/d/train", files: [], count: 50_000, calibration: CalibrationSplit(rule: "stratified", count: 5_000, seed: 0, fraction: 0.1))
        let json = String(decoding: try JSONEncoder().encode(source), as: UTF8.self)
        #expect(json.contains("\"files\":[]"), "the key stays for readers of format 1")
        #expect(json.contains("\"count\":50000"))
        let back = try JSONDecoder().decode(DataSource.self, from: Data(json.utf8))
        #expect(back == source && back.fileCount == 50_000)
        // A card that lists its files (IDX data, or older image-folder cards) still reads, and counts them.
        let listed = try JSONDecoder().decode(DataSource.self, from: Data(#"{"kind":"image-folder","directory":"/d","files":[{"path":"a/1.png","sha256":"00"}],"calibration":{"rule":"stratified","count":0}}"#.utf8))
        #expect(listed.fileCount == 1 && listed.count == nil)
    }

    @Test func tamperedWeightsAreRefused() throws {
        let folder = tempFolder()
        let net = try Network(architecture: arch, seed: 4)
        var c = card(arch)
        c.weightsSHA256 = try folder.writeWeights(net)
        try folder.writeCard(c)
        net.parameters[0] += 1
        try folder.writeWeights(net)
        #expect(throws: ModelStoreError.self) { try folder.loadNetwork() }
    }

    @Test func weightsOfAnotherArchitectureAreRefused() throws {
        let folder = tempFolder()
        var other = arch
        other.layers[0].filters = 3
        try folder.writeWeights(try Network(architecture: other, seed: 1))
        try folder.writeCard(card(arch))
        #expect(throws: ModelStoreError.self) { try folder.loadNetwork() }
    }

    @Test func missingFolderSaysWhatToDo() {
        let folder = tempFolder()
        do {
            _ = try folder.readCard()
            Issue.record("expected an error")
        } catch let e as ModelStoreError {
            #expect(e.description.contains("tangle train"))
        } catch { Issue.record("\(error)") }
    }
}
