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

    /// Applies a per-image measure to the case's pixels.
    func score<T>(_ measure: (UnsafePointer<Float>, Int, Int, Int) -> T) -> T {
        measured(x, height, width, channels, by: measure)
    }
}

/// Applies a per-image measure (`NoiseFloor.score`, `Coherence.score`, `Framing.measure`) to the
/// `h x w x c` pixels of `x`: the one place the tests of those measures reach their pointers.
func measured<T>(_ x: [Float], _ h: Int, _ w: Int, _ c: Int, by measure: (UnsafePointer<Float>, Int, Int, Int) -> T) -> T {
    x.withUnsafeBufferPointer { measure($0.baseAddress!, h, w, c) }
}

/// A fixture that cannot be read as the tests expect.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
