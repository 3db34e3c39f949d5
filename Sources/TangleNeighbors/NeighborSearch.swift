/// Exact k-nearest-neighbour search over a fixed reference set, whatever its storage.
public protocol NeighborSearch: AnyObject, Sendable {
    /// Reference points.
    var count: Int { get }
    /// Features per point.
    var dimension: Int { get }
    /// Bytes the stored points take.
    var storedBytes: Int { get }
    /// The `k` nearest reference points of each of `queryCount` queries (`[queryCount, dimension]`).
    /// - Returns: per query, `(index, squared distance)` pairs in ascending distance (ties by index).
    func search(_ queries: UnsafePointer<Float>, queryCount: Int, k: Int) -> [[(index: Int, distance: Float)]]
}

extension NearestNeighbors: NeighborSearch {
    public var storedBytes: Int { count * dimension * 4 + narrowBytes }

    /// Narrow points by direct distances, wider ones by GEMM.
    public func search(_ queries: UnsafePointer<Float>, queryCount: Int, k: Int) -> [[(index: Int, distance: Float)]] {
        narrow != nil
            ? searchNarrow(queries, queryCount: queryCount, k: k)
            : search(queries, queryCount: queryCount, k: k, chunk: 2048, queryBlock: 512)
    }
}

extension TopKHeaps {
    /// Each query's `k` best over several workers' heaps, ascending (ties by lower index).
    static func merge(_ heaps: [TopKHeaps], queries: Int, k: Int) -> [[(index: Int, distance: Float)]] {
        (0..<queries).map { i in
            var all: [(index: Int, distance: Float)] = []
            all.reserveCapacity(k * heaps.count)
            for h in heaps { all += h.entries(query: i) }
            all.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.index < $1.index) }
            return Array(all.prefix(k))
        }
    }
}
