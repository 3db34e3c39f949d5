import CRowGEMM
import TangleTensor

/// The Mahalanobis score (Lee et al. 2018): class-conditional Gaussians with one shared covariance
/// fitted on a layer's training representations; an input's score is its smallest Mahalanobis
/// distance to a class mean (higher = more abnormal).
public struct GaussianScore: Sendable, Codable {
    /// Features per point.
    public let dimension: Int
    /// `[classes, dimension]`.
    public let means: [Float]
    /// `[dimension, dimension]`: the inverse of the shared covariance (with a small ridge).
    public let precision: [Float]
    /// `μ_cᵀ Λ μ_c` per class, in Double (computed once, not stored).
    private let classConstants: [Double]

    private enum CodingKeys: String, CodingKey { case dimension, means, precision }

    /// Wraps fitted parameters.
    public init(dimension: Int, means: [Float], precision: [Float]) {
        self.dimension = dimension
        self.means = means
        self.precision = precision
        classConstants = Self.constants(dimension: dimension, means: means, precision: precision)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            dimension: c.decode(Int.self, forKey: .dimension), means: c.decode([Float].self, forKey: .means),
            precision: c.decode([Float].self, forKey: .precision))
    }

    /// Fits class means and the shared covariance of `count` rows with their labels.
    public static func fit(_ x: UnsafePointer<Float>, labels: [Int32], count n: Int, dimension d: Int, classes: Int, ridge: Double = 1e-3) -> GaussianScore {
        var means = [Double](repeating: 0, count: classes * d)
        var counts = [Double](repeating: 0, count: classes)
        for i in 0..<n {
            let c = Int(labels[i])
            counts[c] += 1
            for j in 0..<d { means[c * d + j] += Double(x[i * d + j]) }
        }
        for c in 0..<classes where counts[c] > 0 { for j in 0..<d { means[c * d + j] /= counts[c] } }
        // Shared covariance of the class-centred rows, by one GEMM.
        let centred = FloatBuffer(count: n * d)
        for i in 0..<n {
            let c = Int(labels[i])
            for j in 0..<d { centred[i * d + j] = x[i * d + j] - Float(means[c * d + j]) }
        }
        let cov = FloatBuffer(count: d * d)
        BLAS.gemm(transA: true, m: d, n: d, k: n, alpha: 1 / Float(max(n, 1)), a: centred.pointer, lda: d, b: centred.pointer, ldb: d, c: cov.pointer, ldc: d)
        var a = cov.array.map(Double.init)
        let scale = (0..<d).reduce(0.0) { $0 + a[$1 * d + $1] } / Double(max(d, 1))
        for j in 0..<d { a[j * d + j] += ridge * max(scale, 1e-12) }
        return GaussianScore(dimension: d, means: means.map(Float.init), precision: invertSymmetric(a, d).map(Float.init))
    }

    /// The smallest squared Mahalanobis distance of each of `count` rows to a class mean.
    ///
    /// `(x − μ_c)ᵀ Λ (x − μ_c) = xᵀΛx − 2 μ_cᵀΛx + μ_cᵀΛμ_c`: one fixed-order product gives `ΛX`,
    /// fixed-order dot products the class terms (`tangle_row_gemm`, `tangle_row_dots`: a row's score
    /// never depends on the rows beside it); the sum is taken in Double.
    public func score(_ x: UnsafePointer<Float>, count n: Int) -> [Double] {
        let d = dimension, classes = means.count / max(d, 1)
        guard n > 0, d > 0, classes > 0 else { return [Double](repeating: .infinity, count: n) }
        let y = FloatBuffer(count: n * d)  // X Λ (Λ is symmetric)
        precision.withUnsafeBufferPointer { p in
            tangle_row_gemm(x, Int64(d), Int64(n), Int64(d), p.baseAddress!, Int64(d), Int64(d), nil, 0, y.pointer, Int64(d))
        }
        let cross = FloatBuffer(count: n * classes)  // (X Λ) μ_cᵀ
        means.withUnsafeBufferPointer { m in
            tangle_row_dots(y.pointer, Int64(d), Int64(n), m.baseAddress!, Int64(d), Int64(classes), Int64(d), 1, cross.pointer, Int64(classes))
        }
        let constant = classConstants
        var out = [Double](repeating: .infinity, count: n)
        for i in 0..<n {
            var quad = 0.0
            for j in 0..<d { quad += Double(y[i * d + j]) * Double(x[i * d + j]) }
            for c in 0..<classes { out[i] = min(out[i], max(quad - 2 * Double(cross[i * classes + c]) + constant[c], 0)) }
        }
        return out
    }

    /// `μ_cᵀ Λ μ_c` per class, in Double.
    private static func constants(dimension d: Int, means: [Float], precision: [Float]) -> [Double] {
        let classes = means.count / max(d, 1)
        guard precision.count == d * d else { return [Double](repeating: 0, count: classes) }
        return (0..<classes).map { c in
            var s = 0.0
            for r in 0..<d {
                var t = 0.0
                for q in 0..<d { t += Double(precision[r * d + q]) * Double(means[c * d + q]) }
                s += Double(means[c * d + r]) * t
            }
            return s
        }
    }

    /// The inverse of a symmetric positive-definite matrix (Cholesky, in Double).
    static func invertSymmetric(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for p in 0..<j { s -= l[i * n + p] * l[j * n + p] }
                if i == j { l[i * n + i] = max(s, 1e-30).squareRoot() } else { l[i * n + j] = s / l[j * n + j] }
            }
        }
        // inv(A) = inv(L)ᵀ inv(L)
        var li = [Double](repeating: 0, count: n * n)
        for c in 0..<n {
            for i in c..<n {
                var s = i == c ? 1.0 : 0.0
                for p in c..<i { s -= l[i * n + p] * li[p * n + c] }
                li[i * n + c] = s / l[i * n + i]
            }
        }
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = 0.0
                for p in i..<n { s += li[p * n + i] * li[p * n + j] }
                inv[i * n + j] = s
                inv[j * n + i] = s
            }
        }
        return inv
    }
}
