import CInt8Dot
import Testing
import TangleTensor
@testable import TangleNeighbors

@Suite(.serialized) struct QuantizedNeighborsTests {
    /// Points and queries on the grid: the 8-bit search is then exact, so it must agree with a
    /// brute-force search in doubles — indices (ties by index) and distances.
    @Test(arguments: [37, 1]) func matchesBruteForceOnTheGrid(q: Int) {
        var rng = SeededGenerator(seed: 5)
        let (n, d, k) = (2300, 13, 11)
        let step: Float = 1 / 64
        let points = (0..<(n * d)).map { _ in Float(Int(rng.nextFloat(in: -101, 101))) * step }
        let queries = (0..<(q * d)).map { _ in Float(Int(rng.nextFloat(in: -127, 127))) * step }
        let index = points.withUnsafeBufferPointer { QuantizedNeighbors(quantizing: $0.baseAddress!, count: n, dimension: d, scale: step) }
        let found = queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: q, k: k, chunk: 160) }
        for i in 0..<q {
            var all: [(Int, Double)] = []
            for j in 0..<n {
                var s = 0.0
                for t in 0..<d {
                    let diff = Double(queries[i * d + t]) - Double(points[j * d + t])
                    s += diff * diff
                }
                all.append((j, s))
            }
            all.sort { (a: (Int, Double), b: (Int, Double)) -> Bool in a.1 < b.1 || (a.1 == b.1 && a.0 < b.0) }
            let exact = all.prefix(k)
            #expect(found[i].map { $0.index } == exact.map { $0.0 })
            for (f, e) in zip(found[i], exact) { #expect(abs(Double(f.distance) - e.1) < 1e-4 * max(1, e.1)) }
        }
    }

    /// Off-grid data: rounding moves each distance by little, and a query beyond the grid keeps
    /// the clipped part of its length.
    @Test func roundingAndClipping() {
        var rng = SeededGenerator(seed: 8)
        let (n, d) = (500, 32)
        let points = (0..<(n * d)).map { _ in rng.nextFloat(in: -1, 1) }
        let index = points.withUnsafeBufferPointer { QuantizedNeighbors(quantizing: $0.baseAddress!, count: n, dimension: d) }
        #expect(abs(index.scale - points.map(abs).max()! * 1.25 / 127) < 1e-7)
        var query = (0..<d).map { _ in rng.nextFloat(in: -1, 1) }
        func nearest(_ x: [Float]) -> (index: Int, distance: Float) {
            x.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: 1, k: 1)[0][0] }
        }
        let exact = (0..<n).map { j in (0..<d).reduce(Float(0)) { $0 + (query[$1] - points[j * d + $1]) * (query[$1] - points[j * d + $1]) } }
        let best = nearest(query)
        #expect(abs(best.distance - exact.min()!) < 0.02 * exact.min()!)
        // 40 units beyond the grid on one coordinate: the distance grows by about 40², not by ~1.25².
        query[3] = 41
        let far = nearest(query)
        #expect(far.distance > 1500)
    }

    /// The candidate cut keeps exactly the k smallest by (distance, index) and returns the largest
    /// kept distance: small and large lists, wide and narrow distance ranges, many ties, one value.
    @Test func compactionKeepsTheKSmallest() {
        var rng = SeededGenerator(seed: 17)
        for (n, k, range) in [(40, 10, 1000), (300, 75, 5), (1100, 75, 2_000_000_000), (700, 75, 300_000), (500, 75, 0), (76, 75, 50), (75, 75, 9)] {
            let distance = (0..<n).map { _ in Int32(Int(rng.nextFloat(in: 0, Float(range) + 0.99))) }
            let index = (0..<n).map { Int32($0 * 7 + 3) }.shuffled(using: &rng)
            let expected = zip(distance, index).sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.prefix(k)
            for sorted: Int32 in [0, 1] {
                var d = distance, i = index
                var count = Int64(n)
                var scratch = [UInt64](repeating: 0, count: n)
                let bound = tangle_topk_compact(&i, &d, &count, Int64(k), sorted, &scratch)
                #expect(count == Int64(min(n, k)))
                let kept = (0..<Int(count)).map { (d[$0], i[$0]) }
                if sorted == 1 {
                    #expect(kept.map(\.0) == expected.map(\.0) && kept.map(\.1) == expected.map(\.1), "n \(n) range \(range)")
                } else {
                    #expect(Set(kept.map { [$0.0, $0.1] }) == Set(expected.map { [$0.0, $0.1] }), "n \(n) range \(range)")
                }
                #expect(bound == (n >= k ? expected.map(\.0).max()! : Int32.max))
            }
        }
    }

    /// The VNNI and AVX2 kernels compute the same integers as plain C, tile edges included, and
    /// plain C computes the exact sums.
    @Test(.enabled(if: KernelLevels.hasAVX512, KernelLevels.needsAVX512)) func avx512KernelsAgreeWithPlainC() { kernelsAgree(level: KernelLevels.avx512NoAMX) }

    /// The AMX-INT8 tiles too: 32 queries at a time, groups padded to 16, the last stored groups read
    /// from a zero-padded copy.
    @Test(.enabled(if: KernelLevels.hasAMX, KernelLevels.needsAMX)) func amxKernelsAgreeWithPlainC() { kernelsAgree(level: KernelLevels.widest) }

    @Test(.enabled(if: KernelLevels.hasAVX2, KernelLevels.needsAVX2)) func avx2KernelsAgreeWithPlainC() { kernelsAgree(level: KernelLevels.avx2) }

    func kernelsAgree(level: Int32) {
        KernelLevels.holding { kernelsAgreeHolding(level: level) }
    }

    private func kernelsAgreeHolding(level: Int32) {
        var rng = SeededGenerator(seed: 9)
        for (n, d, m) in [
            (16 * 7 + 5, 61, 11), (48, 4, 8), (16, 1, 1), (160, 300, 3), (16 * 13 + 7, 37, 1), (16 * 9 + 3, 300, 37), (16 * 5, 64, 20),
            (16 * 3 + 1, 9, 33), (16, 1, 17),
        ] {
            let rows = (0..<(n * d)).map { _ in Int8(Int(rng.nextFloat(in: -127, 127))) }
            let bytes = Int(tangle_i8_packed_bytes(Int64(n), Int64(d)))
            var packed = [UInt8](repeating: 0, count: bytes)
            rows.withUnsafeBufferPointer { r in packed.withUnsafeMutableBufferPointer { tangle_i8_pack(r.baseAddress!, Int64(n), Int64(d), $0.baseAddress!) } }
            let groups = (d + 3) / 4
            var queries = [Int8](repeating: 0, count: m * groups * 4)
            for i in 0..<m { for t in 0..<d { queries[i * groups * 4 + t] = Int8(Int(rng.nextFloat(in: -127, 127))) } }
            let blocks = (n + 15) / 16
            // The raw dot products, through the selection with nothing to add and no bound:
            // every point is a candidate with d = −2·dot.
            func dots() -> [Int32] {
                let ldc = blocks * 16 + 16
                var index = [Int32](repeating: -1, count: m * ldc), dist = index
                var count = [Int64](repeating: 0, count: m)
                let zeros = [Int32](repeating: 0, count: max(n, m)), unbounded = [Int32](repeating: Int32.max, count: m)
                tangle_i8_candidates(
                    packed, Int64(groups), 0, Int64(blocks), Int64(n), queries, Int64(m), zeros, zeros, unbounded, &index, &dist, Int64(ldc),
                    &count)
                var out = [Int32](repeating: 0, count: m * blocks * 16)
                for i in 0..<m {
                    #expect(count[i] == Int64(n))
                    for c in 0..<Int(count[i]) { out[i * blocks * 16 + Int(index[i * ldc + c])] = -dist[i * ldc + c] / 2 }
                }
                return out
            }
            let simd = KernelLevels.at(level, dots), slow = KernelLevels.at(KernelLevels.plainC, dots)
            #expect(simd == slow)
            // The fused selection: the same candidates (as sets) from both kernels, and exactly those
            // below each limit.
            let norms = (0..<n).map { _ in Int32(Int(rng.nextFloat(in: 0, 100_000))) }
            let biases = (0..<m).map { _ in Int32(Int(rng.nextFloat(in: 0, 100_000))) }
            let valid = n - 3
            // Each query's limit: the median of its distances, so about half are selected.
            let limits = (0..<m).map { i in
                (0..<valid).map { biases[i] + norms[$0] - 2 * slow[i * blocks * 16 + $0] }.sorted()[valid / 2]
            }
            func select() -> [Set<[Int32]>] {
                let ldc = blocks * 16 + 16
                var index = [Int32](repeating: -1, count: m * ldc), dist = index
                var count = [Int64](repeating: 0, count: m)
                tangle_i8_candidates(
                    packed, Int64(groups), 0, Int64(blocks), Int64(valid), queries, Int64(m), norms, biases, limits, &index, &dist,
                    Int64(ldc), &count)
                return (0..<m).map { i in Set((0..<Int(count[i])).map { [index[i * ldc + $0], dist[i * ldc + $0]] }) }
            }
            let selectedSIMD = KernelLevels.at(level, select), selectedSlow = KernelLevels.at(KernelLevels.plainC, select)
            #expect(selectedSIMD == selectedSlow)
            let total = selectedSlow.reduce(0) { $0 + $1.count }
            #expect(total > 0 && total < m * valid, "the limits select some points, not none or all")
            for i in 0..<m {
                let expected = Set((0..<valid).compactMap { j -> [Int32]? in
                    let d = biases[i] + norms[j] - 2 * slow[i * blocks * 16 + j]
                    return d < limits[i] ? [Int32(j), d] : nil
                })
                #expect(selectedSlow[i] == expected)
            }
            // And the portable one is the plain sum (stored values are offset by 128).
            for i in 0..<m {
                for j in 0..<n {
                    let expected = (0..<d).reduce(0) { $0 + (Int(rows[j * d + $1]) + 128) * Int(queries[i * groups * 4 + $1]) }
                    #expect(Int(slow[i * blocks * 16 + j]) == expected)
                }
            }
        }
    }

    /// The whole search gives the same neighbours and distances on the SIMD kernels as on plain C.
    @Test(.enabled(if: KernelLevels.hasAVX512, KernelLevels.needsAVX512)) func avx512SearchEqualsPlainC() { searchEqualsPlainC(level: KernelLevels.avx512NoAMX) }

    @Test(.enabled(if: KernelLevels.hasAMX, KernelLevels.needsAMX)) func amxSearchEqualsPlainC() { searchEqualsPlainC(level: KernelLevels.widest) }

    @Test(.enabled(if: KernelLevels.hasAVX2, KernelLevels.needsAVX2)) func avx2SearchEqualsPlainC() { searchEqualsPlainC(level: KernelLevels.avx2) }

    func searchEqualsPlainC(level: Int32) {
        var rng = SeededGenerator(seed: 10)
        let (n, d, m) = (3000, 45, 41)
        let points = (0..<(n * d)).map { _ in rng.nextFloat(in: -1, 1) }
        let queries = (0..<(m * d)).map { _ in rng.nextFloat(in: -1.2, 1.2) }
        let index = points.withUnsafeBufferPointer { QuantizedNeighbors(quantizing: $0.baseAddress!, count: n, dimension: d) }
        for count in [m, 1] {
            let (simd, slow) = KernelLevels.holding {
                let search = { queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: count, k: 20, chunk: 320) } }
                return (KernelLevels.at(level, search), KernelLevels.at(KernelLevels.plainC, search))
            }
            #expect(simd.map { $0.map(\.index) } == slow.map { $0.map(\.index) })
            #expect(simd.map { $0.map(\.distance) } == slow.map { $0.map(\.distance) })
        }
    }

    /// Ties that must enter the top k (``TiedPoints``) come in index order from the 8-bit search
    /// too, one query and several, on every kernel.
    @Test func tiedPointsEnterTheTopKInIndexOrder() {
        let tie = TiedPoints()
        let index = tie.points.withUnsafeBufferPointer {
            QuantizedNeighbors(quantizing: $0.baseAddress!, count: tie.count, dimension: tie.dimension, scale: TiedPoints.step)
        }
        KernelLevels.holding {
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                for m in [1, tie.queryCount] {
                    let found = KernelLevels.at(level) { tie.queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: m, k: tie.k, chunk: 160) } }
                    tie.check(found, "8-bit, forced level \(level), \(m) queries")
                }
            }
        }
    }
}
