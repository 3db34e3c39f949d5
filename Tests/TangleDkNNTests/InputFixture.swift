import Foundation

/// One image of `noise_floor_cases` in `Tests/Fixtures/reference.json`, with the values numpy
/// computed for it.
struct InputFixtureCase {
    var name: String
    var height: Int, width: Int, channels: Int
    var x: [Float]
    var noiseFloor: Double, coherence: Double
    var edgeToEdge: Double, spanShortfall: Double

    /// Every case; fails when the file or a field is missing, never skips.
    static func all() throws -> [InputFixtureCase] {
        guard let cases = try ReferenceFixture.json()["noise_floor_cases"] as? [[String: Any]] else {
            throw FixtureError("reference.json has no noise_floor_cases")
        }
        return try cases.map { c in
            guard let h = c["height"] as? Int, let w = c["width"] as? Int, let ch = c["channels"] as? Int,
                let floor = (c["noise_floor"] as? NSNumber)?.doubleValue, let coherence = (c["coherence"] as? NSNumber)?.doubleValue,
                let edge = (c["edge_to_edge"] as? NSNumber)?.doubleValue, let shortfall = (c["span_shortfall"] as? NSNumber)?.doubleValue
            else { throw FixtureError("a noise_floor_case lacks a field: \(c["name"] ?? "?")") }
            let x = doubles(c["x"]).map(Float.init)
            guard x.count == h * w * ch else { throw FixtureError("\(c["name"] ?? "?") holds \(x.count) values for \(h)x\(w)x\(ch)") }
            return InputFixtureCase(
                name: c["name"] as? String ?? "?", height: h, width: w, channels: ch, x: x, noiseFloor: floor, coherence: coherence,
                edgeToEdge: edge, spanShortfall: shortfall)
        }
    }

    /// Applies `score` to the case's pixels.
    func score(_ score: (UnsafePointer<Float>, Int, Int, Int) -> Double) -> Double {
        x.withUnsafeBufferPointer { score($0.baseAddress!, height, width, channels) }
    }
}

/// A fixture that cannot be read as the tests expect.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
