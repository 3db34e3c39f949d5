import CKernelLevel
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

    /// The SNNL in float64, straight from its definition (eq. 1), for the large-batch check.
    static func referenceLoss(_ x: [Double], _ labels: [Int32], _ d: Int, _ t: Double) -> Double {
        let b = labels.count
        var total = 0.0, members = 0
        for i in 0..<b {
            guard labels.indices.contains(where: { $0 != i && labels[$0] == labels[i] }) else { continue }
            members += 1
            var same = 0.0, all = 0.0
            for j in 0..<b where j != i {
                var dist = 0.0
                for k in 0..<d { dist += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]) }
                let e = exp(-dist / t)
                all += e
                if labels[j] == labels[i] { same += e }
            }
            total -= log(same / all)
        }
        return total / Double(max(members, 1))
    }

    /// A batch past the Gram matrix's 64-column blocks and the 256-term blocks of its sums (with
    /// remainders of both): the loss and its gradient agree with the float64 definition, and every
    /// kernel level gives the same floats.
    @Test func aLargeBatchMatchesFloat64AndEveryKernelLevel() {
        var rng = SeededGenerator(seed: 21)
        let (b, d) = (150, 300)
        let labels = (0..<b).map { Int32($0 % 7) }
        let x = (0..<(b * d)).map { _ in rng.nextFloat(in: -0.3, 0.3) }
        let t = 20.0
        func run() -> (Double, [Float]) {
            let snnl = SoftNearestNeighborLoss(distance: .euclidean, capacity: b, maxDimension: d)
            var grad = [Float](repeating: 0.5, count: b * d)
            let v = x.withUnsafeBufferPointer { xp in
                labels.withUnsafeBufferPointer { lp in
                    grad.withUnsafeMutableBufferPointer {
                        snnl.evaluate(xp.baseAddress!, count: b, dimension: d, labels: lp.baseAddress!, temperature: t, gradient: $0.baseAddress!)
                    }
                }
            }
            return (v.loss, grad)
        }
        let (value, grad) = run()
        let xd = x.map(Double.init)
        let expected = Self.referenceLoss(xd, labels, d, t)
        #expect(abs(value - expected) < 1e-5 * max(1, abs(expected)), "loss \(value) vs float64 \(expected)")
        // Central differences of the float64 definition at a spread of coordinates (the gradient
        // was added onto 0.5).
        for i in stride(from: 0, to: b * d, by: 4_513) {
            var up = xd, down = xd
            up[i] += 1e-4
            down[i] -= 1e-4
            let numeric = (Self.referenceLoss(up, labels, d, t) - Self.referenceLoss(down, labels, d, t)) / 2e-4
            #expect(abs(numeric - (Double(grad[i]) - 0.5)) < 1e-4 + 1e-3 * abs(numeric), "x[\(i)]: \(grad[i] - 0.5) vs \(numeric)")
        }
        KernelLevels.holding {
            let plain = KernelLevels.at(KernelLevels.plainC) { run() }
            for level in [KernelLevels.avx2, KernelLevels.widest] {
                let other = KernelLevels.at(level) { run() }
                #expect(plain.0.bitPattern == other.0.bitPattern && plain.1.map(\.bitPattern) == other.1.map(\.bitPattern), "level \(level)")
            }
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
