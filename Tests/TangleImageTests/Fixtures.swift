import CPNG
import Foundation
import TangleImage

/// Test images made in memory.
enum Fixtures {
    /// A 9x7 RGB Adam7-interlaced PNG, written by a Python script with zlib; pixel (x, y) is
    /// (x * 25 % 256, y * 35 % 256, x * y * 3 % 256).
    static let interlacedRGB: [UInt8] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x07, 0x08, 0x02, 0x00, 0x00, 0x01, 0x22, 0xfe, 0xc0,
        0xa1, 0x00, 0x00, 0x00, 0xb2, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x15, 0x8d, 0x31, 0x0a, 0xc2,
        0x40, 0x10, 0x45, 0x3f, 0x08, 0x82, 0x10, 0x10, 0x02, 0x42, 0x16, 0x21, 0xcd, 0xa4, 0x12, 0x04,
        0xd9, 0xc2, 0x2a, 0x60, 0x37, 0x04, 0xb6, 0xb5, 0xb2, 0xb2, 0xd8, 0x66, 0xc0, 0x03, 0xd8, 0xac,
        0x27, 0x98, 0xc2, 0x6a, 0xaf, 0x31, 0xd7, 0xd8, 0x7a, 0x4e, 0x64, 0x2c, 0x5e, 0xf1, 0x8a, 0xc7,
        0x03, 0x80, 0xb6, 0x92, 0x57, 0xa0, 0xc8, 0x7a, 0x69, 0xfa, 0x44, 0x04, 0xea, 0xea, 0x51, 0x87,
        0xaa, 0x0b, 0xc0, 0x88, 0xdc, 0x65, 0x1e, 0x2a, 0x4f, 0x8d, 0x2f, 0x80, 0x23, 0xfa, 0x94, 0x7d,
        0xa9, 0xfe, 0x6a, 0xfe, 0x45, 0x00, 0x12, 0x50, 0x00, 0x5b, 0x9b, 0xc0, 0xdb, 0xc4, 0x7d, 0xe1,
        0xd1, 0xf8, 0x84, 0xa0, 0x5d, 0xd2, 0xa9, 0xe8, 0x6c, 0x7a, 0x47, 0xf0, 0x3e, 0xf9, 0xb5, 0xf8,
        0xc3, 0xfc, 0x03, 0x10, 0x02, 0x6d, 0x22, 0x6d, 0x13, 0xed, 0x32, 0x75, 0x85, 0xf6, 0x95, 0x7a,
        0xa3, 0x43, 0xa3, 0x01, 0x10, 0x04, 0xd9, 0x45, 0xe9, 0x93, 0x1c, 0xb3, 0x4c, 0x45, 0xce, 0x55,
        0xae, 0x26, 0xb7, 0x26, 0xcb, 0xff, 0x11, 0x6c, 0x1f, 0x6d, 0x4c, 0x76, 0xce, 0x36, 0x17, 0x4b,
        0xd5, 0x1e, 0x66, 0xd2, 0xec, 0xfd, 0x03, 0x2b, 0x4c, 0x3b, 0x50, 0x4f, 0xd0, 0xdf, 0xd2, 0x00,
        0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]

    /// The expected pixel of interlacedRGB.
    static func interlacedPixel(x: Int, y: Int) -> [UInt8] {
        [UInt8(x * 25 % 256), UInt8(y * 35 % 256), UInt8(x * y * 3 % 256)]
    }

    /// PNG bytes written by libpng's simplified API in the given format (`PNG_FORMAT_*` flags:
    /// alpha 1, colour 2, linear 4, colour-map 8). `buffer` holds 8-bit samples, or 16-bit ones
    /// for a linear format, or indices for a colour-mapped one.
    static func png(_ buffer: UnsafeRawBufferPointer, width: Int, height: Int, format: UInt32, colormap: [UInt8]? = nil, entries: Int = 0) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        image.colormap_entries = UInt32(entries)
        defer { png_image_free(&image) }
        var size: png_alloc_size_t = 0
        let ok1 = colormap.withUnsafeBufferPointerOrNil { cm in
            png_image_write_to_memory(&image, nil, &size, 0, buffer.baseAddress, 0, cm)
        }
        precondition(ok1 != 0, "libpng sizing failed")
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok2 = out.withUnsafeMutableBytes { o in
            colormap.withUnsafeBufferPointerOrNil { cm in png_image_write_to_memory(&image, o.baseAddress, &size, 0, buffer.baseAddress, 0, cm) }
        }
        precondition(ok2 != 0, "libpng write failed")
        return Array(out.prefix(Int(size)))
    }

    /// An 8-bit PNG.
    static func png8(_ samples: [UInt8], width: Int, height: Int, format: UInt32) -> [UInt8] {
        samples.withUnsafeBytes { png($0, width: width, height: height, format: format) }
    }

    /// A PNG whose IHDR announces `width x height` grey pixels, with one tiny IDAT.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(crc32(body))
        }
        let ihdr = be32(width) + be32(height) + [8, 0, 0, 0, 0]
        // zlib stream of a few zero bytes.
        let idat: [UInt8] = [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    /// A smooth `width x height` test pattern with `channels` samples per pixel.
    static func gradient(width: Int, height: Int, channels: Int) -> [UInt8] {
        var out: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { out.append(UInt8((x * 8 + y * 4 + c * 40) % 256)) }
            }
        }
        return out
    }

    /// Replaces the SOF height and width of a JPEG.
    static func jpegWithSize(_ jpeg: [UInt8], width: UInt16, height: UInt16) -> [UInt8] {
        var b = jpeg
        var pos = 2
        while pos + 4 < b.count {
            let marker = b[pos + 1]
            let length = Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            if marker == 0xC0 || marker == 0xC2 {
                b[pos + 5] = UInt8(height >> 8)
                b[pos + 6] = UInt8(height & 0xFF)
                b[pos + 7] = UInt8(width >> 8)
                b[pos + 8] = UInt8(width & 0xFF)
                return b
            }
            pos += 2 + length
        }
        fatalError("no SOF0/SOF2 in the JPEG")
    }

    /// A fresh temporary path.
    static func temporaryPath(_ suffix: String = "") -> String {
        NSTemporaryDirectory() + "tangle-\(UUID().uuidString)\(suffix)"
    }
}

extension Optional where Wrapped == [UInt8] {
    func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafeRawPointer?) -> R) -> R {
        switch self {
        case .some(let a): a.withUnsafeBytes { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
