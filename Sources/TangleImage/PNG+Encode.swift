import CPNG

extension PNG {
    /// Encodes 8-bit samples as PNG bytes in memory (grey, grey+alpha, RGB or RGBA as `layout` says).
    ///
    /// ```swift
    /// let bytes = try PNG.encode(pixels, width: 28, height: 28, layout: .gray)
    /// ```
    /// - Throws: ``ImageError`` (``ImageError/Kind/writeFailed``) when the sizes disagree or libpng fails.
    public static func encode(_ samples: [UInt8], width: Int, height: Int, layout: PixelLayout) throws -> [UInt8] {
        guard width > 0, height > 0, samples.count == width * height * layout.channels else {
            throw ImageError(
                path: "", reason: "\(samples.count) samples do not make a \(width)x\(height) \(layout.rawValue) image", kind: .writeFailed)
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = (layout.isColor ? pngFlagColor : 0) | (layout.hasAlpha ? pngFlagAlpha : 0)
        defer { png_image_free(&image) }
        let stride = Int32(width * layout.channels)
        return try samples.withUnsafeBytes { px -> [UInt8] in
            var size: png_alloc_size_t = 0
            guard png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, stride, nil) != 0 else {
                throw ImageError(path: "", reason: "libpng could not encode it (\(message(&image)))", kind: .writeFailed)
            }
            var out = [UInt8](repeating: 0, count: Int(size))
            let ok = out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, px.baseAddress, stride, nil) }
            guard ok != 0 else {
                throw ImageError(path: "", reason: "libpng could not encode it (\(message(&image)))", kind: .writeFailed)
            }
            return Array(out.prefix(Int(size)))
        }
    }

    /// Encodes a decoded image as PNG bytes.
    /// - Throws: ``ImageError`` when libpng fails.
    public static func encode(_ image: DecodedImage) throws -> [UInt8] {
        try encode(image.samples, width: image.width, height: image.height, layout: image.layout)
    }
}
