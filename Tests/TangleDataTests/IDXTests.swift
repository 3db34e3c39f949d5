import Foundation
import Testing
@testable import TangleData

@Suite struct IDXTests {
    let dir: String = {
        let d = NSTemporaryDirectory() + "tangle-idx-\(UUID().uuidString)/"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    func sample(_ n: Int = 3) -> IDX.Images {
        IDX.Images(count: n, rows: 2, columns: 3, pixels: (0..<(n * 6)).map { UInt8($0 * 7 % 256) })
    }

    @Test(arguments: ["images.idx", "images.idx.gz"])
    func roundTripRawAndGzip(name: String) throws {
        try IDX.write(images: sample(), to: dir + name)
        let back = try IDX.readImages(at: dir + name)
        #expect(back.count == 3 && back.rows == 2 && back.columns == 3)
        #expect(back.pixels == sample().pixels)
        try IDX.write(labels: [1, 2, 3], to: dir + name + ".labels")
        #expect(try IDX.readLabels(at: dir + name + ".labels") == [1, 2, 3])
    }

    @Test func badMagicIsExplained() throws {
        try IDX.write(labels: [1, 2], to: dir + "labels.idx")
        #expect(throws: DataError.badMagic(path: dir + "labels.idx", found: 0x801, expected: "image (ubyte, 3 dimensions)")) {
            try IDX.readImages(at: dir + "labels.idx")
        }
    }

    @Test func truncatedFilesAreRefused() throws {
        try IDX.write(images: sample(), to: dir + "full.idx")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "full.idx"))
        for cut in [2, 9, data.count - 1] {
            _ = FileManager.default.createFile(atPath: dir + "cut.idx", contents: data.prefix(cut))
            #expect(throws: DataError.self) { try IDX.readImages(at: dir + "cut.idx") }
        }
        do {
            _ = try IDX.readImages(at: dir + "cut.idx")
        } catch let e as DataError {
            #expect(e == .truncated(path: dir + "cut.idx", expectedBytes: 18, gotBytes: 17))
            #expect(e.description.contains("truncated"))
        }
    }

    @Test func trailingBytesAreRefused() throws {
        try IDX.write(images: sample(), to: dir + "t.idx")
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "t.idx"))
        data.append(0)
        _ = FileManager.default.createFile(atPath: dir + "t.idx", contents: data)
        #expect(throws: DataError.trailingData(path: dir + "t.idx")) { try IDX.readImages(at: dir + "t.idx") }
    }

    @Test func corruptGzipIsAnErrorNotACrash() throws {
        try IDX.write(images: sample(50), to: dir + "c.idx.gz")
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "c.idx.gz"))
        for i in 20..<min(40, data.count) { data[i] ^= 0xA5 }
        _ = FileManager.default.createFile(atPath: dir + "c.idx.gz", contents: data)
        #expect(throws: DataError.self) { try IDX.readImages(at: dir + "c.idx.gz") }
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        let header: [UInt8] = [0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0x10, 0]
        _ = FileManager.default.createFile(atPath: dir + "huge.idx", contents: Data(header))
        #expect(throws: DataError.self) { try IDX.readImages(at: dir + "huge.idx") }
    }

    @Test func missingFilesSayWhatInstallsThem() {
        do {
            _ = try FashionMNIST(directory: dir + "nowhere").training()
            Issue.record("expected an error")
        } catch let e as DataError {
            #expect(e.description.contains("dataset-fashion-mnist"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func imageLabelCountMismatchIsRefused() throws {
        try IDX.write(images: sample(3), to: dir + "i.idx")
        try IDX.write(labels: [0, 1], to: dir + "l.idx")
        #expect(throws: DataError.countMismatch(images: 3, labels: 2, imagesPath: dir + "i.idx", labelsPath: dir + "l.idx")) {
            try IDXDataset.load(images: dir + "i.idx", labels: dir + "l.idx", classNames: ["a", "b"], missingHint: "")
        }
    }

    @Test func outOfRangeLabelsAreRefused() throws {
        try IDX.write(images: sample(2), to: dir + "i2.idx")
        try IDX.write(labels: [0, 5], to: dir + "l2.idx")
        #expect(throws: DataError.labelOutOfRange(path: dir + "l2.idx", index: 1, label: 5, classes: 2)) {
            try IDXDataset.load(images: dir + "i2.idx", labels: dir + "l2.idx", classNames: ["a", "b"], missingHint: "")
        }
    }

    @Test func copyImagesScalesToUnitRange() throws {
        let set = try LabelledImages(rows: 1, columns: 2, pixels: [0, 255, 51, 102], labels: [0, 1], classNames: ["a", "b"])
        var out = [Float](repeating: -1, count: 4)
        out.withUnsafeMutableBufferPointer { set.copyImages([1, 0], into: $0.baseAddress!) }
        #expect(out == [0.2, 0.4, 0, 1])
        #expect(set.subset([1]).labels == [1])
        #expect(set.classCounts == [1, 1])
    }
}

@Suite(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory), "Fashion-MNIST is not installed (scripts/setup.sh installs dataset-fashion-mnist)"))
struct FashionMNISTTests {
    @Test func loadsBothSplitsWithClassNames() throws {
        let source = FashionMNIST()
        let test = try source.test()
        #expect(test.count == 10_000)
        #expect(test.rows == 28 && test.columns == 28)
        #expect(test.classCounts == [Int](repeating: 1000, count: 10))
        #expect(test.classNames[9] == "Ankle boot")
        let files = try source.trainingProvenance()
        #expect(files.count == 2)
        #expect(files.allSatisfy { $0.sha256.count == 64 })
    }
}
