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
