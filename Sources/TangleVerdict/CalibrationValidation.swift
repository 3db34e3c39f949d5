import Foundation

/// The ranges a `calibration.json` must respect, checked when a model folder is opened
/// (``VerdictCalibration/load(modelFolder:weightsSha256:)``), so an edited or damaged calibration
/// is refused with its reason instead of judging every input the same way. `n` below is the
/// number of calibration points of a group's sums (``VerdictCalibration/calibrationCount``).
///
/// - `schema` is 1.
/// - `target_false_flag_rate` (the false-alarm rate) is in the open interval (0, 1).
/// - `k` and `k_distance` are at least 1 (and, once the neighbour index is known, at most the
///   training points it holds: ``VerdictCalibration/checkNeighbours(trainingPoints:modelFolder:)``).
/// - `layers` is not empty, has no name twice, and equals `index.layers` when `index` is recorded.
/// - `class_names` is not empty; `calibration_count` is at least 1.
/// - `conformal_nonconformity` holds `calibration_count` values, each in `0 ... k × layers`.
/// - Every reference's values are not NaN, ascending, at least one; `+inf` is allowed (evidence
///   missing for a point counts as the most abnormal value); per-class references, when present,
///   are one per class.
/// - The outlier and adversarial groups name at least one piece of evidence each, each one among
///   the references; their sums are `n ≥ 1` ascending values without NaN.
/// - `verdict_threshold` is finite and in `[0, log(n + 1)]`: a verdict score is `−log` of a
///   conformal p-value, which lies in `[1/(n + 1), 1]`; outside that range the rule flags everything
///   or nothing.
/// - `routing_bias` is finite and within ``routingRange`` (a difference of two routing scores).
/// - `layer_thresholds` has exactly one entry per layer; each holds one predicted-class neighbour
///   count per class, each in `0 ... k`, and a finite k-th-neighbour distance ≥ 0.
/// - The achieved rates count at most their totals, and each rate is in [0, 1].
extension VerdictCalibration {
    /// The largest `calibration.json` read (256 MiB; the shipped ones are about 0.5 MiB).
    public static let maximumFileBytes = 256 << 20
    /// The largest routing bias in either direction: a difference of two routing scores, each at
    /// most ``TailReference/extendedLogCap`` times the group's size (ten pieces, generously).
    public static let routingRange = 10 * TailReference.extendedLogCap

    /// The first rule (see above) this calibration breaks, in words, or nil when it keeps them all.
    public func problem() -> String? {
        if schema != 1 { return "schema is \(schema); this version of Tangle reads schema 1" }
        if !(targetFalseFlagRate > 0 && targetFalseFlagRate < 1) {
            return "target_false_flag_rate is \(targetFalseFlagRate); a false-flag rate must lie strictly between 0 and 1"
        }
        if k < 1 { return "k is \(k); it counts neighbours per layer and must be at least 1" }
        if kDistance < 1 { return "k_distance is \(kDistance); it names the k-th neighbour and must be at least 1" }
        if layers.isEmpty { return "layers is empty; at least one neighbour-index layer is needed" }
        if Set(layers).count != layers.count { return "layers names a layer twice (\(layers.joined(separator: ", ")))" }
        if let index, index.layers != layers {
            return "layers (\(layers.joined(separator: ", "))) differ from index.layers (\(index.layers.joined(separator: ", ")))"
        }
        if classNames.isEmpty { return "class_names is empty" }
        if calibrationCount < 1 { return "calibration_count is \(calibrationCount); at least 1 calibration point is needed" }
        if conformalNonconformity.count != calibrationCount {
            return "conformal_nonconformity holds \(conformalNonconformity.count) values for \(calibrationCount) calibration points"
        }
        let (largest, overflow) = k.multipliedReportingOverflow(by: layers.count)
        if !overflow, let bad = conformalNonconformity.first(where: { $0 < 0 || $0 > largest }) {
            return "conformal_nonconformity holds \(bad), outside 0...\(largest) (k × layers)"
        }
        if references.isEmpty { return "references is empty" }
        for r in references {
            let name = r.evidence.description
            if let why = Self.valuesProblem(r.all.values) { return "references[\(name)].all \(why)" }
            if let perClass = r.perClass {
                if perClass.count != classNames.count {
                    return "references[\(name)].per_class holds \(perClass.count) references for \(classNames.count) classes"
                }
                for (c, p) in perClass.enumerated() where !p.values.isEmpty {
                    if let why = Self.valuesProblem(p.values) { return "references[\(name)].per_class[\(c)] \(why)" }
                }
            }
        }
        let known = Set(references.map(\.evidence.description))
        for (label, group) in [("outlier_group", outlierGroup), ("adversarial_group", adversarialGroup)] {
            if group.evidence.isEmpty { return "\(label).evidence is empty" }
            if let unknown = group.evidence.first(where: { !known.contains($0) }) {
                return "\(label).evidence names '\(unknown)', which has no reference"
            }
            if let why = Self.valuesProblem(group.sums.values) { return "\(label).sums \(why)" }
        }
        let n = max(outlierGroup.sums.count, adversarialGroup.sums.count)
        let top = log(Double(n + 1))
        switch (perturbationGroup, perturbationOffset) {
        case (nil, nil): break
        case (let group?, let offset?):
            if group.evidence.isEmpty { return "perturbation_group.evidence is empty" }
            if let unknown = group.evidence.first(where: { !known.contains($0) }) {
                return "perturbation_group.evidence names '\(unknown)', which has no reference"
            }
            if let why = Self.valuesProblem(group.sums.values) { return "perturbation_group.sums \(why)" }
            if !(offset.isFinite && abs(offset) <= top) {
                return String(format: "perturbation_offset is %@; it shifts one calibrated score onto another, so it must lie in [-%.4g, %.4g]", "\(offset)", top, top)
            }
        case (_?, nil): return "perturbation_group is present without perturbation_offset"
        case (nil, _?): return "perturbation_offset is present without perturbation_group"
        }
        let range = String(format: "[0, %.4g] (log(n + 1) for n = %d calibration points)", top, n)
        if !(verdictThreshold.isFinite && verdictThreshold >= 0 && verdictThreshold <= top) {
            return "verdict_threshold is \(verdictThreshold); a verdict score lies in \(range), so this threshold would flag every input or none"
        }
        if !(routingBias.isFinite && abs(routingBias) <= Self.routingRange) {
            return String(
                format: "routing_bias is %@; it compares two routing scores, so it must lie in [-%.4g, %.4g]",
                "\(routingBias)", Self.routingRange, Self.routingRange)
        }
        for layer in layers {
            guard let t = layerThresholds[layer] else { return "layer_thresholds has no entry for layer \(layer)" }
            if t.predictedClassNeighbours.count != classNames.count {
                return "layer_thresholds.\(layer).predicted_class_neighbours holds \(t.predictedClassNeighbours.count) counts; "
                    + "one per class (\(classNames.count)) is needed"
            }
            if let bad = t.predictedClassNeighbours.first(where: { $0 < 0 || $0 > k }) {
                return "layer_thresholds.\(layer).predicted_class_neighbours holds \(bad), outside 0...\(k) (k)"
            }
            if !(t.distance.isFinite && t.distance >= 0) {
                return "layer_thresholds.\(layer).distance is \(t.distance); a neighbour distance is finite and at least 0"
            }
        }
        if let extra = Set(layerThresholds.keys).subtracting(layers).sorted().first {
            return "layer_thresholds has an entry for \(extra), which is not one of the layers"
        }
        if (known.contains(Evidence(.arrivalSize).description) || known.contains(Evidence(.arrivalColour).description)) && !(arrival?.isValid ?? false) {
            return "references hold the arrival evidence, but arrival (the training images' ranges) is missing or not ordered, finite pairs"
        }
        let rates =
            [("achieved.calibration_flagged", achieved.calibrationFlagged)]
            + achieved.attacks.sorted { $0.key < $1.key }.flatMap { [("achieved.attacks[\($0.key)].flagged", $0.value.flagged), ("achieved.attacks[\($0.key)].routed", $0.value.routed)] }
            + achieved.outliers.sorted { $0.key < $1.key }.flatMap { [("achieved.outliers[\($0.key)].flagged", $0.value.flagged), ("achieved.outliers[\($0.key)].routed", $0.value.routed)] }
        for (label, r) in rates where !(r.count >= 0 && r.count <= r.total && r.rate >= 0 && r.rate <= 1) {
            return "\(label) is \(r.count)/\(r.total) = \(r.rate); a rate counts at most its total and lies in [0, 1]"
        }
        return nil
    }

    /// Why sorted calibration values are unusable (empty, NaN, `-inf`, not ascending), or nil.
    static func valuesProblem(_ values: [Double]) -> String? {
        if values.isEmpty { return "holds no values" }
        if let i = values.firstIndex(where: { $0.isNaN || $0 == -.infinity }) { return "holds \(values[i]) at \(i); calibration values are numbers or +inf" }
        if let i = values.indices.dropFirst().first(where: { values[$0] < values[$0 - 1] }) {
            return "is not ascending at \(i) (\(values[i - 1]) then \(values[i]))"
        }
        return nil
    }

    /// Checks `k` and `k_distance` against the neighbour index: a neighbour search cannot return
    /// more neighbours than the index holds training points.
    /// - Throws: ``CalibrationError/invalid(modelFolder:problem:)``.
    public func checkNeighbours(trainingPoints: Int, modelFolder: String) throws {
        for (name, value) in [("k", k), ("k_distance", kDistance)] where value > trainingPoints {
            throw CalibrationError.invalid(
                modelFolder: modelFolder,
                problem: "\(name) is \(value), more than the \(trainingPoints) training points the neighbour index holds")
        }
    }

    /// Checks the calibration against the network it judges with: one class name per output.
    /// - Throws: ``CalibrationError/invalid(modelFolder:problem:)``.
    public func checkClasses(_ classCount: Int, modelFolder: String) throws {
        guard classNames.count == classCount else {
            throw CalibrationError.invalid(
                modelFolder: modelFolder, problem: "class_names holds \(classNames.count) names but the network has \(classCount) classes")
        }
    }
}
