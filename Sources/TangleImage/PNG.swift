import CPNG
import Foundation

/// PNG files through libpng's simplified API (which does its own `setjmp`, so errors come back as
/// values, never as a `longjmp` through Swift).
///
/// ``decode(_:limits:)`` is the safe decoder for untrusted bytes; ``writeGray(_:width:height:to:)``
/// and ``readGray(_:)`` read and write 8-bit grey files the project itself produces.
public enum PNG {
    /// Writes a `width x height` grey image (row-major bytes) to `path`, atomically.
    /// - Throws: ``ImageError`` (``ImageError/Kind/writeFailed``) when the sizes disagree or the
    ///   file cannot be written.
    public static func writeGray(_ pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw ImageError(path: path, reason: "\(pixels.count) bytes do not make a \(width)x\(height) image", kind: .writeFailed)
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        let tmp = path + ".tmp-\(getpid())"
        let ok = pixels.withUnsafeBytes { png_image_write_to_file(&image, tmp, 0, $0.baseAddress, Int32(width), nil) }
        defer { png_image_free(&image) }
        guard ok != 0 else {
            unlink(tmp)
            throw ImageError(path: path, reason: "libpng could not write it (\(message(&image)))", kind: .writeFailed)
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw ImageError(path: path, reason: String(cString: strerror(errno)), kind: .writeFailed)
        }
    }

    /// Reads a PNG file as 8-bit grey (libpng converts colour to grey and composites alpha on black).
    ///
    /// For files the project wrote itself; untrusted files go through ``ImageDecoder``.
    /// - Throws: ``ImageError`` when the file is not a readable PNG.
    public static func readGray(_ path: String) throws -> (pixels: [UInt8], width: Int, height: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw ImageError(path: path, reason: "not a readable PNG (\(message(&image)))", kind: .corrupt)
        }
        defer { png_image_free(&image) }
        image.format = UInt32(PNG_FORMAT_GRAY)
        let (w, h) = (Int(image.width), Int(image.height))
        var pixels = [UInt8](repeating: 0, count: w * h)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w), nil) }
        guard ok != 0 else { throw ImageError(path: path, reason: "decoding failed (\(message(&image)))", kind: .corrupt) }
        return (pixels, w, h)
    }

    /// libpng's message in `image`.
    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
