import TangleTensor

/// A linear projection `y = (x − mean) · W` from `inputDimension` to `outputDimension` features.
///
/// Made by principal component analysis through randomized subspace iteration (Halko, Martinsson
/// & Tropp 2011): a Gaussian sketch, power iterations re-orthonormalised by Householder QR, and an
/// eigen-decomposition of the small projected covariance (both by LAPACK). The components come out ordered
/// by explained variance.
public struct Projection: Sendable {
    /// Features in.
    public let inputDimension: Int
    /// Features out.
    public let outputDimension: Int
    /// `[inputDimension]`.
    public let mean: [Float]
    /// `[inputDimension, outputDimension]`, orthonormal columns.
    public let components: [Float]
    /// The variance along each component (descending).
    public let variances: [Double]
    /// The total variance of the fitted data (all directions).
    public let totalVariance: Double

    /// Creates a projection from stored parts.
    public init(inputDimension: Int, outputDimension: Int, mean: [Float], components: [Float], variances: [Double], totalVariance: Double) {
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.mean = mean
        self.components = components
        self.variances = variances
        self.totalVariance = totalVariance
    }

    /// The fraction of the fitted data's variance the kept components explain.
    public var explainedVariance: Double { totalVariance > 0 ? variances.reduce(0, +) / totalVariance : 1 }

    /// Fits the top `dimension` principal components of `count` rows of `x`.
    /// - Throws: ``SymmetricEigen/Failure`` when LAPACK fails (the data holds NaN or infinities).
    ///
    /// - Parameters:
    ///   - oversampling: extra sketch columns (better accuracy for the last kept components).
    ///   - iterations: power iterations (each sharpens the separation of the spectrum).
    public static func pca(
        _ x: UnsafePointer<Float>, count n: Int, dimension d: Int, keep r: Int, oversampling: Int = 16,
        iterations: Int = 3, seed: UInt64 = 7
    ) throws -> Projection {
        let r = min(r, d, n)
        let k = min(r + oversampling, d, n)
        // Centre.
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        let xc = FloatBuffer(count: n * d)
        var total = 0.0
        for i in 0..<n {
            for j in 0..<d {
                let v = x[i * d + j] - Float(mean[j])
                xc[i * d + j] = v
                total += Double(v) * Double(v)
            }
        }
        total /= Double(n)
        // Sketch Q = orth(Xcᵀ Xc Ω), refined by power iterations.
        var rng = SeededGenerator(seed: seed)
        let q = FloatBuffer(count: d * k)
        for i in 0..<(d * k) { q[i] = rng.nextNormal() }
        let xq = FloatBuffer(count: n * k)
        try Orthonormal.columns(q.pointer, rows: d, columns: k)
        for _ in 0..<iterations {
            BLAS.gemm(m: n, n: k, k: d, a: xc.pointer, lda: d, b: q.pointer, ldb: k, c: xq.pointer, ldc: k)
            BLAS.gemm(transA: true, m: d, n: k, k: n, a: xc.pointer, lda: d, b: xq.pointer, ldb: k, c: q.pointer, ldc: k)
            try Orthonormal.columns(q.pointer, rows: d, columns: k)
        }
        // Small covariance B = (Xc Q)ᵀ (Xc Q) / n, and its eigenvectors.
        BLAS.gemm(m: n, n: k, k: d, a: xc.pointer, lda: d, b: q.pointer, ldb: k, c: xq.pointer, ldc: k)
        let b = FloatBuffer(count: k * k)
        BLAS.gemm(transA: true, m: k, n: k, k: n, alpha: 1 / Float(n), a: xq.pointer, lda: k, b: xq.pointer, ldb: k, c: b.pointer, ldc: k)
        let (values, vectors) = try SymmetricEigen.decompose(b.array.map(Double.init), size: k)
        let order = (0..<k).sorted { values[$0] > values[$1] }.prefix(r)
        // Components = Q · V[:, order].
        var v = [Float](repeating: 0, count: k * r)
        for (c, e) in order.enumerated() { for i in 0..<k { v[i * r + c] = Float(vectors[i * k + e]) } }
        var w = [Float](repeating: 0, count: d * r)
        v.withUnsafeBufferPointer { vp in
            w.withUnsafeMutableBufferPointer { wp in
                BLAS.gemm(m: d, n: r, k: k, a: q.pointer, lda: k, b: vp.baseAddress!, ldb: r, c: wp.baseAddress!, ldc: r)
            }
        }
        return Projection(
            inputDimension: d, outputDimension: r, mean: mean.map(Float.init), components: w,
            variances: order.map { max(values[$0], 0) }, totalVariance: total)
    }

    /// Projects `count` rows of `x` into `out` (`[count, outputDimension]`).
    public func apply(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        project(x, count: n, into: out, residual: false)
    }

    /// Projects `count` rows like ``apply(_:count:into:)`` and appends one coordinate: the length
    /// of what the projection drops, `r = sqrt(max(0, ‖x − mean‖² − ‖projection‖²))`. Rows of
    /// `out` are `outputDimension + 1` wide.
    public func applyWithResidual(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        project(x, count: n, into: out, residual: true)
    }

    /// Rows split over the workers (one GEMM each); a single row is a matrix-vector product, which
    /// reads the components once without GEMM's packing, its columns split over the workers.
    private func project(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>, residual: Bool) {
        guard n > 0 else { return }
        let d = inputDimension, r = outputDimension, width = r + (residual ? 1 : 0)
        let centred = FloatBuffer(count: n * d)
        let projected = residual ? FloatBuffer(count: n * r) : nil
        let input = SharedPointer(UnsafeMutablePointer(mutating: x)), output = SharedPointer(out)
        let target = SharedPointer(projected?.pointer ?? out)
        let parts = Parallel.split(n, into: n >= 64 ? Parallel.workerCount : 1)
        mean.withUnsafeBufferPointer { m in
            components.withUnsafeBufferPointer { w in
                let m = SharedPointer(UnsafeMutablePointer(mutating: m.baseAddress!))
                let w = SharedPointer(UnsafeMutablePointer(mutating: w.baseAddress!))
                // `projected` stays alive while the workers write into it.
                withExtendedLifetime(projected) {
                    Parallel.run(parts.count) { p in
                        let rows = parts[p]
                        guard !rows.isEmpty else { return }
                        let c = centred.pointer + rows.lowerBound * d, y = target.base + rows.lowerBound * r
                        for i in 0..<rows.count { for j in 0..<d { c[i * d + j] = input.base[(rows.lowerBound + i) * d + j] - m.base[j] } }
                        if rows.count == 1 {
                            // One row (one query): the components' columns split over the workers, so
                            // both cores stream the matrix.
                            let columns = Parallel.split(r, into: Parallel.workerCount)
                            let row = SharedPointer(c), result = SharedPointer(y)
                            Parallel.run(columns.count) { k in
                                let cols = columns[k]
                                guard !cols.isEmpty else { return }
                                BLAS.gemv(
                                    transA: true, m: d, n: cols.count, a: w.base + cols.lowerBound, lda: r, x: row.base,
                                    y: result.base + cols.lowerBound)
                            }
                        } else {
                            BLAS.gemm(m: rows.count, n: r, k: d, a: c, lda: d, b: w.base, ldb: r, c: y, ldc: r)
                        }
                        guard residual else { return }
                        // The residual coordinate: sqrt(max(0, ‖x − mean‖² − ‖projection‖²)).
                        for i in 0..<rows.count {
                            var total: Float = 0
                            for j in 0..<d { total += c[i * d + j] * c[i * d + j] }
                            var kept: Float = 0
                            let o = output.base + (rows.lowerBound + i) * width
                            for j in 0..<r {
                                let v = y[i * r + j]
                                kept += v * v
                                o[j] = v
                            }
                            o[r] = max(total - kept, 0).squareRoot()
                        }
                    }
                }
            }
        }
    }
}
