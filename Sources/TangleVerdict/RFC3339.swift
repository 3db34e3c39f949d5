import Foundation

/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T05:00:16.982Z`), the same text as an
/// `ISO8601DateFormatter` with `.withInternetDateTime` and `.withFractionalSeconds`, without making one:
/// creating that formatter costs tens of microseconds, which a daemon logging every file pays twice per file.
public enum RFC3339 {
    /// `date` as `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC (milliseconds rounded to nearest, as the formatter does).
    public static func milliseconds(_ date: Date = Date()) -> String {
        // Milliseconds since 1970 rounded to nearest, computed as ICU (behind the formatter) does.
        let total = ((date.timeIntervalSinceReferenceDate + Date.timeIntervalBetween1970AndReferenceDate) * 1000).rounded()
        let seconds = (total / 1000).rounded(.down)
        let millis = Int(total - seconds * 1000)
        var whole = time_t(seconds)
        var parts = tm()
        gmtime_r(&whole, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(millis, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
