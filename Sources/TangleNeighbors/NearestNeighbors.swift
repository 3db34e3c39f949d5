import TangleTensor

/// Exact k-nearest-neighbour search by GEMM with a partial top-k, over a fixed reference set.
///
/// Squared euclidean distances `‖q‖² + ‖r‖² − 2 q·r` come from one GEMM per block of queries
/// (rows split over the workers); each query keeps its `k` smallest in a bounded max-heap.
public final class NearestNeighbors: @unchecked Sendable {
    /// The reference points, `[count, dimension]`.
    public let reference: UnsafePointer<Float>
    /// Keeps the reference points' memory alive (a copy, or a memory-mapped file).
    private let owner: AnyObject
    /// Reference points.
    public let count: Int
    /// Features per point.
    public let dimension: Int
    private let norms: [Float]

    /// Indexes `count` points of `dimension` features (copied).
    public convenience init(points: UnsafePointer<Float>, count: Int, dimension: Int) {
        let copy = FloatBuffer(count: count * dimension)
        copy.pointer.update(from: points, count: count * dimension)
        self.init(borrowing: UnsafePointer(copy.pointer), count: count, dimension: dimension, owner: copy)
    }

    /// Indexes `count` points of `dimension` features in memory that `owner` keeps alive (for
    /// example a memory-mapped index file); nothing is copied.
    public init(borrowing points: UnsafePointer<Float>, count: Int, dimension: Int, owner: AnyObject) {
        self.count = count
        self.dimension = dimension
        reference = points
        self.owner = owner
        var n = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var s: Float = 0
            let r = points + i * dimension
            for j in 0..<dimension { s += r[j] * r[j] }
            n[i] = s
        }
        norms = n
    }

    /// The `k` nearest reference points of each of `queryCount` queries.
    /// - Returns: per query, `(index, squared distance)` pairs in ascending distance (ties by index).
    public func search(_ queries: UnsafePointer<Float>, queryCount: Int, k: Int, block: Int = 256) -> [[(index: Int, distance: Float)]] {
        let k = min(k, count)
        var results = [[(index: Int, distance: Float)]](repeating: [], count: queryCount)
        let scores = FloatBuffer(count: min(block, max(queryCount, 1)) * count)
        var start = 0
        while start < queryCount {
            let m = min(block, queryCount - start)
            let q = SharedPointer(UnsafeMutablePointer(mutating: queries + start * dimension))
            let ranges = Parallel.split(m, into: Parallel.workerCount)
            let s = scores.shared, refp = SharedPointer(UnsafeMutablePointer(mutating: reference)), n = count, d = dimension
            let refNorms = norms
            let partial = UnsafeMutablePointer<[(index: Int, distance: Float)]>.allocate(capacity: m)
            partial.initialize(repeating: [], count: m)
            let out = SharedPointer(partial)
            Parallel.run(ranges.count) { w in
                let r = ranges[w]
                guard !r.isEmpty else { return }
                BLAS.gemm(
                    transB: true, m: r.count, n: n, k: d, alpha: -2, a: q.base + r.lowerBound * d, lda: d, b: refp.base,
                    ldb: d, c: s.base + r.lowerBound * n, ldc: n)
                for i in r {
                    let row = s.base + i * n
                    var qn: Float = 0
                    let qi = q.base + i * d
                    for j in 0..<d { qn += qi[j] * qi[j] }
                    out.base[i] = NearestNeighbors.topK(row, count: n, k: k, queryNorm: qn, referenceNorms: refNorms)
                }
            }
            for i in 0..<m { results[start + i] = partial[i] }
            partial.deinitialize(count: m)
            partial.deallocate()
            start += m
        }
        return results
    }

    /// The `k` smallest of `row[j] + ‖q‖² + ‖r_j‖²`, ascending (ties by lower index).
    static func topK(_ row: UnsafePointer<Float>, count n: Int, k: Int, queryNorm: Float, referenceNorms: [Float]) -> [(index: Int, distance: Float)] {
        guard k > 0 else { return [] }
        // A max-heap of the k best so far, keyed (distance, index).
        var heap: [(Float, Int)] = []
        heap.reserveCapacity(k)
        func worse(_ a: (Float, Int), _ b: (Float, Int)) -> Bool { a.0 > b.0 || (a.0 == b.0 && a.1 > b.1) }
        func siftUp(_ i0: Int) {
            var i = i0
            while i > 0 {
                let p = (i - 1) / 2
                if worse(heap[i], heap[p]) { heap.swapAt(i, p); i = p } else { break }
            }
        }
        func siftDown(_ i0: Int) {
            var i = i0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && worse(heap[l], heap[m]) { m = l }
                if r < heap.count && worse(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        referenceNorms.withUnsafeBufferPointer { rn in
            for j in 0..<n {
                let d = max(row[j] + queryNorm + rn[j], 0)
                if heap.count < k {
                    heap.append((d, j))
                    siftUp(heap.count - 1)
                } else if d < heap[0].0 {
                    heap[0] = (d, j)
                    siftDown(0)
                }
            }
        }
        return heap.sorted { worse($1, $0) }.map { (index: $0.1, distance: $0.0) }
    }
}

/// Row-wise L2 normalisation (an all-zero row stays zero).
public func l2Normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, dimension: Int) {
    for i in 0..<rows {
        let r = x + i * dimension
        var s: Float = 0
        for j in 0..<dimension { s += r[j] * r[j] }
        guard s > 0 else { continue }
        let inv = 1 / s.squareRoot()
        for j in 0..<dimension { r[j] *= inv }
    }
}
