import Testing
import TangleTensor

@Suite struct LAPACKTests {
    @Test func eigenDecompositionDiagonalisesASymmetricMatrix() throws {
        let m: [Double] = [4, 1, 0, 1, 3, 1, 0, 1, 2]
        let (values, vectors) = try SymmetricEigen.decompose(m, size: 3)
        #expect(values == values.sorted())
        for e in 0..<3 {
            var length = 0.0
            for i in 0..<3 {
                var mv = 0.0
                for j in 0..<3 { mv += m[i * 3 + j] * vectors[j * 3 + e] }
                #expect(abs(mv - values[e] * vectors[i * 3 + e]) < 1e-9)
                length += vectors[i * 3 + e] * vectors[i * 3 + e]
            }
            #expect(abs(length - 1) < 1e-12)
        }
        // The trace is the sum of the eigenvalues.
        #expect(abs(values.reduce(0, +) - 9) < 1e-12)
    }

    @Test func eigenDecompositionRefusesNaN() {
        #expect(throws: SymmetricEigen.Failure.self) { try SymmetricEigen.decompose([1, .nan, .nan, 1], size: 2) }
    }

    @Test func orthonormalColumnsSpanTheSameSpace() throws {
        var rng = SeededGenerator(seed: 4)
        let (m, n) = (40, 6)
        let original = (0..<(m * n)).map { _ in rng.nextFloat(in: -1, 1) }
        var q = original
        try q.withUnsafeMutableBufferPointer { try Orthonormal.columns($0.baseAddress!, rows: m, columns: n) }
        // QᵀQ = I.
        for a in 0..<n {
            for b in 0..<n {
                let dot = (0..<m).reduce(Float(0)) { $0 + q[$1 * n + a] * q[$1 * n + b] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
            }
        }
        // Each original column lies in the span: its projection onto Q keeps its whole length.
        for c in 0..<n {
            var kept: Float = 0, total: Float = 0
            for b in 0..<n {
                let dot = (0..<m).reduce(Float(0)) { $0 + q[$1 * n + b] * original[$1 * n + c] }
                kept += dot * dot
            }
            for r in 0..<m { total += original[r * n + c] * original[r * n + c] }
            #expect(abs(kept - total) < 1e-4 * total)
        }
    }
}
