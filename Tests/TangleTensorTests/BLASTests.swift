import Testing
@testable import TangleTensor

@Suite struct BLASTests {
    /// Naive row-major product with optional transposes, in Double.
    func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = ta ? a[p * m + i] : a[i * k + p]
                    let bv = tb ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = s
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(ta: Bool, tb: Bool) {
        var rng = SeededGenerator(seed: 11)
        let (m, n, k) = (7, 5, 9)
        let a = (0..<(m * k)).map { _ in rng.nextFloat(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
        var c = [Float](repeating: 0.5, count: m * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(
                        transA: ta, transB: tb, m: m, n: n, k: k, alpha: 2, a: ap.baseAddress!, lda: ta ? m : k,
                        b: bp.baseAddress!, ldb: tb ? k : n, beta: 1, c: cp.baseAddress!, ldc: n)
                }
            }
        }
        let expected = naive(a, b, m: m, n: n, k: k, ta: ta, tb: tb).map { 2 * $0 + 0.5 }
        for (x, y) in zip(c, expected) { #expect(abs(Double(x) - y) < 1e-4) }
    }

    @Test func gemmWithEmptyInnerDimensionScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let dummy: [Float] = [0]
        dummy.withUnsafeBufferPointer { d in
            c.withUnsafeMutableBufferPointer { cp in
                BLAS.gemm(m: 2, n: 2, k: 0, a: d.baseAddress!, lda: 1, b: d.baseAddress!, ldb: 2, beta: 0, c: cp.baseAddress!, ldc: 2)
            }
        }
        #expect(c == [0, 0, 0, 0])
    }

    @Test func axpyAdds() {
        let x: [Float] = [1, 2, 3]
        var y: [Float] = [10, 20, 30]
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { BLAS.axpy(n: 3, alpha: 2, x: xp.baseAddress!, y: $0.baseAddress!) }
        }
        #expect(y == [12, 24, 36])
    }
}
