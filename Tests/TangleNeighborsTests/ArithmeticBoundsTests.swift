import CInt8Dot
import CInt8GEMM
import Testing
@testable import TangleNeighbors

/// The 32-bit bounds of the 8-bit kernels (`int8_dot.h`, `int8_gemm.h`): at the stated bound the
/// worst-case sums are exact on every kernel level, and the Swift side refuses or avoids a wider
/// dimension.
@Suite struct ArithmeticBoundsTests {
    /// At `TANGLE_I8_MAX_DIM` the widest distance and the widest `2 · dot` (stored 127, query −128 in
    /// every coordinate) are exact on every kernel level.
    @Test func int8DistancesAreExactAtTheBound() {
        let dim = Int(TANGLE_I8_MAX_DIM)
        #expect(dim == 32_896 && QuantizedNeighbors.maxDimension == dim)
        let point = [Int8](repeating: 127, count: dim)
        var packed = [UInt8](repeating: 0, count: Int(tangle_i8_packed_bytes(1, Int64(dim))))
        tangle_i8_pack(point, 1, Int64(dim), &packed)
        let query = [Int8](repeating: -128, count: dim)
        let norms: [Int32] = [Int32(127 * 127 * dim)]
        let biases: [Int32] = [Int32((128 * 128 - 2 * 128 * 128) * dim)]
        let limits: [Int32] = [Int32.max]
        let expected = Int32(255 * 255 * dim)  // ‖p − q‖² = 65,025 × 32,896 = 2,139,062,400
        KernelLevels.holding {
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                var index = [Int32](repeating: -1, count: 17), distance = [Int32](repeating: 0, count: 17)
                var count: [Int64] = [0]
                KernelLevels.at(level) {
                    tangle_i8_candidates(packed, Int64(dim / 4), 0, 1, 1, query, 1, norms, biases, limits, &index, &distance, 17, &count)
                }
                #expect(count == [1], "level \(level)")
                #expect(index[0] == 0 && distance[0] == expected, "level \(level): \(distance[0])")
            }
        }
    }

    /// At `TANGLE_QGEMM_MAX_K` the most negative sum (255 × −128, k times) and the most positive
    /// (255 × 127) are exact on every kernel level.
    @Test(arguments: [Int8(-128), 127]) func int8GEMMSumsAreExactAtTheBound(weight: Int8) {
        let k = Int(TANGLE_QGEMM_MAX_K), n = 16
        #expect(k == 65_792 && EightBitComponents.maxInputDimension == k)
        let a = [UInt8](repeating: 255, count: k)
        let b = [Int8](repeating: weight, count: k * n)
        var packed = [Int8](repeating: 0, count: Int(tangle_qgemm_packed_bytes(Int64(k), Int64(n))))
        tangle_qgemm_pack(b, Int64(k), Int64(n), &packed)
        let ones = [Float](repeating: 1, count: n), zeros = [Float](repeating: 0, count: n)
        let expected = Float(255 * Int(weight) * k)  // −2,147,450,880 or 2,130,673,920: both exact in float32
        KernelLevels.holding {
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                var c = [Float](repeating: 0, count: n)
                KernelLevels.at(level) { tangle_qgemm(a, Int64(k), 1, Int64(k), packed, Int64(n), ones, ones, zeros, 0, &c, Int64(n)) }
                #expect(c.allSatisfy { $0 == expected }, "level \(level): \(c[0]) for \(expected)")
            }
        }
    }

    /// A projection wider than the 8-bit sums allow stays float32; one at the bound is quantized.
    @Test func wideProjectionsStayFloat32() {
        func projection(_ d: Int) -> Projection {
            Projection(
                inputDimension: d, outputDimension: 1, mean: [Float](repeating: 0, count: d), components: [Float](repeating: 0.01, count: d),
                variances: [1], totalVariance: 1)
        }
        #expect(projection(EightBitComponents.maxInputDimension).quantized().eightBit != nil)
        #expect(projection(EightBitComponents.maxInputDimension + 1).quantized().eightBit == nil)
    }

    /// An 8-bit neighbour search wider than its distances allow is refused when it is made.
    @Test func wideQuantizedSearchIsRefused() async {
        await #expect(processExitsWith: .failure) {
            let d = QuantizedNeighbors.maxDimension + 4
            let points = [Float](repeating: 0.5, count: d)
            _ = points.withUnsafeBufferPointer { QuantizedNeighbors(quantizing: $0.baseAddress!, count: 1, dimension: d) }
        }
    }
}
