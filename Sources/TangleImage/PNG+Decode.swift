import CPNG

// libpng's format flags (png.h: PNG_FORMAT_FLAG_*).
let pngFlagAlpha: UInt32 = 0x01
let pngFlagColor: UInt32 = 0x02
let pngFlagLinear: UInt32 = 0x04
let pngFlagColormap: UInt32 = 0x08

extension PNG {
    /// Decodes PNG bytes of any kind: grey, grey+alpha, RGB, RGBA, palette (with or without
    /// transparency), 1 to 16 bits per sample, interlaced or not.
    ///
    /// The result keeps the file's colour and alpha: ``PixelLayout/gray``, ``PixelLayout/grayAlpha``,
    /// ``PixelLayout/rgb`` or ``PixelLayout/rgba`` with 8-bit samples (16-bit files are reduced
    /// to 8-bit sRGB by libpng; a palette is expanded; `tRNS` transparency becomes alpha).
    ///
    /// Before any pixel memory exists, the header's `width x height` is checked against
    /// `limits.maxPixels`, and the compressed image data is checked to be large enough to hold that
    /// many pixels at all (deflate cannot expand more than 1032 to 1), so a small file announcing a
    /// huge image is refused without allocating.
    /// - Throws: ``ImageError`` with an empty path.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws -> DecodedImage {
        if bytes.isEmpty { throw ImageError(path: "", reason: "the file is empty", kind: .empty) }
        try limits.checkFileSize(bytes.count)
        guard ImageFormat.detect(bytes) == .png else {
            throw ImageError(path: "", reason: "the bytes do not start with the PNG signature", kind: .notAnImage)
        }
        return try bytes.withUnsafeBytes { raw -> DecodedImage in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw failure(&image, stage: "header", size: bytes.count)
            }
            defer { png_image_free(&image) }
            let (width, height) = (Int(image.width), Int(image.height))
            try limits.checkPixels(width: width, height: height)
            try checkDataSuffices(bytes, width: width, height: height)

            let natural = image.format
            let layout: PixelLayout =
                natural & pngFlagColor != 0
                ? (natural & pngFlagAlpha != 0 ? .rgba : .rgb)
                : (natural & pngFlagAlpha != 0 ? .grayAlpha : .gray)
            image.format = (layout.isColor ? pngFlagColor : 0) | (layout.hasAlpha ? pngFlagAlpha : 0)
            let stride = width * layout.channels
            var ok: Int32 = 0
            // Uninitialised: libpng writes every row (alpha is kept, so nothing is composited onto
            // the buffer's contents); on failure the array is discarded.
            let samples = [UInt8](unsafeUninitializedCapacity: stride * height) { buffer, count in
                ok = png_image_finish_read(&image, nil, buffer.baseAddress, Int32(stride), nil)
                count = stride * height
            }
            guard ok != 0 else { throw failure(&image, stage: "data", size: bytes.count) }
            return try DecodedImage(width: width, height: height, layout: layout, format: .png, samples: samples)
        }
    }

    /// An ``ImageError`` from libpng's message, classed as truncated or corrupt.
    private static func failure(_ image: inout png_image, stage: String, size: Int) -> ImageError {
        let text = message(&image)
        let lower = text.lowercased()
        let truncated = lower.contains("not enough") || lower.contains("eof") || lower.contains("end of")
            || lower.contains("too short") || lower.contains("truncat") || lower.contains("read beyond")
        let kind: ImageError.Kind = truncated ? .truncated : .corrupt
        let what = truncated ? "the PNG ends before its image does" : "libpng rejected the PNG \(stage)"
        return ImageError(path: "", reason: "\(what) (\(text.isEmpty ? "no message" : text); \(size) bytes)", kind: kind)
    }

    /// Refuses a file whose IDAT chunks cannot possibly inflate to `width x height` pixels.
    ///
    /// Called after libpng accepted the header, so the IHDR at offset 8 is valid.
    static func checkDataSuffices(_ bytes: [UInt8], width: Int, height: Int) throws {
        let bitDepth = Int(bytes[24])
        let samplesPerPixel: Int
        switch bytes[25] {
        case 0, 3: samplesPerPixel = 1
        case 2: samplesPerPixel = 3
        case 4: samplesPerPixel = 2
        case 6: samplesPerPixel = 4
        default: return
        }
        // Lower bound on the inflated size: the packed pixels without filter bytes.
        let rawBytes = (width * height * samplesPerPixel * bitDepth) / 8
        var idat = 0
        var pos = 8
        while pos + 8 <= bytes.count {
            let length = Int(bytes[pos]) << 24 | Int(bytes[pos + 1]) << 16 | Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])
            let type = (bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7])
            if type == (0x49, 0x45, 0x4E, 0x44) { break }  // IEND
            let available = min(length, bytes.count - pos - 8)
            if type == (0x49, 0x44, 0x41, 0x54) { idat += available }  // IDAT
            guard length <= bytes.count else { break }
            pos += 12 + length
        }
        // Deflate's best ratio is 1032:1; allow a little slack for the zlib header.
        if idat * 1032 + 1032 < rawBytes {
            throw ImageError(
                path: "",
                reason: "the PNG holds \(idat) bytes of compressed image data, too few for \(width)x\(height) pixels",
                kind: .truncated)
        }
    }
}
