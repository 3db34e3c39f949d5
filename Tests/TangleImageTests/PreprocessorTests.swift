import Foundation
import Testing
import TangleImage

@Suite struct PreprocessorTests {
    let prep = Preprocessor(rows: 28, columns: 28)

    /// A 28x28 grey image, dark border, light object.
    static func fashionLike() -> [UInt8] {
        (0..<(28 * 28)).map { i in
            let (x, y) = (i % 28, i / 28)
            return (4..<24).contains(x) && (4..<24).contains(y) ? UInt8((x * 13 + y * 7) % 256) : UInt8(i % 3)
        }
    }

    @Test func greyImageOfTheInputSizeIsIdentity() throws {
        let px = Self.fashionLike()
        let image = try ImageDecoder().decode(try PNG.encode(px, width: 28, height: 28, layout: .gray))
        let out = prep.process(image)
        #expect(out.pixels == px.map { Float($0) / 255 })
        #expect(out.bytes == px)
        #expect(out.transformations.isEmpty)
        #expect(!out.inverted && !out.resized && !out.padded)
    }

    @Test func lumaIsBT601() throws {
        let image = try DecodedImage(width: 28, height: 28, layout: .rgb, format: .png, samples: [UInt8](repeating: 0, count: 28 * 28 * 3).enumerated().map { $0.offset % 3 == 0 ? 255 : 0 })
        let out = Preprocessor(rows: 28, columns: 28, polarity: .never).process(image)
        #expect(out.pixels.allSatisfy { abs($0 - 0.299) < 1e-6 })
        #expect(out.transformations == ["luma"])
        let g = try DecodedImage(width: 1, height: 1, layout: .rgb, format: .jpeg, samples: [10, 200, 30])
        let one = Preprocessor(rows: 1, columns: 1, polarity: .never).process(g)
        #expect(abs(one.pixels[0] - Float(0.299 * 10 + 0.587 * 200 + 0.114 * 30) / 255) < 1e-6)
    }

    @Test func alphaIsCompositedOnTheBackground() throws {
        let samples: [UInt8] = [200, 0, 200, 255, 200, 128, 200, 255]
        let image = try DecodedImage(width: 2, height: 2, layout: .grayAlpha, format: .png, samples: samples)
        let black = Preprocessor(rows: 2, columns: 2, polarity: .never).process(image)
        #expect(black.pixels[0] == 0)
        #expect(abs(black.pixels[1] - 200 / 255) < 1e-6)
        #expect(abs(black.pixels[2] - 200.0 / 255 * 128 / 255) < 1e-6)
        #expect(black.alphaComposited)
        let grey = Preprocessor(rows: 2, columns: 2, background: 0.5, polarity: .never).process(image)
        #expect(abs(grey.pixels[0] - 0.5) < 1e-6)
        let rgba = try DecodedImage(width: 1, height: 1, layout: .rgba, format: .png, samples: [255, 255, 255, 0])
        #expect(Preprocessor(rows: 1, columns: 1, polarity: .never).process(rgba).pixels == [0])
    }

    @Test func resizeKeepsAspectAndPadsWithTheBackground() throws {
        // 56x28 checkerboard: every 2x2 block averages to 0.5; content 28x14, 7 rows of padding above and below.
        let px = (0..<(56 * 28)).map { i in UInt8(((i % 56) + (i / 56)) % 2 == 0 ? 255 : 0) }
        let image = try DecodedImage(width: 56, height: 28, layout: .gray, format: .png, samples: px)
        let out = Preprocessor(rows: 28, columns: 28, polarity: .never).process(image)
        #expect(out.contentWidth == 28 && out.contentHeight == 14)
        #expect(out.resized && out.padded)
        #expect(out.transformations == ["resized from 56x28 to 28x14", "padded to 28x28"])
        for y in 0..<28 {
            for x in 0..<28 {
                let v = out.pixels[y * 28 + x]
                if (7..<21).contains(y) { #expect(abs(v - 0.5) < 1e-6) } else { #expect(v == 0) }
            }
        }
        let tall = try DecodedImage(width: 10, height: 40, layout: .gray, format: .png, samples: [UInt8](repeating: 100, count: 400))
        let t = Preprocessor(rows: 28, columns: 28, background: 0.25, polarity: .never).process(tall)
        #expect(t.contentWidth == 7 && t.contentHeight == 28)
        #expect(t.pixels[0] == 0.25 && abs(t.pixels[14] - 100 / 255) < 1e-5)
    }

    /// Crop: an image of another aspect ratio loses its edges, never gains padding; the centre is
    /// exactly what a square image of it would give.
    @Test func cropKeepsTheCentreAndPadsNothing() throws {
        // 84x28: left third 0, centre third a 28x28 pattern, right third 255.
        let pattern = Self.fashionLike()
        let px = (0..<(84 * 28)).map { i -> UInt8 in
            let (x, y) = (i % 84, i / 84)
            return x < 28 ? 0 : x < 56 ? pattern[y * 28 + x - 28] : 255
        }
        var crop = Preprocessor(rows: 28, columns: 28, polarity: .never)
        crop.resize = .crop
        let out = crop.process(try DecodedImage(width: 84, height: 28, layout: .gray, format: .png, samples: px))
        #expect(out.bytes == pattern)
        #expect(out.cropped && !out.resized && !out.padded)
        #expect(out.transformations == ["cropped to the centre 28x28 of 84x28"])
        // Tall: the centre 30x30 of 30x90, resized to 28x28; a square input is never cropped.
        let tall = crop.process(try DecodedImage(width: 30, height: 90, layout: .gray, format: .png, samples: [UInt8](repeating: 90, count: 2700)))
        #expect(tall.cropWidth == 30 && tall.cropHeight == 30 && tall.contentWidth == 28 && !tall.padded)
        #expect(tall.transformations == ["cropped to the centre 30x30 of 30x90", "resized from 30x30 to 28x28"])
        #expect(tall.pixels.allSatisfy { abs($0 - 90 / 255) < 1e-5 })
        let square = crop.process(try DecodedImage(width: 40, height: 40, layout: .gray, format: .png, samples: [UInt8](repeating: 9, count: 1600)))
        #expect(!square.cropped && square.resized)
    }

    @Test func areaAveragingPreservesTheMean() throws {
        var state: UInt32 = 12345
        let px = (0..<(37 * 23)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        let image = try DecodedImage(width: 37, height: 23, layout: .gray, format: .png, samples: px)
        for (rows, columns) in [(28, 28), (5, 9), (64, 64)] {
            let out = Preprocessor(rows: rows, columns: columns, polarity: .never).process(image)
            let (cw, ch) = (out.contentWidth, out.contentHeight)
            let top = (rows - ch) / 2
            let left = (columns - cw) / 2
            var sum: Double = 0
            for y in 0..<ch { for x in 0..<cw { sum += Double(out.pixels[(top + y) * columns + left + x]) } }
            let inMean = px.reduce(0.0) { $0 + Double($1) } / Double(px.count) / 255
            #expect(abs(sum / Double(cw * ch) - inMean) < 1e-4, "\(rows)x\(columns)")
        }
    }

    @Test func polarity() throws {
        // Dark object on a white border: a product photo.
        let px = (0..<(28 * 28)).map { i in (10..<18).contains(i % 28) && (10..<18).contains(i / 28) ? UInt8(20) : 255 }
        let image = try DecodedImage(width: 28, height: 28, layout: .gray, format: .png, samples: px)
        let auto = prep.process(image)
        #expect(auto.inverted && auto.borderMean == 1)
        #expect(auto.pixels[0] == 0 && abs(auto.pixels[14 * 28 + 14] - (1 - 20 / 255)) < 1e-6)
        #expect(auto.transformations == ["inverted"])
        let never = Preprocessor(rows: 28, columns: 28, polarity: .never).process(image)
        #expect(!never.inverted && never.pixels[0] == 1)
        let dark = try DecodedImage(width: 28, height: 28, layout: .gray, format: .png, samples: Self.fashionLike())
        #expect(!prep.process(dark).inverted)
        let always = Preprocessor(rows: 28, columns: 28, polarity: .always).process(dark)
        #expect(always.inverted && always.pixels[0] == 1)
    }

    @Test func inversionDoesNotTurnPaddingWhite() throws {
        let image = try DecodedImage(width: 40, height: 20, layout: .gray, format: .png, samples: [UInt8](repeating: 240, count: 800))
        let out = prep.process(image)
        #expect(out.inverted)
        #expect(out.pixels[0] == 0)  // padding row
        #expect(abs(out.pixels[14 * 28 + 14] - (1 - 240 / 255)) < 1e-5)
    }
}
