import Foundation
import TangleTensor

/// The soft nearest neighbor loss (Frosst, Papernot & Hinton 2019, eq. 1) on one batch of
/// representations: how entangled the classes are.
///
///     loss = -(1/m) Σ_{i∈M} log( Σ_{j≠i, y_j=y_i} e^{-d_ij/T} / Σ_{k≠i} e^{-d_ik/T} )
///
/// `d` is the squared euclidean distance or the cosine distance `1 − cos`. `M` holds the points
/// with at least one other point of their label (a point alone in its label contributes nothing),
/// `m = |M|`; a batch of one class gives exactly 0. Both sums are log-sum-exps, so the loss is
/// exact even where every exponential underflows. Pairwise distances come from one GEMM (the Gram
/// matrix); gradients with respect to the representations and the temperature are analytic.
///
/// Buffers are allocated once for a batch capacity and feature width; ``evaluate(_:count:dimension:labels:temperature:gradient:scale:)``
/// allocates nothing.
public final class SoftNearestNeighborLoss: @unchecked Sendable {
    /// The pairwise distance.
    public enum Distance: String, Codable, Sendable, CaseIterable {
        /// `‖x_i − x_j‖²`.
        case euclidean
        /// `1 − x_i·x_j / (‖x_i‖ ‖x_j‖)`; an all-zero vector counts as at distance 1 from everything.
        case cosine
    }

    /// The loss and its derivative with respect to the temperature.
    public struct Value: Sendable {
        /// The (unweighted) loss.
        public var loss: Double
        /// `∂loss/∂T`.
        public var dTemperature: Double
    }

    /// The distance used.
    public let distance: Distance
    private let capacity: Int
    private let maxDimension: Int
    private let gram: FloatBuffer  // [b, b]: Gram matrix, then the distance coefficients
    private let coefficients: FloatBuffer  // [b, b]: ∂loss/∂d (symmetrised)
    private let normalized: FloatBuffer  // [b, D] for cosine
    private let transposed: FloatBuffer  // [D, b]: the points as columns, the Gram matrix's right-hand side
    private let rowNorms: FloatBuffer
    private let cosineGradient: FloatBuffer  // [b, D] for cosine: ∂loss/∂x̂
    private var preparedCount = 0
    private var hasCoefficients = false

    /// Prepares buffers for batches of up to `capacity` points of up to `maxDimension` features.
    public init(distance: Distance, capacity: Int, maxDimension: Int) {
        self.distance = distance
        self.capacity = capacity
        self.maxDimension = maxDimension
        gram = FloatBuffer(count: capacity * capacity)
        coefficients = FloatBuffer(count: capacity * capacity)
        normalized = FloatBuffer(count: distance == .cosine ? capacity * maxDimension : 0)
        transposed = FloatBuffer(count: capacity * maxDimension)
        rowNorms = FloatBuffer(count: capacity)
        cosineGradient = FloatBuffer(count: distance == .cosine ? capacity * maxDimension : 0)
    }

    /// Computes the loss of `count` points (rows of `x`, `dimension` wide).
    ///
    /// - Parameters:
    ///   - gradient: when given, `scale * ∂loss/∂x` is **added** into it (`[count, dimension]`).
    ///   - scale: the weight applied to the gradient (e.g. the objective's factor).
    /// - Returns: the loss and `∂loss/∂T` (unscaled).
    @discardableResult
    public func evaluate(
        _ x: UnsafePointer<Float>, count b: Int, dimension: Int, labels: UnsafePointer<Int32>, temperature: Double,
        gradient: UnsafeMutablePointer<Float>? = nil, scale: Float = 1
    ) -> Value {
        prepare(x, count: b, dimension: dimension)
        let v = value(count: b, labels: labels, temperature: temperature)
        if let gradient { addGradient(x, count: b, dimension: dimension, into: gradient, scale: scale) }
        return v
    }

    /// Step 1 of 3: computes the pairwise distances of `count` points (one GEMM).
    public func prepare(_ x: UnsafePointer<Float>, count b: Int, dimension: Int) {
        precondition(b <= capacity && dimension <= maxDimension, "batch exceeds the SNNL buffers")
        preparedCount = b
        guard b >= 2 else { return }
        distances(x, count: b, dimension: dimension)
    }

    /// Step 2 of 3: the loss and `∂loss/∂T` at `temperature` for the prepared distances; may be
    /// called for several temperatures (the last call's coefficients feed ``addGradient``).
    public func value(count b: Int, labels: UnsafePointer<Int32>, temperature: Double) -> Value {
        precondition(b == preparedCount, "call prepare first")
        guard b >= 2 else {
            hasCoefficients = false
            return Value(loss: 0, dTemperature: 0)
        }
        let v = coefficientsFromDistances(count: b, labels: labels, temperature: temperature)
        hasCoefficients = v.members > 0
        return Value(loss: v.loss, dTemperature: v.dT)
    }

    /// Step 3 of 3: adds `scale * ∂loss/∂x` at the last temperature into `gradient`.
    public func addGradient(_ x: UnsafePointer<Float>, count b: Int, dimension: Int, into gradient: UnsafeMutablePointer<Float>, scale: Float) {
        guard hasCoefficients else { return }
        backward(x, count: b, dimension: dimension, gradient: gradient, scale: scale)
    }

    /// The loss at several temperatures from one distance matrix.
    public func losses(
        _ x: UnsafePointer<Float>, count b: Int, dimension: Int, labels: UnsafePointer<Int32>, temperatures: [Double]
    ) -> [Value] {
        prepare(x, count: b, dimension: dimension)
        return temperatures.map { value(count: b, labels: labels, temperature: $0) }
    }

    /// The median pairwise distance of the last batch evaluated (off-diagonal entries).
    public func medianDistance(count b: Int) -> Double {
        var values: [Float] = []
        values.reserveCapacity(b * (b - 1) / 2)
        for i in 0..<b { for j in (i + 1)..<b { values.append(gram[i * b + j]) } }
        guard !values.isEmpty else { return 0 }
        values.sort()
        return Double(values[values.count / 2])
    }

    /// Fills `gram` with the pairwise distances `d_ij` (`[b, b]`, zero diagonal).
    private func distances(_ x: UnsafePointer<Float>, count b: Int, dimension d: Int) {
        let g = gram.pointer
        let rn = rowNorms.pointer
        switch distance {
        case .euclidean:
            gramMatrix(x, count: b, dimension: d)
            for i in 0..<b { rn[i] = g[i * b + i] }
            for i in 0..<b {
                for j in 0..<b {
                    let v = rn[i] + rn[j] - 2 * g[i * b + j]
                    g[i * b + j] = i == j ? 0 : max(v, 0)
                }
            }
        case .cosine:
            let xn = normalized.pointer
            for i in 0..<b {
                var s: Double = 0
                for k in 0..<d { s += Double(x[i * d + k]) * Double(x[i * d + k]) }
                let n = Float(s.squareRoot())
                rn[i] = n
                let inv: Float = n > 1e-12 ? 1 / n : 0
                for k in 0..<d { xn[i * d + k] = x[i * d + k] * inv }
            }
            gramMatrix(xn, count: b, dimension: d)
            for i in 0..<b {
                for j in 0..<b { g[i * b + j] = i == j ? 0 : 1 - g[i * b + j] }
            }
        }
    }

    /// The Gram matrix's column blocks: `TileGEMM`'s register tiles are 64 columns wide.
    static let gramBlock = 64

    /// `gram = x xᵀ` with ``TileGEMM`` on a transposed copy of `x` (one fixed chain of fused
    /// multiply-adds per entry, whichever kernels OpenBLAS would have picked). The matrix is
    /// symmetric, so only the 64-column blocks' rows that reach the upper triangle are computed
    /// (about 5/8 of the products at 256 points) and the lower triangle is mirrored from the upper:
    /// `gram[i][j]` and `gram[j][i]` are the same float.
    private func gramMatrix(_ x: UnsafePointer<Float>, count b: Int, dimension d: Int) {
        let workers = Parallel.workerCount
        let xs = SharedPointer(UnsafeMutablePointer(mutating: x)), xt = transposed.shared, g = gram.shared
        let points = Parallel.split(b, into: workers)
        Parallel.run(points.count) { w in
            TileGEMM.transpose(rows: points[w], columns: d, xs.base, lda: d, into: xt.base, ldt: b)
        }
        let block = Self.gramBlock
        Parallel.run(workers) { w in
            var j0 = 0
            while j0 < b {
                let width = min(block, b - j0)
                let rows = Parallel.split(min(b, j0 + block), into: workers)[w]
                if !rows.isEmpty {
                    TileGEMM.gemm(
                        m: rows.count, n: width, k: d, a: xs.base + rows.lowerBound * d, lda: d, b: xt.base + j0, ldb: b,
                        c: g.base + rows.lowerBound * b + j0, ldc: b)
                }
                j0 += block
            }
        }
        let gp = gram.pointer
        for i in 1..<b {
            for j in 0..<i { gp[i * b + j] = gp[j * b + i] }
        }
    }

    /// From the distances in `gram`, computes the loss, `∂loss/∂T`, and the symmetrised
    /// coefficients `S = W + Wᵀ` with `W_ij = ∂loss/∂d_ij` seen from row `i`.
    ///
    /// Rows are split over the workers (each writes only its own rows of `W`, kept in the upper
    /// part of `coefficients`' memory pattern), then `S` is formed in one pass.
    private func coefficientsFromDistances(count b: Int, labels: UnsafePointer<Int32>, temperature t: Double)
        -> (loss: Double, dT: Double, members: Int)
    {
        var isMember = [Bool](repeating: false, count: b)
        var counts: [Int32: Int] = [:]
        for i in 0..<b { counts[labels[i], default: 0] += 1 }
        for i in 0..<b { isMember[i] = counts[labels[i]]! >= 2 }
        let members = isMember.filter { $0 }.count
        let w = coefficients.pointer
        guard members > 0 else {
            w.update(repeating: 0, count: b * b)
            return (0, 0, 0)
        }
        let m = Double(members)
        let invT = 1 / t
        let workers = Parallel.workerCount
        let ranges = Parallel.split(b, into: workers)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: 2 * workers)
        partial.initialize(repeating: 0, count: 2 * workers)
        defer { partial.deallocate() }
        let out = SharedPointer(partial), g = gram.shared, ws = coefficients.shared
        let lab = SharedPointer(UnsafeMutablePointer(mutating: labels))
        let member = isMember
        Parallel.run(ranges.count) { worker in
            var loss = 0.0, dT = 0.0
            var a = [Double](repeating: 0, count: b)
            var e = [Double](repeating: 0, count: b)
            for i in ranges[worker] {
                let row = g.base + i * b
                let wrow = ws.base + i * b
                wrow.update(repeating: 0, count: b)
                guard member[i] else { continue }
                let yi = lab.base[i]
                var maxAll = -Double.infinity, maxSame = -Double.infinity
                var onlySame = true
                for j in 0..<b where j != i {
                    let aj = -Double(row[j]) * invT
                    a[j] = aj
                    maxAll = max(maxAll, aj)
                    if lab.base[j] == yi { maxSame = max(maxSame, aj) } else { onlySame = false }
                }
                if onlySame { continue }  // every neighbour shares the label: exactly 0
                var sumAll = 0.0, sumSame = 0.0
                for j in 0..<b where j != i {
                    let ej = Foundation.exp(a[j] - maxAll)
                    e[j] = ej
                    sumAll += ej
                    if lab.base[j] == yi { sumSame += ej }
                }
                let lseAll = maxAll + Foundation.log(sumAll)
                // The same-label sum shares the shift unless it underflows (same-label points far
                // beyond the nearest other point); then it gets its own shift.
                let shared = sumSame > 1e-250
                if !shared {
                    sumSame = 0
                    for j in 0..<b where j != i && lab.base[j] == yi { sumSame += Foundation.exp(a[j] - maxSame) }
                }
                let lseSame = (shared ? maxAll : maxSame) + Foundation.log(sumSame)
                loss += lseAll - lseSame
                // ∂L_i/∂a_ij = p_ij − q_ij·[same]; ∂a_ij/∂d_ij = −1/T; ∂a_ij/∂T = d_ij/T² = −a_ij/T.
                let pScale = 1 / sumAll
                let qScale = shared ? Foundation.exp(maxAll - lseSame) : 0
                for j in 0..<b where j != i {
                    let p = e[j] * pScale
                    var q = 0.0
                    if lab.base[j] == yi { q = shared ? e[j] * qScale : Foundation.exp(a[j] - lseSame) }
                    let dA = (p - q) / m
                    dT -= dA * a[j] * invT
                    wrow[j] = Float(-dA * invT)
                }
            }
            out.base[2 * worker] = loss
            out.base[2 * worker + 1] = dT
        }
        // S = W + Wᵀ, in place.
        for i in 0..<b {
            w[i * b + i] = 0
            for j in (i + 1)..<b {
                let v = w[i * b + j] + w[j * b + i]
                w[i * b + j] = v
                w[j * b + i] = v
            }
        }
        var loss = 0.0, dT = 0.0
        for k in 0..<ranges.count {
            loss += partial[2 * k]
            dT += partial[2 * k + 1]
        }
        return (loss / m, dT, members)
    }

    /// Adds `scale * ∂loss/∂x` into `gradient`, from the coefficients.
    private func backward(_ x: UnsafePointer<Float>, count b: Int, dimension d: Int, gradient: UnsafeMutablePointer<Float>, scale: Float) {
        let s = coefficients.pointer
        let ranges = Parallel.split(b, into: Parallel.workerCount)
        let sp = coefficients.shared, gp = SharedPointer(gradient)
        switch distance {
        case .euclidean:
            // ∂L/∂x_i = 2 Σ_j S_ij (x_i − x_j) = 2 (rowsum(S)_i x_i − (S x)_i)
            let xs = SharedPointer(UnsafeMutablePointer(mutating: x))
            var rowSums = [Float](repeating: 0, count: b)
            for i in 0..<b { for j in 0..<b { rowSums[i] += s[i * b + j] } }
            let sums = rowSums
            Parallel.run(ranges.count) { w in
                let r = ranges[w]
                guard !r.isEmpty else { return }
                TileGEMM.gemm(
                    m: r.count, n: d, k: b, alpha: -2 * scale, a: sp.base + r.lowerBound * b, lda: b, b: xs.base, ldb: d,
                    accumulate: true, c: gp.base + r.lowerBound * d, ldc: d)
                for i in r {
                    let c = 2 * scale * sums[i]
                    let gi = gp.base + i * d, xi = xs.base + i * d
                    for k in 0..<d { gi[k] += c * xi[k] }
                }
            }
        case .cosine:
            // ∂L/∂x̂ = −S x̂, then through x̂ = x/‖x‖: (g − (g·x̂) x̂)/‖x‖.
            let xn = normalized.shared, rn = rowNorms.shared, tmp = cosineGradient.shared
            Parallel.run(ranges.count) { w in
                let r = ranges[w]
                guard !r.isEmpty else { return }
                TileGEMM.gemm(
                    m: r.count, n: d, k: b, alpha: -1, a: sp.base + r.lowerBound * b, lda: b, b: xn.base, ldb: d,
                    c: tmp.base + r.lowerBound * d, ldc: d)
                for i in r {
                    let n = rn.base[i]
                    guard n > 1e-12 else { continue }
                    let xi = xn.base + i * d, ti = tmp.base + i * d
                    var dot: Float = 0
                    for k in 0..<d { dot += ti[k] * xi[k] }
                    let c = scale / n
                    let gi = gp.base + i * d
                    for k in 0..<d { gi[k] += c * (ti[k] - dot * xi[k]) }
                }
            }
        }
    }
}
