import Foundation
import Testing
import TangleImage

@Suite struct JPEGDecodeTests {
    let decoder = ImageDecoder()

    static func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    static func meanDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        Double(zip(a, b).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(max(a.count, 1))
    }

    @Test func grey() throws {
        let px = Fixtures.gradient(width: 16, height: 16, channels: 1)
        let image = try decoder.decode(try JPEG.encode(px, width: 16, height: 16, channels: 1, quality: 95))
        #expect(image.width == 16 && image.height == 16 && image.layout == .gray && image.formatName == "jpeg")
        #expect(Self.maxDifference(image.samples, px) <= 12)
        #expect(image.warnings.isEmpty)
    }

    @Test func rgbBaselineAndProgressive() throws {
        let px = Fixtures.gradient(width: 24, height: 16, channels: 3)
        for progressive in [false, true] {
            let bytes = try JPEG.encode(px, width: 24, height: 16, channels: 3, quality: 95, progressive: progressive)
            let image = try decoder.decode(bytes)
            #expect(image.layout == .rgb && image.width == 24 && image.height == 16)
            // The pattern wraps from 255 to 0, and chroma is subsampled: compare on average.
            #expect(Self.meanDifference(image.samples, px) <= 8)
        }
    }

    @Test func greyOutputIsBT601Luma() throws {
        let px = Fixtures.gradient(width: 16, height: 16, channels: 3)
        let bytes = try JPEG.encode(px, width: 16, height: 16, channels: 3, quality: 95)
        let rgb = try JPEG.decode(bytes)
        let grey = try JPEG.decode(bytes, grayscale: true)
        #expect(grey.layout == .gray)
        let luma = (0..<256).map { (i: Int) -> UInt8 in
            let r = Double(rgb.samples[3 * i])
            let g = Double(rgb.samples[3 * i + 1])
            let b = Double(rgb.samples[3 * i + 2])
            return UInt8((0.299 * r + 0.587 * g + 0.114 * b).rounded())
        }
        #expect(Self.maxDifference(grey.samples, luma) <= 3)
    }

    @Test func truncatedInsideTheScanIsRefused() throws {
        let px = Fixtures.gradient(width: 64, height: 64, channels: 3)
        let good = try JPEG.encode(px, width: 64, height: 64, channels: 3)
        for keep in [good.count / 2, good.count - 40, 300] {
            let error = try #require(throws: ImageError.self) { _ = try decoder.decode(Array(good.prefix(keep))) }
            #expect(error.kind == .truncated, "cut at \(keep) of \(good.count): \(error)")
            #expect(error.description.contains("Premature end"))
        }
    }

    @Test func missingOnlyTheEndMarkerIsTruncated() throws {
        let px = Fixtures.gradient(width: 32, height: 32, channels: 1)
        let good = try JPEG.encode(px, width: 32, height: 32, channels: 1)
        #expect(Array(good.suffix(2)) == [0xFF, 0xD9])
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode(Array(good.dropLast(2))) }
        #expect(error.kind == .truncated)
    }

    @Test func shortScanDataIsCorrupt() throws {
        // The scan's data stops at the EOI marker long before the announced 64x64 pixels.
        let good = try JPEG.encode(Fixtures.gradient(width: 8, height: 8, channels: 1), width: 8, height: 8, channels: 1)
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode(Fixtures.jpegWithSize(good, width: 64, height: 64)) }
        #expect(error.kind == .corrupt && error.reason.contains("premature end of data segment"))
    }

    @Test func corruptHeaderIsAnError() throws {
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0xFF, 0x00, 1, 2, 3, 4]) }
        #expect(error.kind == .corrupt || error.kind == .truncated)
        let good = try JPEG.encode(Fixtures.gradient(width: 8, height: 8, channels: 1), width: 8, height: 8, channels: 1)
        let zero = try #require(throws: ImageError.self) { _ = try decoder.decode(Fixtures.jpegWithSize(good, width: 0, height: 8)) }
        #expect(zero.kind == .corrupt)
    }

    @Test func hugeHeaderIsRefusedByThePixelLimit() throws {
        let good = try JPEG.encode(Fixtures.gradient(width: 8, height: 8, channels: 3), width: 8, height: 8, channels: 3)
        let error = try #require(throws: ImageError.self) { _ = try decoder.decode(Fixtures.jpegWithSize(good, width: 60000, height: 60000)) }
        #expect(error.kind == .tooManyPixels)
        // Within the limit but with 8x8 worth of data: refused at once, not decoded to grey.
        let start = Date()
        let big = try #require(throws: ImageError.self) { _ = try decoder.decode(Fixtures.jpegWithSize(good, width: 7000, height: 7000)) }
        #expect(big.kind == .corrupt)
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func adobeCMYKBecomesRGB() throws {
        // Inverted CMYK (Adobe): red is C0 M100 Y100 K0, stored as (255, 0, 0, 255).
        let px = [UInt8]([255, 0, 0, 255]).repeated(64)
        let image = try decoder.decode(try JPEG.encode(px, width: 8, height: 8, channels: 4, quality: 100))
        #expect(image.layout == .rgb)
        #expect(Self.maxDifference(image.samples, [UInt8]([255, 0, 0]).repeated(64)) <= 4)
    }

    @Test func scanLimit() throws {
        let px = Fixtures.gradient(width: 16, height: 16, channels: 3)
        let progressive = try JPEG.encode(px, width: 16, height: 16, channels: 3, progressive: true)
        let strict = ImageDecoder(limits: DecodeLimits(maxJPEGScans: 2))
        let error = try #require(throws: ImageError.self) { _ = try strict.decode(progressive) }
        #expect(error.kind == .corrupt && error.reason.contains("more than 2 scans"))
        #expect(try decoder.decode(progressive).width == 16)
    }
}

extension Array {
    func repeated(_ n: Int) -> [Element] { (0..<n).flatMap { _ in self } }
}
