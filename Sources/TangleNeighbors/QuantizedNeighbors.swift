import CInt8Dot
import TangleTensor

/// Exact k-nearest-neighbour search over points stored as 8-bit integers.
///
/// Every coordinate of the reference points is rounded to a multiple of one step (`scale`) and
/// stored in a byte; a query is rounded to the same grid, so the search ranks the distances between
/// grid points, `scale² ‖q̂ − p̂‖²`, computed exactly in integers (`‖q̂‖² + ‖p̂‖² − 2 q̂·p̂`, the dot
/// products by AVX-512 VNNI where the processor has it, by plain C otherwise — the same numbers).
/// The step is the largest stored coordinate times ``headroom`` over 127, so a query a little
/// outside the data still lies on the grid; the part of a query beyond it (a far outlier) is
/// clipped and its squared length added to every distance, a lower bound on what clipping removed.
///
/// A quarter of float32 storage and about four times the arithmetic rate of a float32 GEMM.
public final class QuantizedNeighbors: NeighborSearch, @unchecked Sendable {
    /// Room for queries beyond the stored points: the grid covers `headroom` times their largest coordinate.
    public static let headroom: Float = 1.25

    /// The widest points it can search: 32,896 features (`TANGLE_I8_MAX_DIM`), the most whose
    /// integer distances fit in 32 bits (see `int8_dot.h` for the arithmetic).
    public static let maxDimension = Int(TANGLE_I8_MAX_DIM)

    /// Reference points.
    public let count: Int
    /// Features per point.
    public let dimension: Int
    /// The grid step: a stored value `v` stands for `v × scale`.
    public let scale: Float
    /// The packed points (see `tangle_i8_pack`).
    public let packed: UnsafePointer<UInt8>
    /// Bytes of ``packed``.
    public let packedBytes: Int
    private let owner: AnyObject
    private let norms: [Int32]
    private let groups: Int

    public var storedBytes: Int { packedBytes }

    /// Quantizes `count` points of `dimension` features onto a grid fitted to them (or with the given step).
    /// - Precondition: `dimension` is at most ``maxDimension``.
    public convenience init(quantizing points: UnsafePointer<Float>, count: Int, dimension: Int, scale chosen: Float? = nil) {
        var largest: Float = 0
        for i in 0..<(count * dimension) { largest = max(largest, abs(points[i])) }
        let scale = chosen ?? (largest > 0 ? largest * Self.headroom / 127 : 1)
        let bytes = Self.packedBytes(count: count, dimension: dimension)
        let storage = ByteStorage(count: bytes)
        let rows = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, count * dimension))
        defer { rows.deallocate() }
        Self.round(points, count: count * dimension, scale: scale, into: rows)
        tangle_i8_pack(rows, Int64(count), Int64(dimension), storage.pointer)
        self.init(borrowing: UnsafePointer(storage.pointer), bytes: bytes, count: count, dimension: dimension, scale: scale, owner: storage)
    }

    /// Uses points packed by ``init(quantizing:count:dimension:)`` in memory `owner` keeps alive
    /// (for example a memory-mapped index file); nothing is copied.
    /// - Precondition: `dimension` is at most ``maxDimension`` (both initialisers come here).
    public init(borrowing packed: UnsafePointer<UInt8>, bytes: Int, count: Int, dimension: Int, scale: Float, owner: AnyObject) {
        precondition(
            dimension <= Self.maxDimension,
            "8-bit neighbour search of \(dimension) features: at most \(Self.maxDimension) fit its 32-bit distances; store this layer in float32")
        precondition(bytes == Self.packedBytes(count: count, dimension: dimension), "packed size does not match the shape")
        self.packed = packed
        packedBytes = bytes
        self.count = count
        self.dimension = dimension
        self.scale = scale
        self.owner = owner
        groups = (dimension + 3) / 4
        let block = Int(TANGLE_I8_BLOCK)
        var n = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let b = i / block, p = i % block
            var s = 0
            for g in 0..<groups {
                let group = packed + ((b * groups + g) * block + p) * 4
                for t in 0..<4 {
                    let v = Int(group[t]) - 128
                    s += v * v
                }
            }
            n[i] = Int32(s)
        }
        norms = n
    }

    /// Bytes the packed form of `count` points of `dimension` features takes.
    public static func packedBytes(count: Int, dimension: Int) -> Int {
        Int(tangle_i8_packed_bytes(Int64(count), Int64(dimension)))
    }

    /// `x / scale` rounded to the grid, clipped to ±127.
    @inline(__always)
    static func gridValue(_ x: Float, inverse: Float) -> Float { max(-127, min(127, (x * inverse).rounded())) }

    /// Rounds to the grid, clipping to ±127.
    static func round(_ x: UnsafePointer<Float>, count: Int, scale: Float, into out: UnsafeMutablePointer<Int8>) {
        let inverse = 1 / scale
        for i in 0..<count { out[i] = Int8(gridValue(x[i], inverse: inverse)) }
    }

    /// The `k` nearest reference points of each query.
    ///
    /// The reference set is split between the workers; each walks its part in chunks of `chunk`
    /// points that stay in cache, computes the integer dot products of every query with the chunk
    /// and keeps the points closer than the query's current bound in a list, which is cut back to
    /// its `k` best (by distance, then index) whenever it passes `4k`; the workers' lists are merged
    /// at the end. Results are exact over the grid points and the same on every kernel. A query
    /// coordinate that is NaN counts as the grid's edge (features of finite images are finite).
    public func search(_ queries: UnsafePointer<Float>, queryCount m: Int, k: Int) -> [[(index: Int, distance: Float)]] {
        search(queries, queryCount: m, k: k, chunk: 1024)
    }

    /// ``search(_:queryCount:k:)`` with a chosen chunk size (a multiple of 16 points).
    public func search(_ queries: UnsafePointer<Float>, queryCount m: Int, k kWanted: Int, chunk: Int) -> [[(index: Int, distance: Float)]] {
        let k = min(kWanted, count)
        guard m > 0, k > 0 else { return [[(index: Int, distance: Float)]](repeating: [], count: m) }
        let block = Int(TANGLE_I8_BLOCK)
        let chunk = max(block, chunk / block * block)
        let stride = groups * 4
        // Queries on the grid.
        let q = UnsafeMutablePointer<Int8>.allocate(capacity: m * stride)
        defer { q.deallocate() }
        q.initialize(repeating: 0, count: m * stride)
        // Each query's `‖q̂‖² + 2·128·Σq̂` (the stored values carry +128) and clipped squared length.
        var biases = [Int32](repeating: 0, count: m)
        var clippedLengths = [Float](repeating: 0, count: m)
        let inverse = 1 / scale
        for i in 0..<m {
            var norm = 0, sum = 0
            var clipped: Float = 0
            for t in 0..<dimension {
                let x = queries[i * dimension + t]
                let v = Self.gridValue(x, inverse: inverse)
                let beyond = x - v * scale
                if abs(v) == 127 && abs(beyond) > scale / 2 { clipped += beyond * beyond }
                q[i * stride + t] = Int8(v)
                norm += Int(v) * Int(v)
                sum += Int(v)
            }
            biases[i] = Int32(norm + 2 * 128 * sum)
            clippedLengths[i] = clipped * inverse * inverse
        }
        let blocks = (count + block - 1) / block
        let parts = Parallel.split(blocks, into: min(Parallel.workerCount, max(1, count / 1024)))
        // Each worker keeps, per query, a list of candidates: the kernel appends those closer than
        // the query's bound, and a list longer than 4k is cut back to its k best, which tightens the
        // bound. Lists have room for 4k plus one chunk (plus one vector of slack).
        let room = CandidateLists.cutAt(k: k) + chunk + 16  // + 16: the kernel may write a vector past the last entry
        let lists = parts.map { _ in CandidateLists(queries: m, room: room) }
        let shared = SharedPointer(q)
        let bias = biases, pn = norms
        let data = SharedPointer(UnsafeMutablePointer(mutating: packed)), count = count, groups = Int64(groups)
        Parallel.run(parts.count) { w in
            let part = parts[w], list = lists[w]
            let tile = Int(tangle_i8_query_tile())
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: room)
            defer { scratch.deallocate() }
            pn.withUnsafeBufferPointer { pn in
                bias.withUnsafeBufferPointer { b in
                    var b0 = part.lowerBound
                    while b0 < part.upperBound {
                        let nb = min((b0 == part.lowerBound ? CandidateLists.firstChunk(k: k, chunk: chunk) : chunk) / block, part.upperBound - b0)
                        var q0 = 0
                        while q0 < m {
                            let mq = min(tile, m - q0)
                            tangle_i8_candidates(
                                data.base, groups, Int64(b0), Int64(nb), Int64(count), shared.base + q0 * stride, Int64(mq),
                                pn.baseAddress!, b.baseAddress! + q0, list.limits + q0, list.index + q0 * room, list.distance + q0 * room,
                                Int64(room), list.counts + q0)
                            for i in q0..<(q0 + mq) where list.counts[i] > CandidateLists.cutAt(k: k) {
                                list.limits[i] = tangle_topk_compact(
                                    list.index + i * room, list.distance + i * room, list.counts + i, Int64(k), 0, scratch)
                            }
                            q0 += mq
                        }
                        b0 += nb
                    }
                    for i in 0..<m {
                        _ = tangle_topk_compact(list.index + i * room, list.distance + i * room, list.counts + i, Int64(k), 1, scratch)
                    }
                }
            }
        }
        // Merge the workers' lists; distances back from grid units, plus any clipped length.
        let step2 = scale * scale
        let extras = clippedLengths.map { $0 * step2 }
        return CandidateLists.merge(lists, queries: m, k: k, room: room) { d, i in Float(d) * step2 + extras[i] }
    }
}

/// Per query, a bounded list of candidate `(index, distance)` pairs and the bound new ones must beat.
final class CandidateLists: @unchecked Sendable {
    let index: UnsafeMutablePointer<Int32>
    let distance: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int64>
    let limits: UnsafeMutablePointer<Int32>

    init(queries: Int, room: Int) {
        index = .allocate(capacity: queries * room)
        distance = .allocate(capacity: queries * room)
        counts = .allocate(capacity: queries)
        counts.initialize(repeating: 0, count: queries)
        limits = .allocate(capacity: queries)
        limits.initialize(repeating: Int32.max, count: queries)
    }

    deinit {
        index.deallocate()
        distance.deallocate()
        counts.deallocate()
        limits.deallocate()
    }

    /// A list longer than this is cut back to its `k` best (which tightens its bound): `4k`, so
    /// that cuts are few (measured: `2k` cut twice as often for the same neighbours, ~8 % slower).
    static func cutAt(k: Int) -> Int { 4 * k }

    /// Points in a worker's first chunk: every one of them is a candidate (there is no bound
    /// yet), so it is kept small — a multiple of 16 above ``cutAt(k:)``, which makes the first cut
    /// set the bound — and the chunks after it are full-sized.
    static func firstChunk(k: Int, chunk: Int) -> Int {
        min(chunk, (CandidateLists.cutAt(k: k) + 16) / 16 * 16)
    }

    /// Each query's `k` best over the workers' lists, which the final compaction left sorted by
    /// (distance, index): a merge of sorted runs, queries split over the workers. `value` turns a
    /// stored distance into the reported one.
    static func merge(
        _ lists: [CandidateLists], queries m: Int, k: Int, room: Int, value: @escaping @Sendable (Int32, Int) -> Float
    ) -> [[(index: Int, distance: Float)]] {
        var out = [[(index: Int, distance: Float)]](repeating: [], count: m)
        out.withUnsafeMutableBufferPointer { o in
            let target = SharedPointer(o.baseAddress!)
            let parts = Parallel.split(m, into: m >= 32 ? Parallel.workerCount : 1)
            Parallel.run(parts.count) { p in
                for i in parts[p] {
                    var cursor = [Int](repeating: 0, count: lists.count)
                    var best: [(index: Int, distance: Float)] = []
                    best.reserveCapacity(k)
                    while best.count < k {
                        // The smallest (distance, index) at the lists' cursors.
                        var pick = -1
                        var pd: Int32 = 0, pj: Int32 = 0
                        for (l, list) in lists.enumerated() where cursor[l] < Int(list.counts[i]) {
                            let d = list.distance[i * room + cursor[l]], j = list.index[i * room + cursor[l]]
                            if pick < 0 || d < pd || (d == pd && j < pj) { (pick, pd, pj) = (l, d, j) }
                        }
                        if pick < 0 { break }
                        cursor[pick] += 1
                        best.append((index: Int(pj), distance: value(pd, i)))
                    }
                    target.base[i] = best
                }
            }
        }
        return out
    }
}

/// Owned bytes, left for the caller to fill (`tangle_i8_pack` writes every one).
final class ByteStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(count: Int) {
        pointer = .allocate(capacity: max(1, count))
    }
    deinit { pointer.deallocate() }
}
