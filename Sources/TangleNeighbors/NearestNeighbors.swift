import CNarrowNearest
import CInt8Dot
import CRowGEMM
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
    /// For narrow points (at most ``narrowest`` features), a copy in 16-point blocks that the
    /// direct-distance kernel reads (``searchNarrow(_:queryCount:k:)``).
    let narrow: UnsafeMutablePointer<Float>?

    /// Points this narrow are searched by direct distances instead of GEMM: with a handful of
    /// features GEMM's packing and the scan of its output cost more than the arithmetic.
    public static let narrowest = 32

    /// Indexes `count` points of `dimension` features (copied); `directNarrow` as for
    /// ``init(borrowing:count:dimension:owner:directNarrow:)``.
    public convenience init(points: UnsafePointer<Float>, count: Int, dimension: Int, directNarrow: Bool = false) {
        let copy = FloatBuffer(count: count * dimension)
        copy.pointer.update(from: points, count: count * dimension)
        self.init(borrowing: UnsafePointer(copy.pointer), count: count, dimension: dimension, owner: copy, directNarrow: directNarrow)
    }

    /// Indexes `count` points of `dimension` features in memory that `owner` keeps alive (for
    /// example a memory-mapped index file); nothing is copied.
    ///
    /// With `directNarrow`, points of at most ``narrowest`` features are searched by direct
    /// distances `Σ (q − p)²` (``searchNarrow(_:queryCount:k:)``) rather than by GEMM's
    /// `‖q‖² + ‖p‖² − 2 q·p`: the same neighbours up to rounding, much faster for a handful of
    /// features. Judging in 8-bit arithmetic uses it; float32 indexes keep the GEMM numbers they
    /// were calibrated with.
    public init(borrowing points: UnsafePointer<Float>, count: Int, dimension: Int, owner: AnyObject, directNarrow: Bool = false) {
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
        if directNarrow && dimension <= Self.narrowest && count > 0 {
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: Int(tangle_narrow_packed_count(Int64(count), Int64(dimension))))
            tangle_narrow_pack(points, Int64(count), Int64(dimension), packed)
            narrow = packed
        } else {
            narrow = nil
        }
    }

    deinit { narrow?.deallocate() }

    /// Bytes of the blocked copy for narrow points.
    var narrowBytes: Int { narrow == nil ? 0 : Int(tangle_narrow_packed_count(Int64(count), Int64(dimension))) * 4 }

    /// The `k` nearest by direct distances `Σ (q − p)²` over the blocked copy: the workers split
    /// the points, walk them in chunks of 1,024 and keep per query a candidate list cut back to its
    /// `k` best (the bound later points must beat), as the 8-bit search does.
    func searchNarrow(_ queries: UnsafePointer<Float>, queryCount m: Int, k kWanted: Int) -> [[(index: Int, distance: Float)]] {
        let k = min(kWanted, count)
        guard m > 0, k > 0, let narrow else { return [[(index: Int, distance: Float)]](repeating: [], count: m) }
        let chunk = 1024, block = 16
        let blocks = (count + block - 1) / block
        let parts = Parallel.split(blocks, into: min(Parallel.workerCount, max(1, count / 1024)))
        let room = CandidateLists.cutAt(k: k) + chunk + 16
        let lists = parts.map { _ in CandidateLists(queries: m, room: room) }
        let packed = SharedPointer(narrow), q = SharedPointer(UnsafeMutablePointer(mutating: queries))
        let (count, dimension) = (count, dimension)
        Parallel.run(parts.count) { w in
            let part = parts[w], list = lists[w]
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: room)
            defer { scratch.deallocate() }
            var b0 = part.lowerBound
            while b0 < part.upperBound {
                let nb = min((b0 == part.lowerBound ? CandidateLists.firstChunk(k: k, chunk: chunk) : chunk) / block, part.upperBound - b0)
                var q0 = 0
                while q0 < m {
                    let mq = min(8, m - q0)
                    tangle_narrow_candidates(
                        packed.base, Int64(dimension), Int64(b0), Int64(nb), Int64(count), q.base + q0 * dimension, Int64(mq), list.limits + q0,
                        list.index + q0 * room, list.distance + q0 * room, Int64(room), list.counts + q0)
                    for i in q0..<(q0 + mq) where list.counts[i] > CandidateLists.cutAt(k: k) {
                        list.limits[i] = tangle_topk_compact(list.index + i * room, list.distance + i * room, list.counts + i, Int64(k), 0, scratch)
                    }
                    q0 += mq
                }
                b0 += nb
            }
            for i in 0..<m { _ = tangle_topk_compact(list.index + i * room, list.distance + i * room, list.counts + i, Int64(k), 1, scratch) }
        }
        return CandidateLists.merge(lists, queries: m, k: k, room: room) { bits, _ in Float(bitPattern: UInt32(bitPattern: bits)) }
    }

    /// The `k` nearest reference points of each of `queryCount` queries.
    ///
    /// The reference set is split between the workers; each walks its part in chunks that stay in
    /// cache and scores every query against a chunk by fixed-order dot products (`tangle_row_dots`:
    /// a query's distances never depend on the queries beside it), keeping each query's `k` best in
    /// a bounded max-heap.
    /// The workers' heaps are merged at the end.
    /// - Returns: per query, `(index, squared distance)` pairs in ascending distance (ties by index).
    public func search(_ queries: UnsafePointer<Float>, queryCount m: Int, k kWanted: Int, chunk: Int, queryBlock: Int = 512) -> [[(index: Int, distance: Float)]] {
        let k = min(kWanted, count)
        guard m > 0, k > 0 else { return [[(index: Int, distance: Float)]](repeating: [], count: m) }
        let d = dimension
        var qNorms = [Float](repeating: 0, count: m)
        for i in 0..<m {
            var s: Float = 0
            let q = queries + i * d
            for j in 0..<d { s += q[j] * q[j] }
            qNorms[i] = s
        }
        let parts = Parallel.split(count, into: min(Parallel.workerCount, max(1, count / 1024)))
        let heaps = parts.map { _ in TopKHeaps(queries: m, k: k) }
        let q = SharedPointer(UnsafeMutablePointer(mutating: queries))
        let ref = SharedPointer(UnsafeMutablePointer(mutating: reference))
        let qn = qNorms, pn = norms
        Parallel.run(parts.count) { w in
            let part = parts[w], heap = heaps[w]
            let block = min(queryBlock, m)
            let scores = FloatBuffer(count: block * chunk)
            qn.withUnsafeBufferPointer { qn in
                pn.withUnsafeBufferPointer { pn in
                    var c0 = part.lowerBound
                    while c0 < part.upperBound {
                        let c = min(chunk, part.upperBound - c0)
                        var q0 = 0
                        while q0 < m {
                            let mb = min(block, m - q0)
                            tangle_row_dots(q.base + q0 * d, Int64(d), Int64(mb), ref.base + c0 * d, Int64(d), Int64(c), Int64(d), -2, scores.pointer, Int64(c))
                            for i in 0..<mb {
                                heap.offer(query: q0 + i, scores.pointer + i * c, count: c, first: c0, queryNorm: qn[q0 + i], referenceNorms: pn.baseAddress! + c0)
                            }
                            q0 += mb
                        }
                        c0 += c
                    }
                }
            }
        }
        return TopKHeaps.merge(heaps, queries: m, k: k)
    }

    /// The `k` smallest of `row[j] + ‖q‖² + ‖r_j‖²`, ascending (ties by lower index).
    static func topK(_ row: UnsafePointer<Float>, count n: Int, k: Int, queryNorm: Float, referenceNorms: [Float]) -> [(index: Int, distance: Float)] {
        guard k > 0, n > 0 else { return [] }
        let heap = TopKHeaps(queries: 1, k: min(k, n))
        referenceNorms.withUnsafeBufferPointer { heap.offer(query: 0, row, count: n, first: 0, queryNorm: queryNorm, referenceNorms: $0.baseAddress!) }
        return heap.entries(query: 0).sorted { $0.distance < $1.distance || ($0.distance == $1.distance && $0.index < $1.index) }
    }
}

/// One bounded max-heap of `(distance, index)` per query, in flat storage: the `k` best seen so
/// far, the worst on top (a larger index is worse on equal distances).
final class TopKHeaps: @unchecked Sendable {
    let k: Int
    private let distance: UnsafeMutablePointer<Float>
    private let index: UnsafeMutablePointer<Int32>
    private var size: [Int]

    init(queries: Int, k: Int) {
        self.k = k
        distance = .allocate(capacity: queries * k)
        index = .allocate(capacity: queries * k)
        size = [Int](repeating: 0, count: queries)
    }

    deinit {
        distance.deallocate()
        index.deallocate()
    }

    /// Offers `count` candidates `first ..< first + count` with cross terms `row` (`−2 q·r`).
    @inline(__always)
    func offer(query: Int, _ row: UnsafePointer<Float>, count: Int, first: Int, queryNorm: Float, referenceNorms: UnsafePointer<Float>) {
        let dist = distance + query * k, idx = index + query * k
        var n = size[query]
        var j = 0
        // Fill the heap first.
        while n < k && j < count {
            let dv = max(row[j] + queryNorm + referenceNorms[j], 0)
            var i = n
            n += 1
            // Sift up.
            while i > 0 {
                let p = (i - 1) / 2
                if dist[p] > dv || (dist[p] == dv && Int(idx[p]) > first + j) { break }
                dist[i] = dist[p]
                idx[i] = idx[p]
                i = p
            }
            dist[i] = dv
            idx[i] = Int32(first + j)
            j += 1
        }
        if n == k && j < count {
            // Most candidates lose to the current worst: compare the cross term alone against
            // `worst − ‖q‖² − ‖r_j‖²` in a tight loop, and only then do the heap work.
            var worst = dist[0]
            while j < count {
                // Sixteen at a time: skip the block when none can enter the heap.
                if j + 16 <= count {
                    let limit = SIMD16<Float>(repeating: worst - queryNorm)
                    let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self)
                        + UnsafeRawPointer(referenceNorms + j).loadUnaligned(as: SIMD16<Float>.self)
                    if !any(v .< limit) {
                        j += 16
                        continue
                    }
                }
                if row[j] + referenceNorms[j] < worst - queryNorm {
                    let dv = max(row[j] + queryNorm + referenceNorms[j], 0)
                    if dv < worst {
                        // Replace the top and sift down.
                        var i = 0
                        while true {
                            let l = 2 * i + 1
                            if l >= k { break }
                            var c = l
                            let r = l + 1
                            if r < k && (dist[r] > dist[l] || (dist[r] == dist[l] && idx[r] > idx[l])) { c = r }
                            if dist[c] < dv || (dist[c] == dv && Int(idx[c]) < first + j) { break }
                            dist[i] = dist[c]
                            idx[i] = idx[c]
                            i = c
                        }
                        dist[i] = dv
                        idx[i] = Int32(first + j)
                        worst = dist[0]
                    }
                }
                j += 1
            }
        }
        size[query] = n
    }

    /// A query's entries, unordered.
    func entries(query: Int) -> [(index: Int, distance: Float)] {
        (0..<size[query]).map { (index: Int(index[query * k + $0]), distance: distance[query * k + $0]) }
    }
}

/// Row-wise L2 normalisation (an all-zero row stays zero); large inputs are split over the workers.
public func l2Normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, dimension: Int) {
    let parts = Parallel.split(rows, into: rows * dimension >= 1 << 16 ? Parallel.workerCount : 1)
    let base = SharedPointer(x)
    Parallel.run(parts.count) { p in
        for i in parts[p] {
            let r = base.base + i * dimension
            var s: Float = 0
            for j in 0..<dimension { s += r[j] * r[j] }
            guard s > 0 else { continue }
            let inv = 1 / s.squareRoot()
            for j in 0..<dimension { r[j] *= inv }
        }
    }
}
