import CInt8GEMM
import CRowGEMM
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
    /// The components in signed 8 bits, when rows without negative values are projected in 8 bits
    /// (``quantized()``).
    public private(set) var eightBit: EightBitComponents?

    /// Creates a projection from stored parts.
    public init(inputDimension: Int, outputDimension: Int, mean: [Float], components: [Float], variances: [Double], totalVariance: Double) {
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.mean = mean
        self.components = components
        self.variances = variances
        self.totalVariance = totalVariance
    }

    /// This projection with its components also in signed 8 bits: a row with no negative value is
    /// then quantized to unsigned 8 bits on its own scale (`max / 255`) and projected by exact
    /// integer sums (``EightBitComponents``), about four times the float32 rate on a processor
    /// with AVX-512 VNNI; a row with a negative value is projected in float32. After L2
    /// normalisation a unit row's 8-bit rounding moves each output by about 10⁻⁴, an order of
    /// magnitude below the index's own 8-bit grid.
    ///
    /// An input wider than ``EightBitComponents/maxInputDimension`` (65,792, the longest integer sum
    /// that fits in 32 bits) stays float32: this returns the projection unchanged.
    public func quantized() -> Projection {
        guard inputDimension <= EightBitComponents.maxInputDimension else { return self }
        var p = self
        p.eightBit = EightBitComponents(self)
        return p
    }

    /// The fraction of the fitted data's variance the kept components explain.
    public var explainedVariance: Double { totalVariance > 0 ? variances.reduce(0, +) / totalVariance : 1 }

    /// `‖a − b‖²` over `count` values, sixteen lanes at a time.
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let v = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD16<Float>.self) - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD16<Float>.self)
            lanes += v * v
            j += 16
        }
        var total = lanes.sum()
        while j < count {
            let v = a[j] - b[j]
            total += v * v
            j += 1
        }
        return total
    }

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

    /// Rows split over the workers; a single row has its columns split over the workers instead, so
    /// both cores stream the components. Float32 rows are fixed-order products (`tangle_row_gemm`),
    /// so a row's projection never depends on the rows beside it.
    private func project(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>, residual: Bool) {
        guard n > 0 else { return }
        let d = inputDimension, r = outputDimension, width = r + (residual ? 1 : 0)
        // The centred rows are needed only in float32 (8-bit rows fold the mean into a bias).
        let centred = eightBit == nil ? FloatBuffer(count: n * d) : nil
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
                        let y = target.base + rows.lowerBound * r, x = input.base + rows.lowerBound * d
                        // Each row's ‖x − mean‖², for the residual.
                        var totals = [Float](repeating: 0, count: rows.count)
                        if let e = eightBit {
                            e.project(x, mean: m.base, count: rows.count, into: y)
                            if residual {
                                for i in 0..<rows.count { totals[i] = Self.squaredDistance(x + i * d, m.base, count: d) }
                            }
                        } else {
                        let c = centred!.pointer + rows.lowerBound * d
                        for i in 0..<rows.count {
                            var total: Float = 0
                            for j in 0..<d {
                                let v = x[i * d + j] - m.base[j]
                                c[i * d + j] = v
                                total += v * v
                            }
                            totals[i] = total
                        }
                        // One row (one query): the components' columns split over the workers.
                        let columns = Parallel.split(r, into: rows.count == 1 ? Parallel.workerCount : 1)
                        let centredRows = SharedPointer(c), result = SharedPointer(y), m = Int64(rows.count)
                        Parallel.run(columns.count) { k in
                            let cols = columns[k]
                            guard !cols.isEmpty else { return }
                            tangle_row_gemm(
                                centredRows.base, Int64(d), m, Int64(d), w.base + cols.lowerBound, Int64(r), Int64(cols.count), nil, 0,
                                result.base + cols.lowerBound, Int64(r))
                        }
                        }
                        guard residual else { return }
                        // The residual coordinate: sqrt(max(0, ‖x − mean‖² − ‖projection‖²)).
                        for i in 0..<rows.count {
                            let total = totals[i]
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

/// A projection's components in signed 8 bits (one step per output, `max |w| / 127`), packed for
/// `tangle_qgemm`, with the mean folded into a bias: `(x − mean)·W = x·W − mean·W`.
public final class EightBitComponents: @unchecked Sendable {
    /// The widest input it projects: 65,792 features (`TANGLE_QGEMM_MAX_K`; the input is rounded up
    /// to a multiple of 4, and 65,792 is one), the most whose integer sums fit in 32 bits.
    public static let maxInputDimension = Int(TANGLE_QGEMM_MAX_K)
    /// Input features rounded up to a multiple of 4.
    let depth: Int
    let inputDimension: Int
    let outputDimension: Int
    private let packed: [Int8]
    private let scales: [Float]
    private let bias: [Float]
    /// Whether any of `count` values is below zero (NaN is not), sixteen at a time.
    static func hasNegative(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var j = 0
        let zero = SIMD16<Float>(repeating: 0)
        while j + 16 <= count {
            if any(UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self) .< zero) { return true }
            j += 16
        }
        while j < count {
            if x[j] < 0 { return true }
            j += 1
        }
        return false
    }

    /// Bytes held beyond the float32 projection: the packed components, their scales and bias.
    public var storedBytes: Int { packed.count + (scales.count + bias.count) * 4 }
    /// The float32 components, for rows with a negative value.
    private let components: [Float]

    /// - Precondition: the input is at most ``maxInputDimension`` wide (``Projection/quantized()`` checks).
    init(_ p: Projection) {
        precondition(
            p.inputDimension <= Self.maxInputDimension,
            "8-bit projection of \(p.inputDimension) features: at most \(Self.maxInputDimension) fit its 32-bit sums")
        let d = p.inputDimension, r = p.outputDimension
        inputDimension = d
        outputDimension = r
        let depth = (d + 3) / 4 * 4
        self.depth = depth
        components = p.components
        var scales = [Float](repeating: 0, count: r)
        for i in 0..<d { for j in 0..<r { scales[j] = max(scales[j], abs(p.components[i * r + j])) } }
        scales = scales.map { $0 / 127 }
        var q = [Int8](repeating: 0, count: depth * r)
        for i in 0..<d {
            for j in 0..<r where scales[j] > 0 { q[i * r + j] = Int8(max(-127, min(127, (p.components[i * r + j] / scales[j]).rounded()))) }
        }
        var packed = [Int8](repeating: 0, count: Int(tangle_qgemm_packed_bytes(Int64(depth), Int64(r))))
        tangle_qgemm_pack(q, Int64(depth), Int64(r), &packed)
        self.packed = packed
        self.scales = scales
        var bias = [Double](repeating: 0, count: r)
        for i in 0..<d { for j in 0..<r { bias[j] -= Double(p.mean[i]) * Double(p.components[i * r + j]) } }
        self.bias = bias.map(Float.init)
    }

    /// Projects `count` rows of `x` into `y` (`[count, r]`): rows without a negative value in 8
    /// bits, together; the others (centred on `mean`) in float32. One row has its outputs split
    /// over the workers.
    func project(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        let d = inputDimension, r = outputDimension
        var eight: [Int] = [], float: [Int] = []
        for i in 0..<n {
            if Self.hasNegative(x + i * d, count: d) { float.append(i) } else { eight.append(i) }
        }
        if !eight.isEmpty {
            let rows = UnsafeMutablePointer<UInt8>.allocate(capacity: eight.count * depth + depth)
            defer { rows.deallocate() }
            var rowScales = [Float](repeating: 0, count: eight.count)
            let padded = rows + eight.count * depth
            for (t, i) in eight.enumerated() {
                rowScales[t] = tangle_quantize_im2col(x + i * d, 1, 1, Int64(d), 1, 1, 0, 0, 1, 1, padded, 1, 1, rows + t * depth, Int64(depth))
            }
            let out = eight.count == n ? y : UnsafeMutablePointer<Float>.allocate(capacity: eight.count * r)
            let m = eight.count
            // Column blocks of 16 split over the workers for a single row (it reads every weight once).
            let blocks = (r + 15) / 16
            let parts = Parallel.split(blocks, into: m == 1 ? Parallel.workerCount : 1)
            let shared = (SharedPointer(rows), SharedPointer(out))
            packed.withUnsafeBufferPointer { w in
                scales.withUnsafeBufferPointer { cs in
                    bias.withUnsafeBufferPointer { b in
                        rowScales.withUnsafeMutableBufferPointer { rs in
                        let (w, cs, b) = (SharedPointer(UnsafeMutablePointer(mutating: w.baseAddress!)),
                                          SharedPointer(UnsafeMutablePointer(mutating: cs.baseAddress!)),
                                          SharedPointer(UnsafeMutablePointer(mutating: b.baseAddress!)))
                        let rs = SharedPointer(rs.baseAddress!)
                        let depth = depth
                        Parallel.run(parts.count) { p in
                            let range = parts[p]
                            guard !range.isEmpty else { return }
                            let c0 = range.lowerBound * 16, width = min(range.upperBound * 16, r) - c0
                            tangle_qgemm(
                                shared.0.base, Int64(depth), Int64(m), Int64(depth), w.base + c0 * depth, Int64(width), rs.base, cs.base + c0,
                                b.base + c0, 0, shared.1.base + c0, Int64(r))
                        }
                        }
                    }
                }
            }
            if eight.count != n {
                for (t, i) in eight.enumerated() { (y + i * r).update(from: out + t * r, count: r) }
                out.deallocate()
            }
        }
        components.withUnsafeBufferPointer { w in
            guard !float.isEmpty else { return }
            let c = FloatBuffer(count: d)
            for i in float {
                for j in 0..<d { c[j] = x[i * d + j] - mean[j] }
                tangle_row_gemm(c.pointer, Int64(d), 1, Int64(d), w.baseAddress!, Int64(r), Int64(r), nil, 0, y + i * r, Int64(r))
            }
        }
    }
}
