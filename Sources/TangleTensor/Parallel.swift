import Foundation

/// A pointer that may cross into parallel workers.
///
/// Safe only when the workers touch disjoint parts of the memory, or only read it; the numeric
/// core hands each worker its own slice of every batch buffer.
public struct SharedPointer<T>: @unchecked Sendable {
    /// The wrapped pointer.
    public let base: UnsafeMutablePointer<T>
    /// Wraps a pointer.
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// Data-parallel loops over both cores.
public enum Parallel {
    /// The number of workers the numeric core splits a batch over (the active processor count).
    public static let workerCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(worker)` for `worker` in `0..<count`, concurrently, and returns when all are done.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if count <= 1 {
            body(0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Splits `0..<total` into `parts` contiguous ranges of near-equal size (earlier ranges take the
    /// remainder). Empty ranges are kept so that the worker index stays meaningful.
    public static func split(_ total: Int, into parts: Int) -> [Range<Int>] {
        let parts = max(1, parts)
        let base = total / parts, extra = total % parts
        var ranges: [Range<Int>] = []
        var start = 0
        for p in 0..<parts {
            let size = base + (p < extra ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }
}
