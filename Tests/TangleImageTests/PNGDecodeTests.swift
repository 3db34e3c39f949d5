import Foundation
import Testing
import TangleImage

@Suite struct PNGDecodeTests {
    let decoder = ImageDecoder()

    @Test func grey() throws {
        let px = Fixtures.gradient(width: 5, height: 3, channels: 1)
        let image = try decoder.decode(Fixtures.png8(px, width: 5, height: 3, format: 0))
        #expect(image.width == 5 && image.height == 3 && image.layout == .gray && image.formatName == "png")
        #expect(image.samples == px)
        #expect(!image.hasAlpha)
    }

    @Test func greyAlpha() throws {
        let px = Fixtures.gradient(width: 4, height: 4, channels: 2)
        let image = try decoder.decode(Fixtures.png8(px, width: 4, height: 4, format: 1))
        #expect(image.layout == .grayAlpha && image.hasAlpha)
        #expect(image.samples == px)
    }

    @Test func rgbAndRGBA() throws {
        let rgb = Fixtures.gradient(width: 6, height: 2, channels: 3)
        let a = try decoder.decode(Fixtures.png8(rgb, width: 6, height: 2, format: 2))
        #expect(a.layout == .rgb && a.samples == rgb)
        let rgba = Fixtures.gradient(width: 6, height: 2, channels: 4)
        let b = try decoder.decode(Fixtures.png8(rgba, width: 6, height: 2, format: 3))
        #expect(b.layout == .rgba && b.samples == rgba)
    }

    @Test func paletteIsExpanded() throws {
        let colormap: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let indices: [UInt8] = [0, 1, 2, 3, 3, 2, 1, 0]
        let bytes = indices.withUnsafeBytes { Fixtures.png($0, width: 4, height: 2, format: 2 | 8, colormap: colormap, entries: 4) }
        #expect(bytes[25] == 3)  // IHDR colour type: palette
        let image = try decoder.decode(bytes)
        #expect(image.layout == .rgb)
        for (i, index) in indices.enumerated() {
            #expect(Array(image.samples[(3 * i)..<(3 * i + 3)]) == Array(colormap[(3 * Int(index))..<(3 * Int(index) + 3)]))
        }
    }

    @Test func paletteWithTransparencyHasAlpha() throws {
        let colormap: [UInt8] = [255, 0, 0, 0, 0, 255, 0, 128]
        let indices: [UInt8] = [0, 1, 1, 0]
        let bytes = indices.withUnsafeBytes { Fixtures.png($0, width: 2, height: 2, format: 3 | 8, colormap: colormap, entries: 2) }
        let image = try decoder.decode(bytes)
        #expect(image.layout == .rgba)
        #expect(Array(image.samples[0..<4]) == [255, 0, 0, 0])
        #expect(Array(image.samples[4..<8]) == [0, 255, 0, 128])
    }

    @Test func sixteenBitIsReducedToEightBitSRGB() throws {
        // Linear 16-bit values: libpng writes them with gAMA 1.0, reading back gives sRGB.
        let values: [UInt16] = [0, 65535, 32768, 65535 / 5]
        let bytes = values.withUnsafeBytes { Fixtures.png($0, width: 4, height: 1, format: 4) }
        #expect(bytes[24] == 16)  // IHDR bit depth
        let image = try decoder.decode(bytes)
        #expect(image.layout == .gray)
        #expect(image.samples[0] == 0 && image.samples[1] == 255)
        // sRGB encoding of 0.5 is 188, of 0.2 is 124.
        #expect(abs(Int(image.samples[2]) - 188) <= 3)
        #expect(abs(Int(image.samples[3]) - 124) <= 3)
    }

    @Test func interlaced() throws {
        let bytes = Fixtures.interlacedRGB
        #expect(bytes[28] == 1)  // IHDR interlace method: Adam7
        let image = try decoder.decode(bytes)
        #expect(image.width == 9 && image.height == 7 && image.layout == .rgb)
        for y in 0..<7 {
            for x in 0..<9 {
                let i = 3 * (y * 9 + x)
                #expect(Array(image.samples[i..<(i + 3)]) == Fixtures.interlacedPixel(x: x, y: y))
            }
        }
    }

    @Test func encodeRoundTrips() throws {
        for layout in PixelLayout.allCases {
            let px = Fixtures.gradient(width: 7, height: 3, channels: layout.channels)
            let image = try decoder.decode(try PNG.encode(px, width: 7, height: 3, layout: layout))
            #expect(image.layout == layout && image.samples == px)
        }
    }

    @Test func hugeHeaderIsRefusedByThePixelLimit() throws {
        let bytes = Fixtures.pngHeader(width: 100_000, height: 100_000)
        let rssBefore = FuzzReport.residentBytes()
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode(bytes) }
        #expect(error.kind == .tooManyPixels)
        #expect(error.description.contains("100000x100000"))
        // 10^10 pixels were not allocated.
        #expect(FuzzReport.residentBytes() - rssBefore < 16 << 20)
    }

    @Test func smallFileAnnouncingALargeImageIsRefusedBeforeAllocating() throws {
        // 25 megapixels is within the limit, but 10 bytes of IDAT cannot inflate to 25 MB.
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode(Fixtures.pngHeader(width: 5000, height: 5000)) }
        #expect(error.kind == .truncated)
    }

    @Test func damagedPNGs() throws {
        let good = Fixtures.png8(Fixtures.gradient(width: 16, height: 16, channels: 3), width: 16, height: 16, format: 2)
        let cut = try #require(throws: ImageError.self) { _ = try decoder.decode(Array(good.prefix(good.count - 20))) }
        #expect(cut.kind == .truncated || cut.kind == .corrupt)
        let headerOnly = try #require(throws: ImageError.self) { _ = try decoder.decode(Array(good.prefix(20))) }
        #expect(headerOnly.kind == .truncated || headerOnly.kind == .corrupt)
        var flipped = good
        flipped[40] ^= 0xFF  // inside IDAT: the CRC no longer matches
        let crc = try #require(throws: ImageError.self) { _ = try decoder.decode(flipped) }
        #expect(crc.kind == .corrupt)
    }
}
