import Testing
import TangleTensor

/// A reference set on a grid (multiples of `step`, so every distance is exact in float32 and in
/// 8 bits) where ties must enter the top k: the first query has five copies (distance 0) and seven
/// points one step away (distance step²), scattered over the workers' parts and the chunks; k = 8
/// keeps every copy and cuts the second tie, keeping its three lowest indices. The other queries
/// are plain grid points.
struct TiedPoints {
    static let step: Float = 0.125
    static let copies = [2900, 17, 1500, 1499, 640]
    static let oneStepAway = [2990, 1800, 1024, 2047, 700, 12, 3]
    let count = 3000, dimension = 10, queryCount = 3, k = 8
    let points: [Float], queries: [Float]
    /// Per query, the k nearest by brute force in integers: ascending distance, ties by index.
    let expected: [[(index: Int, distance: Float)]]

    init() {
        let (n, d, m, k) = (count, dimension, queryCount, k)
        var rng = SeededGenerator(seed: 31)
        var grid = (0..<(n * d)).map { _ in Int(rng.nextFloat(in: -24, 24)) }
        let queryGrid = (0..<(m * d)).map { _ in Int(rng.nextFloat(in: -6, 6)) }
        for (p, j) in (Self.copies + Self.oneStepAway).enumerated() {
            for t in 0..<d { grid[j * d + t] = queryGrid[t] }
            if p >= Self.copies.count { grid[j * d + p % d] += p % 2 == 0 ? 1 : -1 }
        }
        points = grid.map { Float($0) * Self.step }
        queries = queryGrid.map { Float($0) * Self.step }
        func squaredSteps(_ i: Int, _ j: Int) -> Int {
            var s = 0
            for t in 0..<d { s += (grid[j * d + t] - queryGrid[i * d + t]) * (grid[j * d + t] - queryGrid[i * d + t]) }
            return s
        }
        expected = (0..<m).map { i -> [(index: Int, distance: Float)] in
            let all = (0..<n).map { j in (index: j, steps: squaredSteps(i, j)) }
            let sorted = all.sorted { $0.steps < $1.steps || ($0.steps == $1.steps && $0.index < $1.index) }
            return sorted.prefix(k).map { (index: $0.index, distance: Float($0.steps) * Self.step * Self.step) }
        }
    }

    /// `found` (for the first `found.count` queries) is exactly the expected neighbours and distances.
    func check(_ found: [[(index: Int, distance: Float)]], _ what: String) {
        #expect(expected[0].map(\.index) == Self.copies.sorted() + Self.oneStepAway.sorted().prefix(3), "the case: every copy, then the first three one step away")
        for (i, f) in found.enumerated() {
            #expect(f.map(\.index) == expected[i].map(\.index), "\(what): query \(i)")
            #expect(f.map(\.distance) == expected[i].map(\.distance), "\(what): query \(i)")
        }
    }
}
