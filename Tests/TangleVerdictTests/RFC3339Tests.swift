import Foundation
import TangleVerdict
import Testing

@Suite struct RFC3339Tests {
    @Test("milliseconds match ISO8601DateFormatter with fractional seconds")
    func matchesFormatter() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 0.0005, 0.9995, 0.999_999, 951_782_400.5, 1_700_000_000.123, 4_102_444_799.999].map(Date.init(timeIntervalSince1970:))
        for _ in 0..<5000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator))) }
        var mismatches: [String] = []
        for d in dates where RFC3339.milliseconds(d) != f.string(from: d) {
            mismatches.append("\(d.timeIntervalSince1970): \(RFC3339.milliseconds(d)) vs \(f.string(from: d))")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }
}
