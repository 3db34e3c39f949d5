import Foundation
import TangleData

/// What the training images looked like as they arrived (from the data profile), as the ranges the
/// arrival evidence measures an input against: an input far outside them — a 640x480 colour
/// photograph for a model trained on 28x28 grey images — is evidence of an outlier, turned into a
/// conformal p-value against the calibration split like every other piece. Two pieces, so that a
/// size no training image had is not blurred by the calibration split's own most colourful photos:
/// - ``sizeScore(_:)``: how far the width, height and aspect ratio lie outside the training images'
///   full range, in natural-log units (`ln(640/28) = 3.1`); 0 for every calibration image when the
///   training images share one size;
/// - ``colourScore(_:)``: how far the colourfulness lies above 95 % of the training images', in
///   tenths (grey training images: any colour counts; photographs: the most colourful 5 % of the
///   calibration split score a little, so its p-values stay graded).
///
/// Brightness is recorded but not scored: the network sees it.
public struct ArrivalRanges: Codable, Sendable, Equatable {
    /// Smallest and largest width.
    public var width: [Double]
    /// Smallest and largest height.
    public var height: [Double]
    /// Smallest and largest width / height.
    public var aspectRatio: [Double]
    /// 5th and 95th percentile of colourfulness.
    public var colourfulness: [Double]
    /// 5th and 95th percentile of mean luma.
    public var brightness: [Double]
    /// The fraction of training images in colour.
    public var colourFraction: Double

    /// Ranges from their bounds (each `[low, high]`).
    public init(width: [Double], height: [Double], aspectRatio: [Double], colourfulness: [Double], brightness: [Double], colourFraction: Double) {
        self.width = width
        self.height = height
        self.aspectRatio = aspectRatio
        self.colourfulness = colourfulness
        self.brightness = brightness
        self.colourFraction = colourFraction
    }

    /// Whether every bound is a finite, ordered pair (and sizes positive).
    public var isValid: Bool {
        let pairs = [width, height, aspectRatio, colourfulness, brightness]
        return pairs.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isFinite) && $0[0] <= $0[1] } && width[0] > 0 && height[0] > 0
            && aspectRatio[0] > 0 && colourFraction.isFinite
    }

    static func outside(_ x: Double, _ r: [Double]) -> Double { max(0, r[0] - x, x - r[1]) }

    /// How far the size lies outside the training images' widths, heights and aspect ratios (log units).
    public func sizeScore(_ a: ArrivalStatistics) -> Double {
        let ln = { (v: Double) in Foundation.log(max(v, 1e-9)) }
        return Self.outside(ln(Double(a.width)), width.map(ln)) + Self.outside(ln(Double(a.height)), height.map(ln))
            + Self.outside(ln(a.aspectRatio), aspectRatio.map(ln))
    }

    /// How far the colourfulness lies above the training images' 95th percentile, in tenths.
    public func colourScore(_ a: ArrivalStatistics) -> Double { max(0, a.colourfulness - colourfulness[1]) / 0.1 }

    /// Words for a record's reason: the input as it arrived against the training images, e.g. "a
    /// 640x480 colour image; training images arrived as 28x28 grey".
    public func describe(_ a: ArrivalStatistics) -> String {
        func span(_ r: [Double]) -> String { r[0] == r[1] ? "\(Int(r[0]))" : "\(Int(r[0]))–\(Int(r[1]))" }
        let colour = a.colourfulness > 0.02 ? "colour" : "grey"
        let trainingColour = colourFraction < 0.05 ? "grey" : colourFraction > 0.95 ? "colour" : "grey and colour"
        let moreColour = colourScore(a) > 0 && trainingColour != "grey"
        var input = "a \(a.width)x\(a.height) \(colour) image"
        if moreColour { input += String(format: " of colourfulness %.2f", a.colourfulness) }
        let training = "training images arrived as \(span(width))x\(span(height)) \(trainingColour)"
            + (moreColour ? String(format: " of colourfulness ≤ %.2f", colourfulness[1]) : "")
        return input + "; " + training
    }
}
