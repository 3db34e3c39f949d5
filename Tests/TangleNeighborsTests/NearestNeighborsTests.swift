import Foundation
import Testing
import CNarrowNearest
import TangleTensor
@testable import TangleNeighbors

@Suite struct NearestNeighborsTests {
    /// Several workers, chunks and query blocks, and the one-query (matrix-vector) path.
    @Test(arguments: [40, 1]) func matchesBruteForce(q: Int) {
        var rng = SeededGenerator(seed: 3)
        let (n, d, k) = (2500, 7, 9)
        let points = (0..<(n * d)).map { _ in rng.nextFloat(in: -1, 1) }
        let queries = (0..<(q * d)).map { _ in rng.nextFloat(in: -1, 1) }
        let index = points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: n, dimension: d) }
        let found = queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: q, k: k, chunk: 64, queryBlock: 16) }
        for i in 0..<q {
            let exact = (0..<n).map { j -> (Int, Double) in
                var s = 0.0
                for t in 0..<d { let diff = Double(queries[i * d + t] - points[j * d + t]); s += diff * diff }
                return (j, s)
            }.sorted { $0.1 < $1.1 }.prefix(k)
            #expect(found[i].map { $0.index } == exact.map { $0.0 })
            for (f, e) in zip(found[i], exact) { #expect(abs(Double(f.distance) - e.1) < 1e-4) }
        }
    }

    @Test func tiesGoToTheLowerIndexAcrossWorkers() {
        // 3000 identical points: every distance ties, so the k nearest are the first k indices.
        let points = [Float](repeating: 0.5, count: 3000 * 3)
        let index = points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: 3000, dimension: 3) }
        let q: [Float] = [0, 0, 0]
        let found = q.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: 1, k: 5, chunk: 100) }
        #expect(found[0].map { $0.index } == [0, 1, 2, 3, 4])
    }

    /// Narrow points (the logits) go through the direct-distance kernel: the brute-force
    /// neighbours, ties to the lower index, the same floats from the SIMD and plain kernels, and a
    /// count that is not a multiple of 16.
    @Test(.enabled(if: KernelLevels.hasAVX512, KernelLevels.needsAVX512), arguments: [37, 1])
    func narrowAVX512SearchEqualsPlainCAndBruteForce(q: Int) { narrowSearchMatchesPlainCAndBruteForce(q: q, level: KernelLevels.widest) }

    @Test(.enabled(if: KernelLevels.hasAVX2, KernelLevels.needsAVX2), arguments: [37, 1])
    func narrowAVX2SearchEqualsPlainCAndBruteForce(q: Int) { narrowSearchMatchesPlainCAndBruteForce(q: q, level: KernelLevels.avx2) }

    func narrowSearchMatchesPlainCAndBruteForce(q: Int, level: Int32) {
        var rng = SeededGenerator(seed: 12)
        let (n, d, k) = (3001, 10, 75)
        var points = (0..<(n * d)).map { _ in rng.nextFloat(in: -3, 3) }
        for t in 0..<d { points[2999 * d + t] = points[5 * d + t] } // an exact tie: 5 before 2999
        var queries = (0..<(q * d)).map { _ in rng.nextFloat(in: -3, 3) }
        for t in 0..<d { queries[t] = points[5 * d + t] } // the first query sits on both: they are its two nearest
        let index = points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: n, dimension: d, directNarrow: true) }
        #expect(index.narrow != nil)
        let (simd, plain) = KernelLevels.holding {
            let search = { queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: q, k: k) } }
            return (KernelLevels.at(level, search), KernelLevels.at(KernelLevels.plainC, search))
        }
        #expect(simd[0].prefix(2).map(\.index) == [5, 2999] && simd[0].prefix(2).map(\.distance) == [0, 0])
        for i in 0..<q {
            #expect(simd[i].map { $0.index } == plain[i].map { $0.index })
            #expect(simd[i].map { $0.distance } == plain[i].map { $0.distance })
            var all: [(index: Int, distance: Double)] = []
            for j in 0..<n {
                var s = 0.0
                for t in 0..<d {
                    let diff = Double(queries[i * d + t] - points[j * d + t])
                    s += diff * diff
                }
                all.append((j, s))
            }
            all.sort { (a: (index: Int, distance: Double), b: (index: Int, distance: Double)) -> Bool in
                a.distance < b.distance || (a.distance == b.distance && a.index < b.index)
            }
            let exact = all.prefix(k)
            #expect(plain[i].map { $0.index } == exact.map { $0.index })
            for (f, e) in zip(plain[i], exact) { #expect(abs(Double(f.distance) - e.distance) < 1e-4 * max(1, e.distance)) }
        }
    }

    /// A query with a NaN feature still gets its k neighbours from the narrow search (every
    /// distance counts as infinitely far, ties to the lowest indices), as from the GEMM search.
    @Test func narrowSearchFillsKForANaNQuery() {
        let (n, d) = (500, 10)
        let points = (0..<(n * d)).map { Float($0 % 17) / 17 }
        var q = [Float](repeating: 0.5, count: d)
        q[3] = .nan
        let index = points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: n, dimension: d, directNarrow: true) }
        KernelLevels.holding {
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                let found = KernelLevels.at(level) { q.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: 1, k: 75) } }
                #expect(found[0].count == 75)
                #expect(found[0].map { $0.index } == Array(0..<75))
            }
        }
    }

    /// Tied points that must enter the top k: copies of the query (distance 0) and points one grid
    /// step from it (distance step²), scattered over the workers' parts and the chunks, among
    /// points farther away. The k nearest are every copy, then the lowest-indexed of the points a
    /// step away — k cuts that tie — in ascending index; on the GEMM search (one query and several)
    /// and the narrow search on every kernel. On the grid every distance is exact in float32.
    @Test func tiedPointsEnterTheTopKInIndexOrder() {
        let tie = TiedPoints()
        let gemm = tie.points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: tie.count, dimension: tie.dimension) }
        let narrow = tie.points.withUnsafeBufferPointer {
            NearestNeighbors(points: $0.baseAddress!, count: tie.count, dimension: tie.dimension, directNarrow: true)
        }
        #expect(gemm.narrow == nil && narrow.narrow != nil)
        for m in [1, tie.queryCount] {
            let found = tie.queries.withUnsafeBufferPointer { gemm.search($0.baseAddress!, queryCount: m, k: tie.k, chunk: 100) }
            tie.check(found, "GEMM, \(m) queries")
        }
        KernelLevels.holding {
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                let found = KernelLevels.at(level) { tie.queries.withUnsafeBufferPointer { narrow.search($0.baseAddress!, queryCount: tie.queryCount, k: tie.k) } }
                tie.check(found, "narrow, forced level \(level)")
            }
        }
    }

    @Test func normalizationGuardsZeroRows() {
        var x: [Float] = [3, 4, 0, 0]
        x.withUnsafeMutableBufferPointer { l2Normalize($0.baseAddress!, rows: 2, dimension: 2) }
        #expect(x == [0.6, 0.8, 0, 0])
    }
}

@Suite struct NeighborFixture {
    @Test func neighbourIndicesMatchTheReference() throws {
        let c = try #require((try ReferenceFixture.json()["dknn_cases"] as? [[String: Any]])?.first)
        let k = c["k"] as! Int
        let train = c["train"] as! [[[Double]]]
        let test = c["test"] as! [[[Double]]]
        let expected = (c["expected"] as! [String: Any])["neighbour_indices"] as! [[[Int]]]
        for layer in 0..<train.count {
            let d = train[layer][0].count
            let points = train[layer].flatMap { $0.map(Float.init) }
            let queries = test[layer].flatMap { $0.map(Float.init) }
            let index = points.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: train[layer].count, dimension: d) }
            let found = queries.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: test[layer].count, k: k) }
            #expect(found.map { $0.map(\.index) } == expected[layer])
        }
    }
}
