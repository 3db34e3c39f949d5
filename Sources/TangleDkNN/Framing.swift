import Foundation

/// How an input's content sits in its frame, for data whose images lie on a dark background.
///
/// A pixel is *content* when any of its channels is brighter than ``level``. Two measures follow:
///
/// - **edge to edge**: the larger of the fraction of rows and the fraction of columns that are
///   content from one edge of the image to the other. A garment leaves black around most of its
///   outline: it crosses only the lines its body fills from edge to edge (Fashion-MNIST's
///   calibration split: at most 12 of 28 lines at the 99th percentile; shirts and clutch bags
///   the most). A photograph letterboxed onto black and shrunk to the model's size is a band of
///   texture crossing every line it covers — the "bag" a letterbox draws (issue 14).
/// - **span shortfall**: `1 −` the larger of the content's bounding-box height over the image
///   height and its width over the image width: how much of the frame the content leaves empty
///   along its longer side. Fashion-MNIST scales every article to fill the frame along its longer
///   side (26 of 28 pixels or more at the 0.1st percentile); a digit written in a box of 20 pixels,
///   or any object photographed small on black, leaves a margin. 1 for an image with no content.
///
/// Both read the model's input after preprocessing, like ``NoiseFloor``; the verdict rule weighs
/// them only where the data profile says the training images lie on a dark background.
public struct Framing: Sendable, Hashable, Codable {
    /// The brightness above which a pixel is content rather than background: 0.02 (about 5/255),
    /// above the black of a dark background and below any visible ink.
    public static let level: Float = 0.02

    /// The larger of the fraction of rows and the fraction of columns that are content edge to edge.
    public var edgeToEdge: Double
    /// How much of the frame the content leaves empty along its longer side.
    public var spanShortfall: Double

    /// Creates a framing from its two measures.
    public init(edgeToEdge: Double, spanShortfall: Double) {
        self.edgeToEdge = edgeToEdge
        self.spanShortfall = spanShortfall
    }

    /// The framing of one `height x width x channels` image (channels interleaved); an empty
    /// image has edge to edge 0 and span shortfall 1.
    public static func measure(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int) -> Framing {
        guard height > 0, width > 0, channels > 0 else { return Framing(edgeToEdge: 0, spanShortfall: 1) }
        var fullRows = 0
        var fullColumns = 0
        var top = height, bottom = -1, left = width, right = -1
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: width) { columnFull in
            columnFull.initialize(repeating: true)
            for y in 0..<height {
                var rowFull = true
                for xx in 0..<width {
                    let base = (y * width + xx) * channels
                    var content = false
                    for c in 0..<channels where x[base + c] > level {
                        content = true
                        break
                    }
                    if content {
                        top = min(top, y)
                        bottom = y
                        left = min(left, xx)
                        right = max(right, xx)
                    } else {
                        rowFull = false
                        columnFull[xx] = false
                    }
                }
                if rowFull { fullRows += 1 }
            }
            for full in columnFull where full { fullColumns += 1 }
        }
        let edge = max(Double(fullRows) / Double(height), Double(fullColumns) / Double(width))
        guard bottom >= 0 else { return Framing(edgeToEdge: edge, spanShortfall: 1) }
        let span = max(Double(bottom - top + 1) / Double(height), Double(right - left + 1) / Double(width))
        return Framing(edgeToEdge: edge, spanShortfall: 1 - span)
    }
}
