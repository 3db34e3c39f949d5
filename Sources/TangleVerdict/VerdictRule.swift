import Foundation
import TangleDkNN

/// The verdict rule.
///
/// Every piece of evidence is turned into a conformal p-value against the calibration split
/// (neighbour counts against calibration inputs predicted as the same class). Two groups are
/// combined by Fisher's method, `Σ −log p`, and that sum is calibrated again:
/// - `outlier_score` = `−log p` of the sum over the **outlier** evidence (by default the
///   k-th-neighbour distances in the early layers, `pool1` and `pool2`: inputs unlike anything in
///   the training data are far from it there; and how far the input as it arrived lies outside the
///   training images' sizes, colour and brightness, ``ArrivalRanges``);
/// - `adversarial_score` = the same over the **adversarial** evidence (by default: too few
///   predicted-class neighbours in `pool1`, the `fc1` distance, the Mahalanobis distance, feature
///   squeezing, and dark-region roughness at two scales: an attacked image still looks like its
///   true class early on, lands far from real data late, and carries the perturbation itself);
/// - `perturbation_score` = the same over the **perturbation** evidence (by default the noise
///   floor, ``NoiseFloor``, and dark-region roughness where the background is dark), plus the
///   calibrated ``VerdictCalibration/perturbationOffset``: the group has its own share of the
///   false-flag budget, so a perturbation the representations barely notice (an attack made on
///   another model) is not diluted by five normal-looking pieces of evidence;
/// - `verdict_score` = the largest of the three: how abnormal the input is overall.
///
/// An input is flagged when `verdict_score` exceeds the calibrated threshold (set so that the
/// target fraction of calibration inputs is flagged). A flagged input is an `outlier` when
/// `routing_score` exceeds the calibrated routing bias, else `adversarial`: `routing_score` is
/// `outlier_score − max(adversarial_score, perturbation_score)` computed on
/// ``TailReference/extendedLogTail(_:)`` in place of the plain `−log p` (and without the offset):
/// the same difference wherever an input lies within the calibration split's range, and still a
/// difference where the groups lie beyond all of it (a strong attack, a photograph), where the
/// plain scores stop at `log(n + 1)`. One exception: an input with less image at a coarse scale
/// than every calibration image (``Coherence``: pure noise, such as a corrupt file decoded into
/// random pixels) has its perturbation group on the plain `−log p`, so that noise without an
/// object stays an outlier.
public struct VerdictRule: Sendable {
    /// The calibration it applies.
    public let calibration: VerdictCalibration
    private let byName: [String: VerdictCalibration.EvidenceReference]
    private let minimumPerClass: Int
    /// Every piece of evidence either group uses, once.
    private let used: [String]

    /// Creates the rule for a calibration.
    public init(calibration: VerdictCalibration) {
        self.calibration = calibration
        byName = Dictionary(calibration.references.map { ($0.evidence.description, $0) }, uniquingKeysWith: { a, _ in a })
        minimumPerClass = Self.minimumPerClass(target: calibration.targetFalseFlagRate)
        used = Array(Set(calibration.outlierGroup.evidence + calibration.adversarialGroup.evidence + (calibration.perturbationGroup?.evidence ?? [])))
    }

    /// Per-class references are used when a class has enough calibration points to put
    /// several of them beyond the target rate; else the pooled reference.
    static func minimumPerClass(target: Double) -> Int { Int((5 / max(target, 1e-6)).rounded(.up)) }

    /// One layer's figures for a record.
    public struct LayerFigures: Sendable, Equatable {
        /// The layer.
        public var layer: String
        /// Neighbours (of `k`) carrying the predicted class.
        public var predictedClassNeighbours: Int
        /// Normal is at or above this count (for the predicted class).
        public var threshold: Int
        /// The k-th-neighbour distance.
        public var distance: Double
        /// Normal is at or below this distance.
        public var distanceThreshold: Double
    }

    /// The rule's outcome for one input.
    public struct Judgement: Sendable {
        /// The verdict.
        public var verdict: Verdict
        /// Calibrated evidence that the input is unlike the training data.
        public var outlierScore: Double
        /// Calibrated evidence that the input was pushed across a class boundary.
        public var adversarialScore: Double
        /// Calibrated evidence of perturbation noise in the input, offset onto the verdict scale;
        /// nil when the calibration has no perturbation group.
        public var perturbationScore: Double?
        /// The largest of the three; flagged above ``VerdictCalibration/verdictThreshold``.
        public var verdictScore: Double
        /// The outlier group's score less the larger of the adversarial and perturbation groups',
        /// on extended tails (see the type's description); a flagged input is an outlier above
        /// ``VerdictCalibration/routingBias``.
        public var routingScore: Double
        /// Why, in words.
        public var reason: String
        /// Per layer figures.
        public var layers: [LayerFigures]
        /// Each piece of evidence's p-value against the calibration split.
        public var pValues: [String: Double]
    }

    /// The p-value of one piece of evidence for `s`, or nil when it is not available.
    /// - Parameter member: `s` is a calibration input (its own value is in the reference).
    func pValue(_ name: String, _ s: InputScores, member: Bool = false) -> Double? {
        guard let ref = byName[name], let v = ref.evidence.value(s, layers: calibration.layers, arrivals: calibration.arrival) else { return nil }
        let r = ref.reference(predicted: s.prediction, minimum: minimumPerClass)
        return member ? r.tailOfMember(v) : r.tail(v)
    }

    /// `outlier_score − max(adversarial_score, perturbation_score)` on extended tails (see the
    /// type's description): each piece's `−log p` from ``TailReference/extendedLogTail(_:)``,
    /// summed per group, and the sum's own extended `−log p` against the group's calibration sums;
    /// the perturbation group on its plain `−log p` for pure noise (``hasImageUnderTheNoise(_:)``).
    /// - Parameter p: the plain p-values ``judge(_:)`` already computed, by name.
    func routingScore(_ s: InputScores, plain p: [String: Double]) -> Double {
        var logP: [String: Double] = [:]
        for name in used {
            guard let ref = byName[name], let v = ref.evidence.value(s, layers: calibration.layers, arrivals: calibration.arrival) else { continue }
            logP[name] = ref.reference(predicted: s.prediction, minimum: minimumPerClass).extendedLogTail(v)
        }
        func group(_ g: VerdictCalibration.GroupReference) -> Double {
            g.sums.extendedLogTail(g.evidence.reduce(0) { $0 + (logP[$1] ?? 0) })
        }
        // The perturbation group. An attacked image keeps its object under the noise: its noise
        // counts as far beyond the calibration split as it lies (extended tail, like the other
        // groups). An input with less image at a coarse scale than every calibration image is pure
        // noise — a pixel-shuffled image, a corrupt file decoded — and its noise counts only up to a
        // saturated p-value, leaving "beyond everything" to the outlier group.
        var perturbation = -Double.infinity
        if let g = calibration.perturbationGroup {
            perturbation = hasImageUnderTheNoise(s) ? group(g) : -log(g.sums.tail(Self.fisherSum(g.evidence, p)))
        }
        let adversarial = max(group(calibration.adversarialGroup), perturbation)
        return group(calibration.outlierGroup) - adversarial
    }

    /// Whether `s` keeps at least as much image at a coarse scale (``Coherence``) as the least
    /// coherent calibration image; false for a calibration without the `incoherence` reference
    /// (made before it), which routes every input's noise on plain p-values, as it was made to.
    func hasImageUnderTheNoise(_ s: InputScores) -> Bool {
        guard let ref = byName[Evidence(.incoherence).description], let top = ref.all.values.last,
            let v = ref.evidence.value(s, layers: calibration.layers, arrivals: calibration.arrival)
        else { return false }
        return v <= top
    }

    /// The group sums for `s` (the perturbation group's nil when the calibration has none).
    func groupSums(_ s: InputScores, member: Bool = false) -> (outlier: Double, adversarial: Double, perturbation: Double?) {
        var p: [String: Double] = [:]
        for name in used { p[name] = pValue(name, s, member: member) }
        return (
            Self.fisherSum(calibration.outlierGroup.evidence, p), Self.fisherSum(calibration.adversarialGroup.evidence, p),
            calibration.perturbationGroup.map { Self.fisherSum($0.evidence, p) }
        )
    }

    /// Fisher's sum of a group, from p-values.
    static func fisherSum(_ names: [String], _ p: [String: Double]) -> Double {
        names.reduce(0) { $0 - log(p[$1] ?? 1) }
    }

    /// Judges one input.
    public func judge(_ s: InputScores) -> Judgement {
        var p: [String: Double] = [:]
        for name in used { p[name] = pValue(name, s) }
        let outlier = -log(calibration.outlierGroup.sums.tail(Self.fisherSum(calibration.outlierGroup.evidence, p)))
        let adversarial = -log(calibration.adversarialGroup.sums.tail(Self.fisherSum(calibration.adversarialGroup.evidence, p)))
        var perturbation: Double?
        if let g = calibration.perturbationGroup, let offset = calibration.perturbationOffset {
            perturbation = -log(g.sums.tail(Self.fisherSum(g.evidence, p))) + offset
        }
        let score = max(outlier, adversarial, perturbation ?? -.infinity)
        let routing = routingScore(s, plain: p)
        let verdict: Verdict =
            score > calibration.verdictThreshold ? (routing > calibration.routingBias ? .outlier : .adversarial) : .inDistribution
        let layers = calibration.layers.enumerated().compactMap { (l, name) -> LayerFigures? in
            guard l < s.labelCounts.count, l < s.distances.count, let t = calibration.layerThresholds[name] else { return nil }
            return LayerFigures(
                layer: name, predictedClassNeighbours: s.labelCounts[l][s.prediction],
                threshold: s.prediction < t.predictedClassNeighbours.count ? t.predictedClassNeighbours[s.prediction] : 0,
                distance: s.distances[l], distanceThreshold: t.distance)
        }
        return Judgement(
            verdict: verdict, outlierScore: outlier, adversarialScore: adversarial, perturbationScore: perturbation, verdictScore: score,
            routingScore: routing,
            reason: reason(verdict, s, p: p, layers: layers), layers: layers, pValues: p)
    }

    /// Words for a verdict: the strongest evidence of the deciding group, each with what is normal.
    func reason(_ verdict: Verdict, _ s: InputScores, p: [String: Double], layers: [LayerFigures]) -> String {
        let className = s.prediction < calibration.classNames.count ? calibration.classNames[s.prediction] : "class \(s.prediction)"
        func describe(_ name: String) -> String? {
            guard let ref = byName[name], let v = ref.evidence.value(s, layers: calibration.layers, arrivals: calibration.arrival) else { return nil }
            let e = ref.evidence
            // Where the calibration split's values stop being normal (the target fraction lies above).
            func normal() -> Double {
                ref.reference(predicted: s.prediction, minimum: minimumPerClass).threshold(flagging: calibration.targetFalseFlagRate)
            }
            switch e.kind {
            case .arrivalSize, .arrivalColour:
                guard let ranges = calibration.arrival, let a = s.arrival else { return nil }
                return ranges.describe(a)
            case .predictedClassNeighbours:
                guard let f = layers.first(where: { $0.layer == e.layer }) else { return nil }
                return "\(f.layer): \(f.predictedClassNeighbours)/\(calibration.k) \(className) neighbours, normal ≥ \(f.threshold)"
            case .distance:
                guard let f = layers.first(where: { $0.layer == e.layer }) else { return nil }
                return String(format: "%@ neighbour distance %.3f, normal ≤ %.3f", f.layer, f.distance, f.distanceThreshold)
            case .edgeToEdge:
                return String(format: "content crosses %.0f%% of the frame edge to edge, normal ≤ %.0f%%", v * 100, normal() * 100)
            case .spanShortfall:
                return String(format: "content spans %.0f%% of the frame, normal ≥ %.0f%%", (1 - v) * 100, (1 - normal()) * 100)
            case .mahalanobis, .squeeze, .roughness, .energy, .noiseFloor, .incoherence:
                let label =
                    switch e.kind {
                    case .roughness: "dark-region roughness (\(e.exponent ?? 0))"
                    case .noiseFloor: "noise floor"
                    case .incoherence: "incoherence (no image under the noise)"
                    case .squeeze: "squeezing change"
                    case .energy: "energy (no class stands out)"
                    default: "Mahalanobis distance"
                    }
                return String(format: "%@ %.3g, normal ≤ %.3g", label, v, normal())
            }
        }
        func strongest(_ names: [String], _ n: Int) -> String {
            // Both arrival pieces describe the input alike: say it once.
            var seen = Set<String>()
            return names.sorted { (p[$0] ?? 1) < (p[$1] ?? 1) }.prefix(n).compactMap(describe).filter { seen.insert($0).inserted }
                .joined(separator: "; ")
        }
        switch verdict {
        case .outlier:
            return "unlike the training data: " + strongest(calibration.outlierGroup.evidence, 2)
        case .adversarial:
            // The perturbation group's pieces compete with the adversarial group's: whichever
            // is the most abnormal is quoted.
            let candidates = Array(Set(calibration.adversarialGroup.evidence + (calibration.perturbationGroup?.evidence ?? []))).sorted()
            return "near real data but pushed across a class boundary: " + strongest(candidates, 3)
        case .inDistribution:
            let support = layers.first.map { "\($0.layer): \($0.predictedClassNeighbours)/\(calibration.k) \(className) neighbours, normal ≥ \($0.threshold)" } ?? ""
            return "consistent with the training data (\(support))"
        case .rejected:
            return "not judged"
        }
    }
}
