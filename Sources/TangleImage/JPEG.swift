import CJPEGDecode

/// JPEG through libjpeg, with its `setjmp`/`longjmp` error handling kept inside the `CJPEGDecode`
/// C target so every failure comes back to Swift as a value.
///
/// **Truncation policy.** A JPEG cut off inside its image data (libjpeg would only warn "Premature
/// end of JPEG file" and fill the missing rows with grey) is refused as
/// ``ImageError/Kind/truncated``: a half-grey picture would get a meaningless verdict, and the
/// usual cause is a file still being copied. This includes a file missing only its final
/// end-of-image marker: libjpeg notices the end while decoding the last rows and cannot tell it
/// apart from lost image data. Likewise a scan whose data stops early at a marker ("Corrupt JPEG
/// data: premature end of data segment", grey fill again) is refused as ``ImageError/Kind/corrupt``.
/// The decode stops at the first such warning, so a tiny file announcing a large image costs no
/// decoding time. Other corrupt-data warnings that libjpeg works around (extraneous bytes before
/// a marker, ...) are accepted and listed in ``DecodedImage/warnings``.
public enum JPEG {
    /// Decodes JPEG bytes to 8-bit grey (grey files) or RGB (YCbCr, RGB, CMYK and YCCK files).
    ///
    /// With `grayscale: true` colour files come out grey: libjpeg then keeps the Y channel of
    /// YCbCr, which is BT.601 luma (0.299 R + 0.587 G + 0.114 B of the gamma-encoded values), the
    /// same weights the ``Preprocessor`` uses.
    ///
    /// The header's `width x height` is checked against `limits.maxPixels` before the pixel buffer
    /// is allocated; progressive files with more than `limits.maxJPEGScans` scans are refused.
    /// - Throws: ``ImageError`` with an empty path.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits(), grayscale: Bool = false) throws -> DecodedImage {
        if bytes.isEmpty { throw ImageError(path: "", reason: "the file is empty", kind: .empty) }
        try limits.checkFileSize(bytes.count)
        guard ImageFormat.detect(bytes) == .jpeg else {
            throw ImageError(path: "", reason: "the bytes do not start with the JPEG SOI marker", kind: .notAnImage)
        }
        return try bytes.withUnsafeBufferPointer { data -> DecodedImage in
            var header = tangle_jpeg_result()
            let status = tangle_jpeg_read_header(data.baseAddress, data.count, grayscale ? 1 : 0, &header)
            guard status == Int32(TANGLE_JPEG_OK) else { throw failure(header, stage: "header") }
            let (width, height, channels) = (Int(header.width), Int(header.height), Int(header.channels))
            try limits.checkPixels(width: width, height: height)

            var result = tangle_jpeg_result()
            let count = width * height * channels
            var decoded: Int32 = 0
            // Uninitialised: libjpeg writes every row on success; on failure the array is discarded.
            let samples = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                decoded = tangle_jpeg_decode(
                    data.baseAddress, data.count, grayscale ? 1 : 0, UInt32(clamping: max(0, limits.maxJPEGScans)),
                    buffer.baseAddress, count, &result)
                initialized = count
            }
            guard decoded == Int32(TANGLE_JPEG_OK) else { throw failure(result, stage: "data") }
            var warnings: [String] = []
            if result.warnings > 0 {
                let first = text(of: result.first_warning)
                warnings.append(result.warnings == 1 ? first : "\(first) (and \(result.warnings - 1) more warnings)")
            }
            return try DecodedImage(
                width: width, height: height, layout: channels == 1 ? .gray : .rgb, format: .jpeg, samples: samples, warnings: warnings)
        }
    }

    /// Encodes 8-bit grey (`channels` 1), RGB (`channels` 3) or CMYK (`channels` 4, stored as
    /// given with an Adobe marker, so in Adobe's inverted convention 255 means no ink) pixels as a
    /// JPEG in memory.
    ///
    /// For fixtures and tests; Tangle does not write JPEG files in production.
    /// - Parameters:
    ///   - quality: libjpeg quality, 1...100.
    ///   - progressive: write a progressive JPEG instead of a baseline one.
    /// - Throws: ``ImageError`` (``ImageError/Kind/writeFailed``).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90, progressive: Bool = false)
        throws -> [UInt8]
    {
        guard width > 0, height > 0, [1, 3, 4].contains(channels), pixels.count == width * height * channels else {
            throw ImageError(path: "", reason: "\(pixels.count) bytes do not make a \(width)x\(height)x\(channels) image", kind: .writeFailed)
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = pixels.withUnsafeBufferPointer { px in
            tangle_jpeg_encode(
                px.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality), progressive ? 1 : 0, &out, &size, &message)
        }
        defer { tangle_jpeg_free(out) }
        guard status == Int32(TANGLE_JPEG_OK), let out else {
            let why = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageError(path: "", reason: "libjpeg could not encode it (\(why))", kind: .writeFailed)
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    private static func failure(_ result: tangle_jpeg_result, stage: String) -> ImageError {
        let message = text(of: result.message)
        switch Int(result.status) {
        case Int(TANGLE_JPEG_TRUNCATED):
            return ImageError(path: "", reason: "the JPEG ends before its image does (\(message))", kind: .truncated)
        case Int(TANGLE_JPEG_UNSUPPORTED):
            return ImageError(path: "", reason: "a JPEG variant this build cannot decode (\(message))", kind: .unsupported)
        case Int(TANGLE_JPEG_TOO_MANY_SCANS):
            return ImageError(path: "", reason: "the JPEG has \(message.isEmpty ? "too many scans" : message)", kind: .corrupt)
        case Int(TANGLE_JPEG_NO_MEMORY):
            return ImageError(path: "", reason: "libjpeg ran out of memory (\(message))", kind: .tooManyPixels)
        default:
            return ImageError(path: "", reason: "libjpeg rejected the JPEG \(stage) (\(message))", kind: .corrupt)
        }
    }

    /// A C character array (a tuple in Swift) as a string.
    private static func text<T>(of tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
