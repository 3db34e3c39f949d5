import Foundation
import Testing
import TangleDkNN
@testable import TangleVerdict

/// The perturbation group: its own share of the false-flag budget, flagging input noise the
/// representation evidence misses, and calibrations made before it judging as they did.
@Suite struct PerturbationGroupTests {
    /// `scores(i)` with a deterministic spread of noise floors in [0, 0.02], like clean images.
    func noisy(_ i: Int, floor: Double? = nil) -> InputScores {
        var s = scores(i)
        s.noiseFloor = floor ?? Double((i * 104_729) % 97) / 97 * 0.02
        return s
    }

    let clean = (0..<400).map { i -> InputScores in
        var s = scores(i)
        s.noiseFloor = Double((i * 104_729) % 97) / 97 * 0.02
        return s
    }

    func calibrated(perturbation: [String], share: Double = 0.2) throws -> VerdictCalibration {
        try Calibrator(
            targetFalseFlagRate: 0.05, outlierEvidence: Calibrator.defaultOutlierEvidence(roles: roles),
            adversarialEvidence: Calibrator.defaultAdversarialEvidence(roles: roles), perturbationEvidence: perturbation, perturbationShare: share
        ).calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
    }

    @Test func theGroupHasItsShareAndTheThreeTogetherFlagTheTarget() throws {
        let c = try calibrated(perturbation: ["noise_floor"])
        let group = try #require(c.perturbationGroup)
        #expect(group.evidence == ["noise_floor"] && group.sums.count == 400)
        #expect(c.problem() == nil, "\(c.problem() ?? "")")
        #expect(c.achieved.calibrationFlagged.count <= 20 && c.achieved.calibrationFlagged.count >= 12)
        // Flagged by the perturbation group alone: at most its fifth of the budget (4 of 400).
        let rule = VerdictRule(calibration: c)
        let judged = clean.map(rule.judge)
        let byPerturbation = judged.filter { ($0.perturbationScore ?? 0) > c.verdictThreshold }
        #expect(byPerturbation.count <= 4 + 1)  // a new input's p-value is a hair larger than a member's
        #expect(judged.allSatisfy { $0.verdictScore == max($0.outlierScore, $0.adversarialScore, $0.perturbationScore!) })
        let fresh = (400..<2400).map { noisy($0) }
        let rate = Double(fresh.filter { rule.judge($0).verdict != .inDistribution }.count) / Double(fresh.count)
        #expect(rate < 0.08)
    }

    /// An input whose representations look normal but whose pixels carry noise far above any
    /// calibration image's: the two-group rule passes it, the perturbation group flags it, routes
    /// it `adversarial` and says why.
    @Test func noiseTheRepresentationsMissIsFlaggedAndQuoted() throws {
        let attacked = noisy(5, floor: 0.3)
        let two = VerdictRule(calibration: try calibrated(perturbation: []))
        #expect(two.calibration.perturbationGroup == nil && two.calibration.perturbationOffset == nil)
        #expect(two.judge(attacked).verdict == .inDistribution)
        #expect(two.judge(attacked).perturbationScore == nil)
        let three = VerdictRule(calibration: try calibrated(perturbation: ["noise_floor"]))
        let j = three.judge(attacked)
        #expect(j.verdict == .adversarial)
        #expect(j.reason.contains("noise floor 0.3, normal ≤"), "\(j.reason)")
        #expect(three.judge(noisy(5)).verdict == .inDistribution)
    }

    /// `max(a, b + offset) > t₁` flags exactly what `a > t₁ or b > t₂` does, within budget.
    @Test func theSharedThresholdSplitsTheBudget() throws {
        var state: UInt64 = 99
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let a = (0..<1000).map { _ in -log(next()) }, b = (0..<1000).map { _ in 3 * next() }
        let (t1, offset) = try #require(Calibrator.sharedThreshold(twoGroups: a, perturbation: b, target: 0.05, share: 0.2))
        let t2 = TailReference(b).threshold(flagging: 0.01)
        let union = zip(a, b).filter { $0.0 > t1 || $0.1 > t2 }.count
        #expect(union <= 50 && union >= 45)
        #expect(b.filter { $0 > t2 }.count <= 10)
        #expect(zip(a, b).allSatisfy { (max($0.0, $0.1 + offset) > t1) == ($0.0 > t1 || $0.1 > t2) })
        // Too few points to resolve the share: no group.
        #expect(Calibrator.sharedThreshold(twoGroups: [], perturbation: [], target: 0.05, share: 0.2) == nil)
    }

    /// A calibration file written before the group existed has neither key: it loads, and judges
    /// with the two groups as it always did.
    @Test func aCalibrationWithoutTheGroupLoadsAndJudgesAsBefore() throws {
        let c = try calibrated(perturbation: [])
        var json = try #require(try JSONSerialization.jsonObject(with: VerdictCalibration.encoder.encode(c)) as? [String: Any])
        #expect(json["perturbation_group"] == nil && json["perturbation_offset"] == nil)
        json["perturbation_group"] = nil
        let decoded = try VerdictCalibration.decoder.decode(VerdictCalibration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.problem() == nil)
        let j = VerdictRule(calibration: decoded).judge(noisy(9, floor: 0.3))
        #expect(j.perturbationScore == nil && j.verdictScore == max(j.outlierScore, j.adversarialScore))
    }

    @Test func aBrokenGroupIsRefused() throws {
        var c = try calibrated(perturbation: ["noise_floor"])
        c.perturbationOffset = nil
        #expect(c.problem()?.contains("perturbation_group is present without perturbation_offset") == true)
        c.perturbationOffset = .nan
        #expect(c.problem()?.contains("perturbation_offset is nan") == true)
        c.perturbationOffset = 0
        c.perturbationGroup?.evidence = ["roughness_99"]
        #expect(c.problem()?.contains("perturbation_group.evidence names 'roughness_99'") == true)
        #expect(throws: CalibrationError.invalidShare(1)) {
            try Calibrator(targetFalseFlagRate: 0.05, outlierEvidence: [], adversarialEvidence: [], perturbationShare: 1).check(calibrationCount: 400)
        }
    }

    @Test("The noise floor is default perturbation evidence everywhere; dark-region roughness joins it only on a dark background")
    func defaultsFollowTheProfile() {
        #expect(Calibrator.defaultPerturbationEvidence(darkBackground: true) == ["roughness_8", "noise_floor"])
        #expect(Calibrator.defaultPerturbationEvidence(darkBackground: false) == ["noise_floor"])
    }
}

/// Routing of noise: an attacked image keeps its object under the noise and its noise counts as far
/// as it lies; pure noise, with less image at a coarse scale than any calibration image, counts
/// only up to a saturated p-value, so it stays an outlier.
@Suite struct NoiseRoutingTests {
    /// `scores(i)` with noise floors in [0, 0.02] and coherence in [0.4, 0.8], like clean images.
    func clean(_ i: Int) -> InputScores {
        var s = scores(i)
        s.noiseFloor = Double((i * 104_729) % 97) / 97 * 0.02
        s.coherence = 0.4 + Double((i * 7_919) % 89) / 89 * 0.4
        return s
    }

    @Test func pureNoiseIsAnOutlierAndAnAttackedImageIsNot() throws {
        let split = (0..<400).map(clean)
        let c = try Calibrator(
            targetFalseFlagRate: 0.05, outlierEvidence: Calibrator.defaultOutlierEvidence(roles: roles),
            adversarialEvidence: Calibrator.defaultAdversarialEvidence(roles: roles), perturbationEvidence: ["noise_floor"]
        ).calibrate(subject: subject, clean: split, labels: split.map { _ in 0 }, attacks: [], outliers: [])
        #expect(c.references.contains { $0.evidence == Evidence(.incoherence) })
        let rule = VerdictRule(calibration: c)
        // Far from the data early on and very noisy: with image left under the noise, and without.
        var attacked = scores(3, far: 3, pushed: 0.3, prediction: 1)
        attacked.noiseFloor = 5
        attacked.coherence = 0.5
        var noise = attacked
        noise.coherence = 0.05
        #expect(rule.hasImageUnderTheNoise(attacked) && !rule.hasImageUnderTheNoise(noise))
        let a = rule.judge(attacked), n = rule.judge(noise)
        #expect(a.verdict != .inDistribution && n.verdict != .inDistribution)
        #expect(a.routingScore < n.routingScore)
        #expect(n.verdict == .outlier, "routing \(n.routingScore), bias \(c.routingBias)")
        #expect(a.verdict == .adversarial, "routing \(a.routingScore), bias \(c.routingBias)")
        // A calibration made before the incoherence reference treats every input as pure noise.
        var old = c
        old.references.removeAll { $0.evidence == Evidence(.incoherence) }
        #expect(!VerdictRule(calibration: old).hasImageUnderTheNoise(attacked))
    }
}
