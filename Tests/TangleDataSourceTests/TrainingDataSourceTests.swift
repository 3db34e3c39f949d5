import Foundation
import Testing
import TangleData
import TangleImage
import TangleModelStore
import TangleNetwork
@testable import TangleDataSource

/// A folder of three classes of 28x28 PNGs (bright bars in different places on black), 20 each,
/// plus a file that is not an image and a hidden file.
func makeImageFolder() throws -> String {
    let root = NSTemporaryDirectory() + "tangle-folder-\(UUID().uuidString)"
    for (c, name) in ["bottom", "left", "top"].enumerated() {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<20 {
            var px = [UInt8](repeating: 0, count: 28 * 28)
            for y in 0..<28 {
                for x in 0..<28 {
                    let on = c == 0 ? y > 20 : c == 1 ? x < 7 : y < 7
                    if on { px[y * 28 + x] = UInt8(180 + (i * 3 + x + y) % 70) }
                }
            }
            try PNG.writeGray(px, width: 28, height: 28, to: "\(dir)/\(i).png")
        }
    }
    _ = FileManager.default.createFile(atPath: root + "/left/notes.png", contents: Data("not an image".utf8))
    _ = FileManager.default.createFile(atPath: root + "/top/.hidden.png", contents: Data())
    return root
}

@Suite struct TrainingDataSourceTests {
    @Test func stratifiedSplitTakesTheFractionOfEveryClassReproducibly() {
        let labels: [Int32] = (0..<100).map { Int32($0 % 4) } + [9]  // class 9 has one image: never held out
        let a = TrainingDataSource.stratified(labels: labels, fraction: 0.1, seed: 3)
        #expect(a == TrainingDataSource.stratified(labels: labels, fraction: 0.1, seed: 3))
        #expect(a != TrainingDataSource.stratified(labels: labels, fraction: 0.1, seed: 4))
        for c: Int32 in 0..<4 { #expect(a.filter { labels[$0] == c }.count == 3) }  // 0.1 × 25 = 2.5, rounded half away from zero
        #expect(!a.contains(100))
        // Dealt out class by class: any prefix holds every class (an image folder is read class by
        // class, so ascending order would make a probe batch of one class, whose SNNL is 0).
        let sortedByClass: [Int32] = (0..<4).flatMap { c in [Int32](repeating: Int32(c), count: 25) }
        let b = TrainingDataSource.stratified(labels: sortedByClass, fraction: 0.2, seed: 1)
        #expect(b.prefix(4).map { sortedByClass[$0] } == [0, 1, 2, 3])
        #expect(Set(b).count == 20 && b.prefix(8).map { sortedByClass[$0] } == [0, 1, 2, 3, 0, 1, 2, 3])
    }

    @Test func imageFoldersLoadWithASkipReportAndReopenWithTheSameSplit() throws {
        let root = try makeImageFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(TrainingDataSource.kind(of: root) == "image-folder")
        let loaded = try TrainingDataSource.loadForTraining(
            directory: root, calibrationCount: 0, calibrationFraction: 0.1, seed: 5, withTest: true)
        #expect(loaded.set.images.classNames == ["bottom", "left", "top"])
        #expect(loaded.set.images.count == 60)
        #expect(loaded.set.calibrationIndices.count == 6)
        #expect(loaded.test == nil)
        #expect(loaded.skipped.contains { $0.path.hasSuffix("notes.png") })
        #expect(loaded.source.kind == "image-folder" && loaded.source.fileCount == loaded.set.images.count && loaded.source.files.isEmpty)  // the images read (the undecodable file is skipped): counted, not listed
        #expect(loaded.source.calibration.rule == "stratified" && loaded.source.calibration.fraction == 0.1)
        let card = ModelCard(
            name: "t", toolVersion: "test", created: "now", architecture: .reference(classes: 3), representations: ["fc1"],
            preprocessing: .fashionMNIST, classNames: loaded.set.images.classNames, data: loaded.source,
            hyperparameters: Hyperparameters(batchSize: 8, learningRate: 1e-3, epochs: 1, seed: 5))
        let again = try TrainingDataSource.open(card: card, override: nil)
        #expect(again.set.calibrationIndices == loaded.set.calibrationIndices)
        #expect(again.set.images.pixels == loaded.set.images.pixels)
        #expect(try TrainingDataSource.digests(card: card, override: nil) == loaded.digests)
        // A changed folder no longer gives the recorded split, and says so.
        for i in 0..<10 { unlink("\(root)/top/\(i).png") }
        #expect(throws: DataError.self) { try TrainingDataSource.open(card: card, override: nil) }
    }

    /// Fashion-MNIST holds out its last images by default (the reference's split), or a seeded
    /// stratified fraction of every class when one is given; either reopens from the card.
    @Test func fashionMNISTHoldsOutTheLastImagesOrAStratifiedFraction() throws {
        let root = NSTemporaryDirectory() + "tangle-fmnist-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // 40 images of 4x4, labels 0–3 in turn.
        var images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 40, 0, 0, 0, 4, 0, 0, 0, 4]
        for i in 0..<40 { images += (0..<16).map { UInt8(($0 * 13 + i * 7) % 256) } }
        try Data(images).write(to: URL(fileURLWithPath: root + "/train-images-idx3-ubyte"))
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 40] + (0..<40).map { UInt8($0 % 4) }
        try Data(labels).write(to: URL(fileURLWithPath: root + "/train-labels-idx1-ubyte"))
        #expect(TrainingDataSource.kind(of: root) == "fashion-mnist")

        let last = try TrainingDataSource.loadForTraining(directory: root, calibrationCount: 5, calibrationFraction: nil, seed: 2, withTest: false)
        #expect(last.set.calibrationIndices == Array(35..<40) && last.set.trainIndices == Array(0..<35))
        #expect(last.source.calibration.rule == "last")

        let strat = try TrainingDataSource.loadForTraining(directory: root, calibrationCount: 5, calibrationFraction: 0.2, seed: 2, withTest: false)
        let held = strat.set.calibrationIndices
        #expect(held.count == 8 && Set(held).count == 8)
        for c: Int32 in 0..<4 { #expect(held.filter { strat.set.images.labels[$0] == c }.count == 2) }
        #expect(Set(held).isDisjoint(with: strat.set.trainIndices) && held.count + strat.set.trainIndices.count == 40)
        #expect(strat.source.calibration.rule == "stratified" && strat.source.calibration.fraction == 0.2 && strat.source.calibration.seed == 2)

        for loaded in [last, strat] {
            let card = ModelCard(
                name: "t", toolVersion: "test", created: "now", architecture: .reference(classes: 10), representations: ["fc1"],
                preprocessing: .fashionMNIST, classNames: loaded.set.images.classNames, data: loaded.source,
                hyperparameters: Hyperparameters(batchSize: 8, learningRate: 1e-3, epochs: 1, seed: 2))
            let again = try TrainingDataSource.open(card: card, override: nil)
            #expect(again.set.calibrationIndices == loaded.set.calibrationIndices && again.set.trainIndices == loaded.set.trainIndices)
        }
    }
}
