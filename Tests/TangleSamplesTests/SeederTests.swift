import Foundation
import TangleData
import TangleImage
import TangleNetwork
import TangleWatch
import Testing

@testable import TangleSamples

@Suite struct SeederTests {
    @Test("Samples come from the given split at the model's input, in colour for a colour model, renamed in whole")
    func colourSamples() throws {
        let root = NSTemporaryDirectory() + "tangle-seed-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = WatchLayout(root: root)
        try FileManager.default.createDirectory(atPath: layout.inbox, withIntermediateDirectories: true)
        let shape = Shape3(height: 12, width: 16, channels: 3)
        let network = try Network(architecture: .reference(input: shape, classes: 3), seed: 1)
        var state: UInt64 = 3
        let n = 30
        let pixels = (0..<(n * shape.size)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let images = try LabelledImages(
            rows: 12, columns: 16, channels: 3, pixels: pixels, labels: (0..<n).map { Int32($0 % 3) }, classNames: ["a", "b", "c"])
        let names = try Seeder.seed(layout, network: network, classNames: images.classNames, images: images)
        #expect(names.count == 12)
        let inbox = try FileManager.default.contentsOfDirectory(atPath: layout.inbox).sorted()
        #expect(inbox == names.sorted())
        #expect(names.filter { $0.contains("-clean-") }.count == 4 && names.filter { $0.contains("-fgsm-0.1-") }.count == 3)
        for name in names {
            let image = try ImageDecoder().decode(contentsOf: "\(layout.inbox)/\(name)")
            #expect(image.width == 16 && image.height == 12 && image.layout == .rgb)
        }
        // The clean samples are the split's images as they are: one per class in turn.
        let first = try ImageDecoder().decode(contentsOf: "\(layout.inbox)/\(names[0])")
        #expect(first.samples == Array(pixels[0..<shape.size]))
        // Nothing but the samples is left in the root (temporary names were renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["inbox"])
        // Images of another shape are refused.
        let grey = try LabelledImages(rows: 12, columns: 16, pixels: [UInt8](repeating: 0, count: 192 * 3), labels: [0, 1, 2], classNames: ["a", "b", "c"])
        #expect(throws: DataError.self) { try Seeder.seed(layout, network: network, classNames: grey.classNames, images: grey) }
    }
}
