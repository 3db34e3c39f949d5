import Testing
import TangleTensor
@testable import TangleNeighbors

@Suite struct ProjectionTests {
    @Test func recoversALowRankSubspaceAndItsVariances() throws {
        // 400 points in 30-d that live (up to small noise) in a 3-d subspace with variances 9, 4, 1.
        var rng = SeededGenerator(seed: 1)
        let (n, d) = (400, 30)
        var basis = (0..<(3 * d)).map { _ in rng.nextNormal() }
        // Orthonormalise the three basis rows (Gram–Schmidt).
        for i in 0..<3 {
            for j in 0..<i {
                var dot: Float = 0
                for t in 0..<d { dot += basis[i * d + t] * basis[j * d + t] }
                for t in 0..<d { basis[i * d + t] -= dot * basis[j * d + t] }
            }
            var norm: Float = 0
            for t in 0..<d { norm += basis[i * d + t] * basis[i * d + t] }
            for t in 0..<d { basis[i * d + t] /= norm.squareRoot() }
        }
        let scales: [Float] = [3, 2, 1]
        var x = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            let z = scales.map { $0 * rng.nextNormal() }
            for t in 0..<d {
                x[i * d + t] = 5 + z[0] * basis[t] + z[1] * basis[d + t] + z[2] * basis[2 * d + t] + 0.01 * rng.nextNormal()
            }
        }
        let p = try x.withUnsafeBufferPointer { try Projection.pca($0.baseAddress!, count: n, dimension: d, keep: 3) }
        #expect(p.explainedVariance > 0.999)
        #expect(p.variances[0] > p.variances[1] && p.variances[1] > p.variances[2])
        #expect(abs(p.variances[0] / p.variances[2] - 9) < 2.5)
        // Distances are preserved: the projection is an isometry on the subspace.
        var y = [Float](repeating: 0, count: n * 3)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { p.apply(xp.baseAddress!, count: n, into: $0.baseAddress!) } }
        for (a, b) in [(0, 1), (5, 77), (100, 399)] {
            var full: Float = 0, reduced: Float = 0
            for t in 0..<d { full += (x[a * d + t] - x[b * d + t]) * (x[a * d + t] - x[b * d + t]) }
            for t in 0..<3 { reduced += (y[a * 3 + t] - y[b * 3 + t]) * (y[a * 3 + t] - y[b * 3 + t]) }
            #expect(abs(full - reduced) < 0.01 * full + 0.01)
        }
        // Columns are orthonormal.
        for i in 0..<3 {
            for j in 0..<3 {
                var dot: Float = 0
                for t in 0..<d { dot += p.components[t * 3 + i] * p.components[t * 3 + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-3)
            }
        }
    }

    @Test func theResidualCoordinateIsTheLengthOfWhatIsDropped() throws {
        var rng = SeededGenerator(seed: 4)
        let (n, d) = (200, 12)
        let x = (0..<(n * d)).map { _ in rng.nextNormal() }
        let p = try x.withUnsafeBufferPointer { try Projection.pca($0.baseAddress!, count: n, dimension: d, keep: 4) }
        var out = [Float](repeating: 0, count: n * 5)
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { p.applyWithResidual(xs.baseAddress!, count: n, into: $0.baseAddress!) } }
        var plain = [Float](repeating: 0, count: n * 4)
        x.withUnsafeBufferPointer { xs in plain.withUnsafeMutableBufferPointer { p.apply(xs.baseAddress!, count: n, into: $0.baseAddress!) } }
        for i in 0..<n {
            var total: Float = 0, kept: Float = 0
            for t in 0..<d { total += (x[i * d + t] - p.mean[t]) * (x[i * d + t] - p.mean[t]) }
            for t in 0..<4 {
                kept += out[i * 5 + t] * out[i * 5 + t]
                #expect(out[i * 5 + t] == plain[i * 4 + t])
            }
            let r = out[i * 5 + 4]
            #expect(r >= 0)
            #expect(abs(kept + r * r - total) < 1e-3 * total)
        }
    }

    /// The 8-bit projection of non-negative unit rows stays within 5·10⁻³ of float32 (residual
    /// included; with 203 inputs a component's 8-bit step is about 0.002, and it shrinks with the
    /// square root of the width); a row with a negative value is projected in float32 exactly as before; one row
    /// alone gets the same numbers as in a batch.
    @Test func eightBitProjectionIsCloseAndBatchIndependent() throws {
        var rng = SeededGenerator(seed: 4)
        let (n, d, r) = (150, 203, 24)
        var x = (0..<(n * d)).map { _ in max(0, rng.nextNormal()) * rng.nextFloat(in: 0, 1) }
        for i in 0..<n {
            var s: Float = 0
            for t in 0..<d { s += x[i * d + t] * x[i * d + t] }
            for t in 0..<d { x[i * d + t] /= s.squareRoot() }
        }
        x[7 * d + 3] = -0.01 // one row with a negative value
        let p = try x.withUnsafeBufferPointer { try Projection.pca($0.baseAddress!, count: n, dimension: d, keep: r) }
        let q = p.quantized()
        #expect(q.eightBit != nil && p.eightBit == nil)
        var a = [Float](repeating: 0, count: n * (r + 1)), b = a
        x.withUnsafeBufferPointer { p.applyWithResidual($0.baseAddress!, count: n, into: &a) }
        x.withUnsafeBufferPointer { q.applyWithResidual($0.baseAddress!, count: n, into: &b) }
        var worst: Float = 0
        for i in 0..<n where i != 7 { for j in 0...r { worst = max(worst, abs(a[i * (r + 1) + j] - b[i * (r + 1) + j])) } }
        #expect(worst < 5e-3)
        #expect(worst > 0, "the 8-bit path was not taken")
        for j in 0..<r { #expect(abs(a[7 * (r + 1) + j] - b[7 * (r + 1) + j]) < 1e-6) }
        for i in [0, 7, n - 1] {
            var one = [Float](repeating: 0, count: r + 1)
            x.withUnsafeBufferPointer { q.applyWithResidual($0.baseAddress! + i * d, count: 1, into: &one) }
            #expect(one == Array(b[(i * (r + 1))..<((i + 1) * (r + 1))]))
        }
    }
}
