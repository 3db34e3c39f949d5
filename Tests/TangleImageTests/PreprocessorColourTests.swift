import Testing

@testable import TangleImage

@Suite struct PreprocessorColourTests {
    @Test("A colour model keeps RGB (channels interleaved), replicates grey and composites alpha per channel")
    func colour() throws {
        let rgb = try DecodedImage(width: 2, height: 1, layout: .rgb, format: .png, samples: [255, 0, 51, 0, 102, 255])
        let p = Preprocessor(rows: 1, columns: 2, channels: 3, polarity: .never).process(rgb)
        #expect(p.channels == 3 && p.bytes == [255, 0, 51, 0, 102, 255])
        #expect(!p.convertedToLuma)
        let grey = try DecodedImage(width: 2, height: 1, layout: .gray, format: .png, samples: [10, 200])
        #expect(Preprocessor(rows: 1, columns: 2, channels: 3, polarity: .never).process(grey).bytes == [10, 10, 10, 200, 200, 200])
        let rgba = try DecodedImage(width: 1, height: 1, layout: .rgba, format: .png, samples: [200, 100, 50, 128])
        let composited = Preprocessor(rows: 1, columns: 1, channels: 3, polarity: .never).process(rgba).pixels
        for (value, sample) in zip(composited, [200, 100, 50] as [Float]) { #expect(abs(value - sample / 255 * 128 / 255) < 1e-6) }
        // A grey model still takes luma.
        let luma = Preprocessor(rows: 1, columns: 2, channels: 1, polarity: .never).process(rgb)
        #expect(luma.channels == 1 && luma.pixels.count == 2 && luma.convertedToLuma)
    }

    @Test("Resizing and padding act on every channel alike")
    func resize() throws {
        // 4x2 of pure red becomes 2x1 content centred in 2x2, padding black.
        let red = try DecodedImage(width: 4, height: 2, layout: .rgb, format: .png, samples: [UInt8]((0..<8).flatMap { _ in [255, 0, 0] as [UInt8] }))
        let p = Preprocessor(rows: 2, columns: 2, channels: 3, polarity: .never).process(red)
        #expect(p.pixels.count == 12)
        let redPixels = stride(from: 0, to: 12, by: 3).filter { p.pixels[$0] == 1 && p.pixels[$0 + 1] == 0 && p.pixels[$0 + 2] == 0 }.count
        let black = stride(from: 0, to: 12, by: 3).filter { p.pixels[$0] == 0 && p.pixels[$0 + 1] == 0 && p.pixels[$0 + 2] == 0 }.count
        #expect(redPixels == 2 && black == 2)
    }
}
