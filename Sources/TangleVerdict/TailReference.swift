import Foundation

/// What the calibration split shows is normal for one score: its sorted calibration values, and
/// the empirical tail probability of a new value (a conformal p-value).
public struct TailReference: Codable, Sendable, Equatable {
    /// Calibration values, ascending.
    public private(set) var values: [Double]

    /// Creates a reference from calibration values (any order; non-finite values are kept as the
    /// most abnormal possible, so they never make a threshold look safe).
    public init(_ values: [Double]) {
        self.values = values.map { $0.isNaN ? .infinity : $0 }.sorted()
    }

    /// Calibration points.
    public var count: Int { values.count }

    /// `(|{calibration ≥ x}| + 1) / (n + 1)`: the conformal p-value of `x` (1 when there is no
    /// calibration data; never 0).
    public func tail(_ x: Double) -> Double {
        Double(countAtLeast(x) + 1) / Double(values.count + 1)
    }

    /// `|{calibration ≥ x}|` (NaN counts as the largest value), by binary search.
    func countAtLeast(_ x: Double) -> Int {
        let v = x.isNaN ? Double.infinity : x
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return values.count - lo
    }

    /// The largest value ``extendedLogTail(_:)`` returns, so sums of them stay finite.
    public static let extendedLogCap = 1e6

    /// `−log` of the p-value beyond the calibration split's reach: `−log` ``tail(_:)`` up to the
    /// largest calibration value, and past it `log(n + 1) + (x − max) / s`, an exponential tail
    /// whose scale `s` is the mean excess of the largest `m = max(5, n/50)` values over the next one
    /// (a peaks-over-threshold fit), at most ``extendedLogCap``. An input twice as far out then
    /// scores further out, where `−log tail` stops at `log(n + 1)`; routing uses it to tell apart
    /// two groups that both lie beyond every calibration point. Without a usable fit (fewer than 6
    /// values, ties at the top, non-finite values) it is `−log` ``tail(_:)``.
    public func extendedLogTail(_ x: Double) -> Double {
        let plain = -log(tail(x))
        let n = values.count
        guard n >= 6, let top = values.last, top.isFinite, x > top else { return plain }
        let m = min(n - 1, max(5, n / 50))
        let base = values[n - 1 - m]
        guard base.isFinite else { return plain }
        var excess = 0.0
        for v in values[(n - m)...] { excess += v - base }
        let scale = excess / Double(m)
        guard scale > 0, scale.isFinite else { return plain }
        guard x.isFinite else { return Self.extendedLogCap }
        return min(plain + (x - top) / scale, Self.extendedLogCap)
    }

    /// The p-value of a calibration point's own value, leaving that point out:
    /// `(|{others ≥ x}| + 1) / n = |{calibration ≥ x}| / n`. Use it for values that are in the
    /// reference, so calibration points are scored as a new input would be.
    public func tailOfMember(_ x: Double) -> Double {
        guard !values.isEmpty else { return 1 }
        return Double(max(countAtLeast(x), 1)) / Double(values.count)
    }

    /// The value above which at most `fraction` of the calibration points lie: flagging
    /// `x > threshold(fraction)` flags at most that fraction of them.
    public func threshold(flagging fraction: Double) -> Double {
        guard !values.isEmpty else { return .infinity }
        let allowed = Int((fraction * Double(values.count)).rounded(.down))
        if allowed <= 0 { return values[values.count - 1] }
        if allowed >= values.count { return -.infinity }
        return values[values.count - 1 - allowed]
    }
}
