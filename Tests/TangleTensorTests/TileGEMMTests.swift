import CKernelLevel
import Testing
import TangleTensor

/// Training's own matrix products: the product they name (against float64 sums), and the same
/// floats at every kernel level.
@Suite struct TileGEMMTests {
    /// Shapes that reach every tile and remainder: rows not a multiple of 6 or 4, columns not a
    /// multiple of 16 or 64, a sum length not a multiple of 16, sums longer than one 256-term block,
    /// and more rows than one 96-row chunk.
    static let shapes: [(m: Int, n: Int, k: Int)] = [(13, 150, 37), (6, 64, 16), (1, 1, 1), (9, 70, 300), (101, 20, 600)]
    static let layouts = [false, true]

    struct Case {
        let a: [Float], b: [Float], c0: [Float]
        let m: Int, n: Int, k: Int, transA: Bool
        var lda: Int { transA ? m + 3 : k + 2 }
        var ldb: Int { n + 5 }
        var ldc: Int { n + 2 }

        init(_ m: Int, _ n: Int, _ k: Int, _ transA: Bool, seed: UInt64) {
            (self.m, self.n, self.k, self.transA) = (m, n, k, transA)
            var rng = SeededGenerator(seed: seed)
            let rowsA = transA ? k : m
            a = (0..<(rowsA * (transA ? m + 3 : k + 2))).map { _ in rng.nextFloat(in: -1, 1) }
            b = (0..<(k * (n + 5))).map { _ in rng.nextFloat(in: -1, 1) }
            c0 = (0..<(m * (n + 2))).map { _ in rng.nextFloat(in: -1, 1) }
        }

        func opA(_ i: Int, _ p: Int) -> Float { transA ? a[p * lda + i] : a[i * lda + p] }
        func opB(_ p: Int, _ j: Int) -> Float { b[p * ldb + j] }

        func run(alpha: Float, accumulate: Bool) -> [Float] {
            var c = c0
            TileGEMM.gemm(
                transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate,
                c: &c, ldc: ldc)
            return c
        }
    }

    @Test func theProductIsTheOneNamed() {
        for (si, s) in Self.shapes.enumerated() {
            for transA in Self.layouts {
                let t = Case(s.m, s.n, s.k, transA, seed: UInt64(si))
                for accumulate in [false, true] {
                    let c = t.run(alpha: -0.5, accumulate: accumulate)
                    var worst = 0.0
                    for i in 0..<s.m {
                        for j in 0..<s.n {
                            var sum = 0.0
                            for p in 0..<s.k { sum += Double(t.opA(i, p)) * Double(t.opB(p, j)) }
                            let expected = (accumulate ? Double(t.c0[i * t.ldc + j]) : 0) - 0.5 * sum
                            worst = max(worst, abs(Double(c[i * t.ldc + j]) - expected))
                        }
                        // The padding between rows of C is left alone.
                        for j in s.n..<t.ldc { #expect(c[i * t.ldc + j] == t.c0[i * t.ldc + j]) }
                    }
                    #expect(worst < 1e-5 * Double(s.k + 1), "\(s) transA \(transA) accumulate \(accumulate): \(worst)")
                }
            }
        }
    }

    @Test func everyKernelLevelGivesTheSameFloats() {
        KernelLevels.holding {
            for (si, s) in Self.shapes.enumerated() {
                for transA in Self.layouts {
                    let t = Case(s.m, s.n, s.k, transA, seed: UInt64(10 + si))
                    let plain = KernelLevels.at(KernelLevels.plainC) { t.run(alpha: 0.75, accumulate: true) }
                    for level in [KernelLevels.avx2, KernelLevels.widest] {
                        let other = KernelLevels.at(level) { t.run(alpha: 0.75, accumulate: true) }
                        #expect(plain.map(\.bitPattern) == other.map(\.bitPattern), "\(s) transA \(transA) level \(level)")
                    }
                }
            }
        }
    }

    @Test func transposeWritesEveryEntryOfItsRows() {
        let (rows, cols, lda, ldt) = (37, 21, 23, 40)
        let a = (0..<(rows * lda)).map { Float($0) }
        var t = [Float](repeating: -1, count: cols * ldt)
        TileGEMM.transpose(rows: 3..<37, columns: cols, a, lda: lda, into: &t, ldt: ldt)
        for p in 0..<cols {
            for i in 0..<ldt { #expect(t[p * ldt + i] == ((3..<37).contains(i) ? a[i * lda + p] : -1), "t[\(p)][\(i)]") }
        }
    }
}
