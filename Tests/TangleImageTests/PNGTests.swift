import Foundation
import Testing
import TangleImage

@Suite struct PNGTests {
    @Test func greyImagesRoundTrip() throws {
        let path = NSTemporaryDirectory() + "tangle-\(UUID().uuidString).png"
        defer { unlink(path) }
        let pixels = (0..<(28 * 28)).map { UInt8($0 % 256) }
        try PNG.writeGray(pixels, width: 28, height: 28, to: path)
        let back = try PNG.readGray(path)
        #expect(back.width == 28 && back.height == 28)
        #expect(back.pixels == pixels)
    }

    @Test func badInputIsAnErrorWithAReason() throws {
        let path = NSTemporaryDirectory() + "tangle-\(UUID().uuidString).png"
        defer { unlink(path) }
        #expect(throws: ImageError.self) { try PNG.writeGray([1, 2, 3], width: 2, height: 2, to: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a png at all".utf8))
        #expect(throws: ImageError.self) { try PNG.readGray(path) }
        let good = NSTemporaryDirectory() + "tangle-\(UUID().uuidString).png"
        defer { unlink(good) }
        try PNG.writeGray([UInt8](repeating: 9, count: 64), width: 8, height: 8, to: good)
        let truncated = try Data(contentsOf: URL(fileURLWithPath: good)).prefix(40)
        _ = FileManager.default.createFile(atPath: path, contents: truncated)
        #expect(throws: ImageError.self) { try PNG.readGray(path) }
    }
}
