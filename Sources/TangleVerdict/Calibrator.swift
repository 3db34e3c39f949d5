import Foundation
import TangleDigest
import TangleDkNN

/// Makes a ``VerdictCalibration`` from the detector's scores on the held-out calibration split,
/// on attacks generated from it, and on outlier examples.
public struct Calibrator: Sendable {
    /// The fraction of in-distribution inputs to flag.
    public var targetFalseFlagRate: Double
    /// The evidence of "unlike the training data" (``Evidence/description`` names).
    public var outlierEvidence: [String]
    /// The evidence of "pushed across a class boundary".
    public var adversarialEvidence: [String]
    /// The evidence of perturbation noise in the input: its own group, with its own share of the
    /// false-flag budget (none: no such group, and the rule is the two groups alone).
    public var perturbationEvidence: [String]
    /// The perturbation group's share of the target false-flag rate: the group alone flags at most
    /// `perturbationShare × target` of the calibration split, and the outlier and adversarial
    /// groups the rest.
    public var perturbationShare: Double
    /// The training images' arrival ranges; when set (and the scores carry arrivals) the `arrival`
    /// evidence is calibrated too.
    public var arrivalRanges: ArrivalRanges?

    /// The default outlier evidence, by role: the k-th-neighbour distances in the pooling layers
    /// (inputs unlike anything in the training data are far from it there), the energy (no class's
    /// logit stands out), with `arrival` how far the input as it arrived lies outside the training
    /// images' sizes and colour (``ArrivalRanges``), and — only where the training images lie on a
    /// dark, uniform background (`darkBackground`) — how the content sits in the frame
    /// (``Framing``): crossing it edge to edge, or leaving it empty around a small object.
    ///
    /// Chosen on development data (`docs/DETECTION.md`): the energy flags 85 % of grey 28x28
    /// letterboxed photographs instead of 76 % at the same false-flag rate; both pooling distances
    /// keep handwritten digits flagged (without `pool2`'s, 84 % of them instead of 99 %); the
    /// framing pieces flag the letterboxed grey photographs the network takes for bags.
    public static func defaultOutlierEvidence(roles: LayerRoles, arrival: Bool = false, darkBackground: Bool = true) -> [String] {
        roles.pooling.prefix(2).map { Evidence(.distance, layer: $0).description } + [Evidence(.energy).description]
            + (arrival ? [Evidence(.arrivalSize).description, Evidence(.arrivalColour).description] : [])
            + (darkBackground ? [Evidence(.edgeToEdge).description, Evidence(.spanShortfall).description] : [])
    }

    /// The default adversarial evidence, by role: predicted-class neighbours in the first pooling
    /// layer, the distance in the first hidden fully connected layer, Mahalanobis, feature squeezing
    /// and — only where the training images lie on a dark, uniform background (`darkBackground`, from
    /// the data profile's polarity policy) — dark-region roughness at both exponents: perturbation
    /// noise shows in regions the training data keeps black; a photograph has no such regions.
    public static func defaultAdversarialEvidence(roles: LayerRoles, darkBackground: Bool = true) -> [String] {
        var e: [Evidence] = []
        if let first = roles.pooling.first { e.append(Evidence(.predictedClassNeighbours, layer: first)) }
        if let dense = roles.dense.first { e.append(Evidence(.distance, layer: dense)) }
        e += [Evidence(.mahalanobis), Evidence(.squeeze)]
        if darkBackground { e += Roughness.exponents.map { Evidence(.roughness, exponent: $0) } }
        return e.map(\.description)
    }

    /// The default perturbation evidence: the noise floor (``NoiseFloor``), which any image with
    /// smooth regions keeps low and an attack lifts everywhere; and, where the training images lie
    /// on a dark, uniform background, dark-region roughness at the weak-perturbation exponent.
    ///
    /// Chosen on development data (`docs/DETECTION.md`, "Perturbation evidence"): with its share of
    /// the budget, this group flags every transferred attack set of the design sources that the two
    /// other groups flagged 57–92 % of.
    public static func defaultPerturbationEvidence(darkBackground: Bool = true) -> [String] {
        (darkBackground ? [Evidence(.roughness, exponent: Roughness.exponents.last!).description] : []) + [Evidence(.noiseFloor).description]
    }

    /// The default ``perturbationShare``: a fifth of the budget (1 % of the calibration split at a
    /// 5 % target), chosen on development data.
    public static let defaultPerturbationShare = 0.2

    /// Creates a calibrator.
    public init(
        targetFalseFlagRate: Double, outlierEvidence: [String], adversarialEvidence: [String], perturbationEvidence: [String] = [],
        perturbationShare: Double = Self.defaultPerturbationShare
    ) {
        self.targetFalseFlagRate = targetFalseFlagRate
        self.outlierEvidence = outlierEvidence
        self.adversarialEvidence = adversarialEvidence
        self.perturbationEvidence = perturbationEvidence
        self.perturbationShare = perturbationShare
    }

    /// What the calibration is about.
    public struct Subject: Sendable {
        /// Model name.
        public var model: String
        /// The weights' SHA-256.
        public var weightsSha256: String
        /// Index layers, in order.
        public var layers: [String]
        /// Class names.
        public var classNames: [String]
        /// DkNN k.
        public var k: Int
        /// Distance neighbour.
        public var kDistance: Int
        /// The neighbour index's settings.
        public var index: NeighborIndex.Settings?

        /// Creates a subject.
        public init(
            model: String, weightsSha256: String, layers: [String], classNames: [String], k: Int, kDistance: Int, index: NeighborIndex.Settings? = nil
        ) {
            self.index = index
            self.model = model
            self.weightsSha256 = weightsSha256
            self.layers = layers
            self.classNames = classNames
            self.k = k
            self.kDistance = kDistance
        }
    }

    /// Checks the target against the calibration size.
    /// - Throws: ``CalibrationError`` when the target is not in (0, 1) or finer than `1/n`.
    public func check(calibrationCount n: Int) throws {
        let t = targetFalseFlagRate
        guard t > 0, t < 1, t.isFinite else { throw CalibrationError.invalidTarget(t) }
        guard perturbationShare > 0, perturbationShare < 1 else { throw CalibrationError.invalidShare(perturbationShare) }
        if t * Double(n) < 1 {
            throw CalibrationError.targetTooFine(target: t, calibrationCount: n, needed: Int((1 / t).rounded(.up)))
        }
    }

    /// Calibrates.
    /// - Parameters:
    ///   - clean: scores of the calibration split (in-distribution).
    ///   - labels: their true labels (for the conformal calibration).
    ///   - attacks: scores of attacks generated from the calibration split, by name.
    ///   - outliers: scores of outlier examples, by name.
    ///   - created: the date written into the file.
    public func calibrate(
        subject: Subject, clean: [InputScores], labels: [Int32], attacks: [(String, [InputScores])],
        outliers: [(String, [InputScores])], created: Date = Date()
    ) throws -> VerdictCalibration {
        try check(calibrationCount: clean.count)
        let t = targetFalseFlagRate
        let classes = subject.classNames.count
        let minimum = VerdictRule.minimumPerClass(target: t)

        // What is normal for every piece of evidence.
        var candidates = subject.layers.flatMap { [Evidence(.predictedClassNeighbours, layer: $0), Evidence(.distance, layer: $0)] }
        if clean.first?.mahalanobis != nil { candidates.append(Evidence(.mahalanobis)) }
        candidates.append(Evidence(.squeeze))
        candidates.append(Evidence(.energy))
        candidates += Roughness.exponents.map { Evidence(.roughness, exponent: $0) }
        candidates.append(Evidence(.noiseFloor))
        candidates.append(Evidence(.incoherence))
        candidates += [Evidence(.edgeToEdge), Evidence(.spanShortfall)]
        let arrivals = arrivalRanges.flatMap { clean.allSatisfy { $0.arrival != nil } ? $0 : nil }
        if arrivals != nil { candidates += [Evidence(.arrivalSize), Evidence(.arrivalColour)] }
        let references = candidates.map { e -> VerdictCalibration.EvidenceReference in
            let values = clean.map { e.value($0, layers: subject.layers, arrivals: arrivals) ?? .infinity }
            var perClass: [TailReference]?
            if e.perClass {
                perClass = (0..<classes).map { c in TailReference(zip(clean, values).filter { $0.0.prediction == c }.map(\.1)) }
            }
            return .init(evidence: e, all: TailReference(values), perClass: perClass)
        }
        let known = Set(references.map(\.evidence.description))
        for name in outlierEvidence + adversarialEvidence + perturbationEvidence where !known.contains(name) {
            throw CalibrationError.unreadable(path: "evidence '\(name)'", detail: "not one of \(known.sorted().joined(separator: ", "))")
        }
        var layerThresholds: [String: VerdictCalibration.LayerThresholds] = [:]
        for name in subject.layers {
            let n = references.first { $0.evidence == Evidence(.predictedClassNeighbours, layer: name) }!
            let d = references.first { $0.evidence == Evidence(.distance, layer: name) }!
            layerThresholds[name] = .init(
                predictedClassNeighbours: (0..<classes).map { c in
                    let bound = n.reference(predicted: c, minimum: minimum).threshold(flagging: t)
                    return bound.isFinite ? Int(-bound) : 0
                },
                distance: d.all.threshold(flagging: t))
        }

        // Group sums on the calibration split, each point scored as a new input would be.
        var calibration = VerdictCalibration(
            id: "", created: ISO8601DateFormatter().string(from: created), model: subject.model, weightsSha256: subject.weightsSha256,
            targetFalseFlagRate: t, k: subject.k, kDistance: subject.kDistance, layers: subject.layers, index: subject.index,
            classNames: subject.classNames,
            calibrationCount: clean.count,
            conformalNonconformity: zip(clean, labels).map { ConformalPredictor.nonconformity(counts: $0.labelCounts, k: subject.k)[Int($1)] },
            references: references,
            outlierGroup: .init(evidence: outlierEvidence, sums: TailReference([])),
            adversarialGroup: .init(evidence: adversarialEvidence, sums: TailReference([])),
            verdictThreshold: .infinity, routingBias: 0, layerThresholds: layerThresholds,
            achieved: .init(calibrationFlagged: .init(count: 0, total: 0), attacks: [:], outliers: [:]), arrival: arrivals)
        // A placeholder group, so that the references-only rule computes the perturbation pieces'
        // p-values and sums too; the group is set for real (or left out) below.
        if !perturbationEvidence.isEmpty {
            calibration.perturbationGroup = .init(evidence: perturbationEvidence, sums: TailReference([]))
            calibration.perturbationOffset = 0
        }
        let referencesOnly = VerdictRule(calibration: calibration)
        let sums = clean.map { referencesOnly.groupSums($0, member: true) }
        calibration.outlierGroup.sums = TailReference(sums.map(\.outlier))
        calibration.adversarialGroup.sums = TailReference(sums.map(\.adversarial))
        let twoGroups = sums.map {
            max(-log(calibration.outlierGroup.sums.tailOfMember($0.outlier)), -log(calibration.adversarialGroup.sums.tailOfMember($0.adversarial)))
        }
        var verdictScores = twoGroups
        calibration.verdictThreshold = TailReference(twoGroups).threshold(flagging: t)
        calibration.perturbationGroup = nil
        calibration.perturbationOffset = nil
        if !perturbationEvidence.isEmpty {
            let group = VerdictCalibration.GroupReference(evidence: perturbationEvidence, sums: TailReference(sums.map { $0.perturbation ?? 0 }))
            let own = sums.map { -log(group.sums.tailOfMember($0.perturbation ?? 0)) }
            if let (threshold, offset) = Self.sharedThreshold(twoGroups: twoGroups, perturbation: own, target: t, share: perturbationShare) {
                calibration.perturbationGroup = group
                calibration.perturbationOffset = offset
                calibration.verdictThreshold = threshold
                verdictScores = zip(twoGroups, own).map { max($0, $1 + offset) }
            }
        }

        // Routing: the bias that best separates flagged attacks from flagged outliers.
        let rule = VerdictRule(calibration: calibration)
        let attackJudged = attacks.map { ($0.0, $0.1.map(rule.judge)) }
        let outlierJudged = outliers.map { ($0.0, $0.1.map(rule.judge)) }
        calibration.routingBias = Self.routingBias(
            adversarial: attackJudged.flatMap { $0.1.filter { $0.verdict != .inDistribution }.map(\.routingScore) },
            outlier: outlierJudged.flatMap { $0.1.filter { $0.verdict != .inDistribution }.map(\.routingScore) })

        // Achieved rates with the final rule.
        let final = VerdictRule(calibration: calibration)
        func routed(_ set: [InputScores], as kind: Verdict) -> VerdictCalibration.RoutedRate {
            let v = set.map { final.judge($0).verdict }
            let flagged = v.filter { $0 != .inDistribution }
            return .init(flagged: .init(count: flagged.count, total: v.count), routed: .init(count: flagged.filter { $0 == kind }.count, total: flagged.count))
        }
        calibration.achieved = .init(
            calibrationFlagged: .init(count: verdictScores.filter { $0 > calibration.verdictThreshold }.count, total: clean.count),
            attacks: Dictionary(uniqueKeysWithValues: attacks.map { ($0.0, routed($0.1, as: .adversarial)) }),
            outliers: Dictionary(uniqueKeysWithValues: outliers.map { ($0.0, routed($0.1, as: .outlier)) }))
        let body = try VerdictCalibration.encoder.encode(calibration)
        calibration.id = "cal-" + SHA256.hex(of: Array(body)).prefix(12)
        return calibration
    }

    /// The verdict threshold and perturbation offset that split the false-flag budget: the
    /// perturbation group alone flags at most `share × target` of the calibration split (its own
    /// threshold `t₂`); the verdict threshold `t₁` is the lowest on the two other groups' score at
    /// which the two together flag at most `target`; the offset `t₁ − t₂` (nudged down until
    /// `t₂ + offset ≤ t₁` holds in floating point) puts the group on the verdict scale, so that
    /// `max(a, b + offset) > t₁` flags exactly what `a > t₁ or b > t₂` does. Nil when either
    /// threshold is not finite (a split too small to resolve the share).
    static func sharedThreshold(twoGroups a: [Double], perturbation b: [Double], target: Double, share: Double) -> (threshold: Double, offset: Double)? {
        let t2 = TailReference(b).threshold(flagging: share * target)
        let allowed = Int((target * Double(a.count)).rounded(.down))
        let sorted = TailReference(a).values
        guard t2.isFinite, let top = sorted.last, top.isFinite else { return nil }
        func flagged(_ t1: Double) -> Int { zip(a, b).reduce(0) { $0 + ($1.0 > t1 || $1.1 > t2 ? 1 : 0) } }
        // The count falls as t₁ rises: the lowest calibration value of `a` that keeps it in budget.
        var lo = 0, hi = sorted.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if flagged(sorted[mid]) <= allowed { hi = mid } else { lo = mid + 1 }
        }
        let t1 = sorted[lo]
        guard flagged(t1) <= allowed else { return nil }
        var offset = t1 - t2
        while t2 + offset > t1 { offset = offset.nextDown }
        return (t1, offset)
    }

    /// The routing bias `b` (outlier when `routing_score > b`) that maximises
    /// the balanced routing accuracy over flagged examples of both kinds; among equally good
    /// biases, the one closest to 0. With examples of one kind only, 0.
    static func routingBias(adversarial: [Double], outlier: [Double]) -> Double {
        guard !adversarial.isEmpty, !outlier.isEmpty else { return 0 }
        let candidates = Set([0] + (adversarial + outlier).filter { $0.isFinite && abs($0) <= VerdictCalibration.routingRange }).sorted()
        var best = (accuracy: -1.0, bias: 0.0)
        for b in candidates {
            let a = Double(adversarial.filter { $0 <= b }.count) / Double(adversarial.count)
            let o = Double(outlier.filter { $0 > b }.count) / Double(outlier.count)
            let acc = (a + o) / 2
            if acc > best.accuracy + 1e-12 || (abs(acc - best.accuracy) <= 1e-12 && abs(b) < abs(best.bias)) { best = (acc, b) }
        }
        return best.bias
    }
}
