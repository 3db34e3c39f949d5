import Foundation
import Testing
import TangleEntanglement
import TangleTensor

@Suite struct SNNLFixtureTests {
    static let names = ["euclid_small", "euclid_t100", "cosine_small", "euclid_singleton_label", "euclid_underflow", "euclid_one_class"]

    static func cases() throws -> [[String: Any]] { try #require(try ReferenceFixture.json()["snnl_cases"] as? [[String: Any]]) }

    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-4, abs floor: Double = 1e-6) -> Bool {
        Swift.abs(a - b) <= rel * Swift.max(Swift.abs(a), Swift.abs(b)) + floor
    }

    @Test func theFixtureHoldsEveryCase() throws {
        #expect(try Self.cases().map { $0["name"] as? String } == Self.names)
    }

    @Test(arguments: SNNLFixtureTests.names)
    func matchesTheReference(_ name: String) throws {
        let c = try #require(try Self.cases().first { $0["name"] as? String == name })
        let x = matrix(c["x"])
        let (b, d) = (x.count, x[0].count)
        let flat = x.flatMap { $0.map(Float.init) }
        let labels = (c["labels"] as! [Int]).map(Int32.init)
        let distance = SoftNearestNeighborLoss.Distance(rawValue: c["distance"] as! String)!
        let t = (c["temperature"] as! NSNumber).doubleValue
        let snnl = SoftNearestNeighborLoss(distance: distance, capacity: b, maxDimension: d)
        var grad = [Float](repeating: 0, count: b * d)
        let v = flat.withUnsafeBufferPointer { xp in
            labels.withUnsafeBufferPointer { lp in
                grad.withUnsafeMutableBufferPointer {
                    snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: lp.baseAddress!, temperature: t, gradient: $0.baseAddress!)
                }
            }
        }
        let expected = (c["loss"] as! NSNumber).doubleValue
        #expect(v.loss.isFinite)
        #expect(Self.close(v.loss, expected), "\(name): loss \(v.loss) vs \(expected)")
        if expected == 0 { #expect(v.loss == 0, "\(name): a one-class batch gives exactly 0") }
        let dT = (c["dloss_dtemperature"] as! NSNumber).doubleValue
        #expect(Self.close(v.dTemperature, dT, 1e-3, abs: 1e-6), "\(name): dT \(v.dTemperature) vs \(dT)")
        let dx = matrix(c["dloss_dx"]).flatMap { $0 }
        let scale = dx.map { Swift.abs($0) }.max() ?? 1
        for (g, e) in zip(grad, dx) {
            #expect(Swift.abs(Double(g) - e) <= 1e-3 * scale + 1e-6, "\(name): dx \(g) vs \(e)")
        }
    }

    @Test func replaysTheReferenceTemperatureSteps() throws {
        let compat = try #require(try ReferenceFixture.json()["snnl_reference_compat"] as? [String: Any])
        let x = matrix(compat["x"])
        let (b, d) = (x.count, x[0].count)
        let flat = x.flatMap { $0.map(Float.init) }
        let labels = (compat["labels"] as! [Int]).map(Int32.init)
        for run in compat["temperature_steps"] as! [[String: Any]] {
            let distance = SoftNearestNeighborLoss.Distance(rawValue: run["distance"] as! String)!
            let snnl = SoftNearestNeighborLoss(distance: distance, capacity: b, maxDimension: d)
            var temp = LearnedTemperature(
                initial: (run["initial_temperature"] as! NSNumber).doubleValue,
                learningRate: (run["learning_rate"] as! NSNumber).doubleValue)
            for step in run["steps"] as! [[String: Any]] {
                let g = flat.withUnsafeBufferPointer { xp in
                    labels.withUnsafeBufferPointer {
                        snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: $0.baseAddress!, temperature: temp.temperature)
                    }
                }.dTemperature
                temp.step(dLossdTemperature: g)
                let loss = flat.withUnsafeBufferPointer { xp in
                    labels.withUnsafeBufferPointer {
                        snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: $0.baseAddress!, temperature: temp.temperature)
                    }
                }.loss
                #expect(Self.close(temp.t, (step["t"] as! NSNumber).doubleValue, 1e-5))
                #expect(Self.close(temp.temperature, (step["temperature"] as! NSNumber).doubleValue, 1e-5))
                #expect(Self.close(loss, (step["loss_exact"] as! NSNumber).doubleValue))
            }
        }
        for l in compat["losses"] as! [[String: Any]] {
            let distance = SoftNearestNeighborLoss.Distance(rawValue: l["distance"] as! String)!
            let snnl = SoftNearestNeighborLoss(distance: distance, capacity: b, maxDimension: d)
            let v = flat.withUnsafeBufferPointer { xp in
                labels.withUnsafeBufferPointer {
                    snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: $0.baseAddress!, temperature: (l["temperature"] as! NSNumber).doubleValue)
                }
            }
            #expect(Self.close(v.loss, (l["loss_exact"] as! NSNumber).doubleValue))
        }
    }
}

@Suite struct SNNLPropertyTests {
    func loss(_ x: [Float], _ labels: [Int32], _ d: Int, _ t: Double, _ distance: SoftNearestNeighborLoss.Distance = .euclidean) -> Double {
        let snnl = SoftNearestNeighborLoss(distance: distance, capacity: labels.count, maxDimension: d)
        return x.withUnsafeBufferPointer { xp in
            labels.withUnsafeBufferPointer { snnl.evaluate(xp.baseAddress!, count: labels.count, dimension: d, labels: $0.baseAddress!, temperature: t).loss }
        }
    }

    @Test func gradientMatchesFiniteDifferencesForBothDistances() {
        var rng = SeededGenerator(seed: 8)
        let (b, d) = (10, 4)
        let labels: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1, 3, 0]
        let x = (0..<(b * d)).map { _ in rng.nextFloat(in: -1, 1) }
        for distance in SoftNearestNeighborLoss.Distance.allCases {
            let snnl = SoftNearestNeighborLoss(distance: distance, capacity: b, maxDimension: d)
            var grad = [Float](repeating: 0, count: b * d)
            let v = x.withUnsafeBufferPointer { xp in
                labels.withUnsafeBufferPointer { lp in
                    grad.withUnsafeMutableBufferPointer {
                        snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: lp.baseAddress!, temperature: 0.7, gradient: $0.baseAddress!, scale: 2)
                    }
                }
            }
            for i in 0..<(b * d) {
                var up = x, down = x
                up[i] += 1e-3
                down[i] -= 1e-3
                let numeric = 2 * (loss(up, labels, d, 0.7, distance) - loss(down, labels, d, 0.7, distance)) / 2e-3
                #expect(abs(numeric - Double(grad[i])) < 2e-2 * max(1, abs(numeric)), "\(distance) x[\(i)]")
            }
            let numericT = (loss(x, labels, d, 0.7 + 1e-4, distance) - loss(x, labels, d, 0.7 - 1e-4, distance)) / 2e-4
            #expect(abs(numericT - v.dTemperature) < 1e-2 * max(1, abs(numericT)))
        }
    }

    @Test func neverNaNAndLonersContributeNothing() {
        let x: [Float] = [0, 0, 1e3, 1e3, -1e3, 0, 5, 5]
        #expect(loss(x, [0, 0, 1, 2], 2, 1e-6).isFinite)
        #expect(loss(x, [0, 1, 2, 3], 2, 1) == 0)
        #expect(loss([Float](repeating: 0, count: 8), [0, 0, 1, 1], 2, 1, .cosine).isFinite)
    }

    @Test func learnedTemperatureStaysInRange() {
        var t = LearnedTemperature(initial: 100, learningRate: 0.1)
        t.step(dLossdTemperature: .nan)
        #expect(t.t == 1)
        t.step(dLossdTemperature: -1e12)
        #expect(t.t == LearnedTemperature.range.lowerBound)
        t.step(dLossdTemperature: 1e30)
        #expect(t.t <= LearnedTemperature.range.upperBound && t.temperature.isFinite)
    }
}
