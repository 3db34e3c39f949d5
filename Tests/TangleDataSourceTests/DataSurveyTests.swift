import Foundation
import Testing
import TangleData
import TangleImage
import TangleModelStore
import TangleNetwork
import TangleTesting
@testable import TangleDataSource

@Suite struct DataSurveyTests {
    func arrival(_ w: Int, _ h: Int, colour: Double = 0, border: Double = 0, spread: Double = 0) -> ArrivalStatistics {
        ArrivalStatistics(
            width: w, height: h, channels: colour > 0 ? 3 : 1, colourfulness: colour, brightness: 0.5, borderMean: border, borderSpread: spread)
    }

    @Test("The input is the common size, else a square of the median shorter side; colour when 5 % are colourful")
    func inputShape() {
        #expect(DataSurvey.inputShape((0..<10).map { _ in arrival(28, 28) }) == Shape3(height: 28, width: 28, channels: 1))
        #expect(DataSurvey.inputShape((0..<10).map { _ in arrival(32, 32, colour: 0.3) }) == Shape3(height: 32, width: 32, channels: 3))
        // Nine grey, one colourful: 10 % colour.
        #expect(DataSurvey.inputShape((0..<9).map { _ in arrival(32, 24) } + [arrival(32, 24, colour: 0.3)]).channels == 3)
        // A colour file with grey content does not count.
        #expect(DataSurvey.inputShape((0..<10).map { _ in arrival(32, 24, colour: 0.001) }).channels == 1)
        // Photos of many sizes: the median shorter side, within 16...64.
        let photos = [arrival(640, 480), arrival(300, 200), arrival(1024, 768), arrival(50, 40), arrival(120, 90)]
        #expect(DataSurvey.inputShape(photos) == Shape3(height: 64, width: 64, channels: 1))
        #expect(DataSurvey.inputShape([arrival(20, 30), arrival(40, 30), arrival(24, 24)]).height == 24)
    }

    @Test("Uniform dark borders allow inverting light ones, uniform light the reverse, mixed borders forbid it")
    func polarity() {
        let dark = (0..<20).map { _ in arrival(28, 28, border: 0.02, spread: 0.01) }
        let light = (0..<20).map { _ in arrival(28, 28, border: 0.97, spread: 0.02) }
        let photos = (0..<20).map { i in arrival(32, 32, colour: 0.2, border: Double(i) / 20, spread: 0.2) }
        #expect(DataProfile.polarity(for: DataSurvey.borders(dark)) == "invert-light-border")
        #expect(DataProfile.polarity(for: DataSurvey.borders(light)) == "invert-dark-border")
        #expect(DataProfile.polarity(for: DataSurvey.borders(photos)) == "never")
        #expect(DataProfile.polarity(for: DataSurvey.borders(dark + light)) == "never")
        // Before: a ring spread of 0.1 counted Fashion-MNIST's shirts and bags, which touch the edge,
        // as mixed (64 % of its training images), and a model trained on it never inverted.
        let touching = (0..<20).map { i in arrival(28, 28, border: 0.08, spread: i < 19 ? 0.25 : 0.4) }
        #expect(DataProfile.polarity(for: DataSurvey.borders(touching)) == "invert-light-border")
    }

    @Test("Every profile crops an input of another aspect ratio; a card without a profile too, one that records letterbox keeps it")
    func resizePolicy() {
        let profile = DataSurvey.profile(name: "x", digest: "", arrivals: [arrival(28, 28)])
        #expect(profile.resize == "crop")
        var card = ModelCard.forIntake(input: Shape3(height: 28, width: 28, channels: 1), profile: profile)
        #expect(DataSurvey.preprocessor(for: card).resize == .crop)
        card.profile?.resize = "letterbox"
        #expect(DataSurvey.preprocessor(for: card).resize == .letterbox)
        card.profile = nil
        #expect(DataSurvey.preprocessor(for: card).resize == .crop)
    }

    @Test("A colour folder trains at its own size in colour, never inverted, with its arrivals in the profile")
    func colourFolder() throws {
        let root = try TestImageFolders.colour()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let loaded = try TrainingDataSource.loadForTraining(directory: root, calibrationCount: 0, calibrationFraction: 0.2, seed: 1, withTest: false)
        #expect(loaded.input == Shape3(height: 24, width: 32, channels: 3))
        #expect(loaded.set.images.channels == 3 && loaded.set.images.rows == 24 && loaded.set.images.columns == 32)
        #expect(loaded.profile.polarity == "never")
        #expect(!loaded.profile.darkBackground, "photographs: no dark-region evidence")
        #expect(loaded.source.count == loaded.set.images.count && loaded.source.files.isEmpty, "an image folder is counted, not listed")
        #expect(loaded.profile.name == (root as NSString).lastPathComponent)
        #expect(loaded.profile.digest == loaded.digests[0])
        #expect(loaded.profile.arrivals.count == 26 && loaded.profile.arrivals.width.median == 32)
        #expect(loaded.profile.arrivals.colourFraction > 0.9)
        // An image already of the input size passes unchanged, colour and all.
        let file = try ImageDecoder().decode(contentsOf: "\(root)/green/0.png")
        let index = try #require(loaded.set.images.classNames.firstIndex(of: "green"))
        let first = try #require(loaded.set.images.labels.firstIndex(of: Int32(index)))
        let size = loaded.set.images.imageSize
        // Files load in name order within a class: 0.png, 1.png, …, 11.png, grey.png.
        #expect(Array(loaded.set.images.pixels[(first * size)..<((first + 1) * size)]) == file.samples)
        // The grey image is replicated into three equal channels.
        let greyIndex = first + 12
        let grey = Array(loaded.set.images.pixels[(greyIndex * size)..<((greyIndex + 1) * size)])
        let replicated = stride(from: 0, to: grey.count, by: 3).allSatisfy { (i: Int) -> Bool in grey[i] == grey[i + 1] && grey[i] == grey[i + 2] }
        #expect(replicated)
        // --input overrides: 16x16 grey.
        let small = try TrainingDataSource.loadForTraining(
            directory: root, calibrationCount: 0, calibrationFraction: 0.2, seed: 1, input: Shape3(height: 16, width: 16, channels: 1), withTest: false)
        #expect(small.set.images.channels == 1 && small.set.images.rows == 16 && small.input.channels == 1)
    }

    /// Two classes of 28x28 grey objects centred on black (as Fashion-MNIST's): squares and crosses.
    func makeDarkFolder() throws -> String {
        let root = NSTemporaryDirectory() + "tangle-dark-\(UUID().uuidString)"
        for (c, name) in ["square", "cross"].enumerated() {
            let dir = root + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for i in 0..<10 {
                var px = [UInt8](repeating: 0, count: 784)
                for y in 6..<22 {
                    for x in 6..<22 where c == 0 || x == 14 || y == 14 { px[y * 28 + x] = UInt8(150 + i * 10) }
                }
                try PNG.writeGray(px, width: 28, height: 28, to: "\(dir)/\(i).png")
            }
        }
        return root
    }

    @Test("Objects on a dark surround keep Fashion-MNIST's policy; the card's preprocessor inverts a light-bordered input")
    func darkFolder() throws {
        let root = try makeDarkFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let loaded = try TrainingDataSource.loadForTraining(directory: root, calibrationCount: 0, calibrationFraction: 0.1, seed: 5, withTest: false)
        #expect(loaded.input == Shape3(height: 28, width: 28, channels: 1))
        #expect(loaded.profile.polarity == "invert-light-border")
        #expect(loaded.profile.darkBackground)
        let card = ModelCard.forIntake(input: loaded.input, profile: loaded.profile)
        let light = try DecodedImage(width: 28, height: 28, layout: .gray, format: .png, samples: [UInt8](repeating: 250, count: 784))
        func inverts(_ c: ModelCard, _ image: DecodedImage) -> Bool { DataSurvey.preprocessor(for: c).process(image).inverted }
        #expect(inverts(card, light))
        var photoCard = card
        photoCard.profile?.polarity = "never"
        #expect(!inverts(photoCard, light))
        photoCard.profile?.polarity = "invert-dark-border"
        let dark = try DecodedImage(width: 28, height: 28, layout: .gray, format: .png, samples: [UInt8](repeating: 5, count: 784))
        #expect(inverts(photoCard, dark))
        #expect(!inverts(photoCard, light))
        // A card without a profile (written before profiles) inverts light borders, as before.
        photoCard.profile = nil
        #expect(inverts(photoCard, light))
    }
}
