import Foundation
import TangleData

extension ArrivalStatistics {
    /// Measures an image (alpha composited onto black). Large images are sampled on a grid of at
    /// most about 256 x 256 points; the border ring is read whole.
    public static func measure(_ image: DecodedImage) -> ArrivalStatistics {
        let (w, h) = (image.width, image.height)
        let colour = image.layout.isColor
        let step = max(1, max(w, h) / 256)
        var lumaSum = 0.0, n = 0.0
        var rgSum = 0.0, rgSq = 0.0, ybSum = 0.0, ybSq = 0.0
        func rgb(_ x: Int, _ y: Int) -> (Double, Double, Double) {
            let c = image.channels
            let p = (y * w + x) * c
            return image.samples.withUnsafeBufferPointer { s in
                switch image.layout {
                case .gray: let v = Double(s[p]) / 255; return (v, v, v)
                case .grayAlpha:
                    let v = Double(s[p]) / 255 * Double(s[p + 1]) / 255
                    return (v, v, v)
                case .rgb: return (Double(s[p]) / 255, Double(s[p + 1]) / 255, Double(s[p + 2]) / 255)
                case .rgba:
                    let a = Double(s[p + 3]) / 255
                    return (Double(s[p]) / 255 * a, Double(s[p + 1]) / 255 * a, Double(s[p + 2]) / 255 * a)
                }
            }
        }
        func luma(_ c: (Double, Double, Double)) -> Double { 0.299 * c.0 + 0.587 * c.1 + 0.114 * c.2 }
        var y = 0
        while y < h {
            var x = 0
            while x < w {
                let c = rgb(x, y)
                lumaSum += luma(c)
                if colour {
                    let rg = c.0 - c.1
                    let yb = 0.5 * (c.0 + c.1) - c.2
                    rgSum += rg
                    rgSq += rg * rg
                    ybSum += yb
                    ybSq += yb * yb
                }
                n += 1
                x += step
            }
            y += step
        }
        var colourfulness = 0.0
        if colour && n > 0 {
            let (mrg, myb) = (rgSum / n, ybSum / n)
            let vrg = max(0, rgSq / n - mrg * mrg), vyb = max(0, ybSq / n - myb * myb)
            colourfulness = (vrg + vyb).squareRoot() + 0.3 * (mrg * mrg + myb * myb).squareRoot()
        }
        // The ring of outermost pixels.
        var ringSum = 0.0, ringSq = 0.0, ringN = 0.0
        func addRing(_ x: Int, _ y: Int) {
            let v = luma(rgb(x, y))
            ringSum += v
            ringSq += v * v
            ringN += 1
        }
        for x in 0..<w {
            addRing(x, 0)
            if h > 1 { addRing(x, h - 1) }
        }
        if h > 2 {
            for y in 1..<(h - 1) {
                addRing(0, y)
                if w > 1 { addRing(w - 1, y) }
            }
        }
        let ringMean = ringSum / max(ringN, 1)
        return ArrivalStatistics(
            width: w, height: h, channels: colour ? 3 : 1, colourfulness: colourfulness, brightness: lumaSum / max(n, 1), borderMean: ringMean,
            borderSpread: max(0, ringSq / max(ringN, 1) - ringMean * ringMean).squareRoot())
    }
}
