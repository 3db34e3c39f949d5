/// Bounds on what a decoder accepts, checked before any pixel memory is allocated.
///
/// The file size is checked before reading (for paths) or before parsing (for bytes); the pixel
/// count is read from the header (PNG: IHDR, JPEG: SOF) and checked before the pixel buffer exists.
///
/// ```swift
/// let decoder = ImageDecoder(limits: DecodeLimits(maxPixels: 12_000_000))
/// ```
public struct DecodeLimits: Sendable, Equatable {
    /// Largest accepted file, in bytes. Default 64 MiB.
    public var maxFileBytes: Int
    /// Largest accepted `width * height`. Default 50 megapixels.
    public var maxPixels: Int
    /// Largest accepted number of scans in a progressive JPEG (a file with thousands of tiny scans
    /// burns CPU without growing). Default 500, as libjpeg-turbo's own scan limit.
    public var maxJPEGScans: Int

    /// Creates limits; every parameter has the production default.
    /// - Parameters:
    ///   - maxFileBytes: largest file in bytes (default 64 MiB).
    ///   - maxPixels: largest pixel count (default 50,000,000).
    ///   - maxJPEGScans: largest number of JPEG scans (default 500).
    public init(maxFileBytes: Int = 64 << 20, maxPixels: Int = 50_000_000, maxJPEGScans: Int = 500) {
        self.maxFileBytes = maxFileBytes
        self.maxPixels = maxPixels
        self.maxJPEGScans = maxJPEGScans
    }

    /// Throws ``ImageError/Kind/tooManyPixels`` when `width x height` exceeds ``maxPixels``.
    func checkPixels(width: Int, height: Int) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw ImageError(
                path: "", reason: "the header announces \(width)x\(height) pixels, more than the limit of \(maxPixels)",
                kind: .tooManyPixels)
        }
    }

    /// Throws ``ImageError/Kind/fileTooLarge`` when `bytes` exceeds ``maxFileBytes``.
    func checkFileSize(_ bytes: Int) throws {
        guard bytes <= maxFileBytes else {
            throw ImageError(path: "", reason: "\(bytes) bytes, more than the limit of \(maxFileBytes)", kind: .fileTooLarge)
        }
    }
}
