import Foundation
import Testing
import TangleData
import TangleDkNN
import TangleNetwork
@testable import TangleVerdict

/// Synthetic scores: two layers, two classes, k = 10. `far` moves an input away from the data in
/// the first layers (outlier evidence); `pushed` takes away predicted-class neighbours in the
/// first layer and adds roughness (adversarial evidence).
func scores(_ i: Int, far: Double = 0, pushed: Double = 0, prediction: Int = 0) -> InputScores {
    let jitter = Double((i * 7919) % 101) / 100  // deterministic spread in [0, 1]
    let support = max(0, min(10, 8 + (i % 3) - Int(pushed * 8)))
    var counts = [[Int]](repeating: [0, 0], count: 3)
    for l in 0..<3 {
        counts[l][prediction] = l == 0 ? support : 9
        counts[l][1 - prediction] = 10 - counts[l][prediction]
    }
    var s = InputScores(
        prediction: prediction, probability: 0.9, logSumExp: 3, labelCounts: counts,
        distances: [0.3 + 0.1 * jitter + far, 0.4 + 0.1 * jitter + far, 0.5 + 0.1 * jitter + pushed],
        dknn: nil, mahalanobis: 10 + jitter + 20 * pushed, squeeze: 0.01 * jitter + pushed)
    s.roughness = [jitter + 10 * pushed, jitter + 10 * pushed]
    return s
}

let roles = LayerRoles(pooling: ["a", "b"], dense: ["c"])

let subject = Calibrator.Subject(model: "m", weightsSha256: "abc", layers: ["a", "b", "c"], classNames: ["Zero", "One"], k: 10, kDistance: 5)

func calibrator(_ target: Double = 0.05) -> Calibrator {
    Calibrator(
        targetFalseFlagRate: target, outlierEvidence: Calibrator.defaultOutlierEvidence(roles: roles),
        adversarialEvidence: Calibrator.defaultAdversarialEvidence(roles: roles))
}

@Suite struct TailReferenceTests {
    @Test func conformalPValues() {
        let r = TailReference([1, 2, 3, 4])
        #expect(r.tail(0) == 1)  // (4 + 1) / 5
        #expect(r.tail(3) == 3.0 / 5)
        #expect(r.tail(10) == 1.0 / 5)  // never 0
        #expect(r.tailOfMember(4) == 1.0 / 4)  // only itself at or above: (0 + 1) / 4
        #expect(r.tailOfMember(1) == 1)
        #expect(TailReference([]).tail(5) == 1)
        #expect(TailReference([.nan, 1]).tail(100) == 2.0 / 3)  // NaN counts as the most abnormal
    }

    @Test func theExtendedTailKeepsFallingPastTheLargestValue() {
        let values = (0..<1000).map { Double($0) / 100 }  // 0 … 9.99, evenly spaced
        let r = TailReference(values.shuffled())
        // Within the calibration range it is −log of the conformal p-value.
        for x in [-1, 0, 3.3, 9.99] { #expect(r.extendedLogTail(x) == -log(r.tail(x))) }
        // Past it: log(n + 1) at the edge, then growing by 1 per fitted scale (the top 20 values'
        // mean excess over the 21st largest, 0.105).
        let a = r.extendedLogTail(10.5), b = r.extendedLogTail(11), c = r.extendedLogTail(20)
        #expect(a > -log(r.tail(10.5)) && b > a && c > b)
        #expect(abs((b - a) - 0.5 / 0.105) < 1e-9)
        #expect(r.extendedLogTail(.infinity) == TailReference.extendedLogCap && r.extendedLogTail(1e12) == TailReference.extendedLogCap)
        // No fit without spread at the top, or with too few values: the plain −log p.
        let ties = TailReference([Double](repeating: 1, count: 50) + [0, 0.5])
        #expect(ties.extendedLogTail(5) == -log(ties.tail(5)))
        #expect(TailReference([1, 2, 3]).extendedLogTail(9) == -log(0.25))
    }

    @Test func thresholdFlagsAtMostTheFraction() {
        let values = (0..<1000).map { Double($0) }
        let r = TailReference(values.shuffled())
        let t = r.threshold(flagging: 0.05)
        #expect(values.filter { $0 > t }.count == 50)
        #expect(r.threshold(flagging: 0.0001) == 999)  // nothing above the largest
        #expect(r.threshold(flagging: 1) == -.infinity)
    }
}

@Suite struct CalibratorTests {
    let clean = (0..<400).map { scores($0) }

    @Test func refusesATargetTheSplitCannotResolve() {
        #expect(throws: CalibrationError.targetTooFine(target: 0.001, calibrationCount: 400, needed: 1000)) {
            try calibrator(0.001).calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        }
        #expect(throws: CalibrationError.invalidTarget(0)) {
            try calibrator(0).calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        }
        let message = CalibrationError.targetTooFine(target: 0.001, calibrationCount: 400, needed: 1000).description
        #expect(message.contains("at least 1000"))
    }

    @Test func flagsTheTargetFractionOfCalibrationAndNewCleanInputs() throws {
        let c = try calibrator(0.05).calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        #expect(c.achieved.calibrationFlagged.total == 400)
        #expect(c.achieved.calibrationFlagged.rate <= 0.05 && c.achieved.calibrationFlagged.rate >= 0.03)
        let rule = VerdictRule(calibration: c)
        let fresh = (400..<2400).map { scores($0) }
        let rate = Double(fresh.filter { rule.judge($0).verdict != .inDistribution }.count) / Double(fresh.count)
        #expect(rate < 0.08)
        #expect(c.id.hasPrefix("cal-") && c.id.count == 16)
        #expect(c.conformalNonconformity.count == 400)
    }

    @Test func routesOutliersAndAttacksByTheirEvidence() throws {
        let attacks = (0..<200).map { scores($0, pushed: 0.8, prediction: 1) }
        let outliers = (0..<200).map { scores($0, far: 2) }
        let c = try calibrator().calibrate(
            subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [("fgsm:0.1", attacks)], outliers: [("far", outliers)])
        #expect(c.achieved.attacks["fgsm:0.1"]!.flagged.rate > 0.9)
        #expect(c.achieved.attacks["fgsm:0.1"]!.routed.rate > 0.9)
        #expect(c.achieved.outliers["far"]!.routed.rate > 0.9)
        let rule = VerdictRule(calibration: c)
        let j = rule.judge(scores(7, pushed: 0.9, prediction: 1))
        #expect(j.verdict == .adversarial)
        #expect(j.verdictScore == max(j.outlierScore, j.adversarialScore))
        #expect(j.reason.contains("One neighbours, normal ≥"))
        let o = rule.judge(scores(3, far: 3))
        #expect(o.verdict == .outlier)
        #expect(o.reason.contains("neighbour distance"))
        let fine = rule.judge(scores(5))
        #expect(fine.verdict == .inDistribution)
        #expect(fine.layers.map(\.layer) == ["a", "b", "c"])
        #expect(fine.layers[0].threshold <= fine.layers[0].predictedClassNeighbours)
    }

    /// Two flagged inputs beyond every calibration value in both groups score the same plain
    /// `log(n + 1)` in each, so only the extended tails can tell which group lies further out.
    @Test func routingTellsApartInputsBeyondEveryCalibrationPoint() throws {
        let c = try calibrator().calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        let rule = VerdictRule(calibration: c)
        let mostlyPushed = rule.judge(scores(11, far: 0.5, pushed: 3, prediction: 1))
        let mostlyFar = rule.judge(scores(11, far: 30, pushed: 0.1, prediction: 1))
        for j in [mostlyPushed, mostlyFar] {
            #expect(j.verdict != .inDistribution)
            #expect(abs(j.outlierScore - j.adversarialScore) < 1e-12, "both groups saturate: \(j.outlierScore), \(j.adversarialScore)")
        }
        #expect(mostlyPushed.routingScore < 0 && mostlyFar.routingScore > 0)
        #expect(mostlyPushed.verdict == .adversarial && mostlyFar.verdict == .outlier)
        // Inside the calibration range the routing score is the plain difference.
        let mild = rule.judge(scores(405))
        #expect(abs(mild.routingScore - (mild.outlierScore - mild.adversarialScore)) < 1e-12)
    }

    @Test func routingBiasSeparatesTheKinds() {
        #expect(Calibrator.routingBias(adversarial: [-3, -2, -1], outlier: [1, 2, 3]) == 0)
        let b = Calibrator.routingBias(adversarial: [1, 2, 3], outlier: [5, 6, 7])
        #expect(b >= 3 && b < 5)
        #expect(Calibrator.routingBias(adversarial: [1], outlier: []) == 0)
    }

    @Test func unknownEvidenceIsRefused() {
        let c = Calibrator(targetFalseFlagRate: 0.05, outlierEvidence: ["knn_nowhere"], adversarialEvidence: [])
        #expect(throws: CalibrationError.self) {
            try c.calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        }
    }
}

@Suite struct CalibrationFileTests {
    @Test func missingOrForeignCalibrationIsRefused() throws {
        let dir = NSTemporaryDirectory() + "tangle-cal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: CalibrationError.missing(modelFolder: dir)) { try VerdictCalibration.load(modelFolder: dir, weightsSha256: "abc") }
        let clean = (0..<200).map { scores($0) }
        let c = try calibrator().calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        try c.write(modelFolder: dir)
        let back = try VerdictCalibration.load(modelFolder: dir, weightsSha256: "abc")
        #expect(back.id == c.id && back.verdictThreshold == c.verdictThreshold)
        #expect(VerdictRule(calibration: back).judge(scores(9, far: 3)).verdict == VerdictRule(calibration: c).judge(scores(9, far: 3)).verdict)
        #expect(throws: CalibrationError.self) { try VerdictCalibration.load(modelFolder: dir, weightsSha256: "other") }
        let text = try String(contentsOfFile: dir + "/calibration.json", encoding: .utf8)
        #expect(text.contains("\"weights_sha256\""))
        _ = FileManager.default.createFile(atPath: dir + "/calibration.json", contents: Data("{}".utf8))
        #expect(throws: CalibrationError.self) { try VerdictCalibration.load(modelFolder: dir, weightsSha256: "abc") }
    }
}

/// The ranges a calibration must respect when it is loaded (`CalibrationValidation.swift`).
@Suite struct CalibrationValidationTests {
    let valid: VerdictCalibration = {
        let clean = (0..<200).map { scores($0) }
        return try! calibrator().calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
    }()

    @Test func aCalibrationMadeByTheCalibratorIsValid() {
        #expect(valid.problem() == nil, "\(valid.problem() ?? "")")
    }

    /// Each broken value is refused, and the reason names the field.
    @Test(arguments: [
        "threshold -1e9", "threshold 1e308", "threshold nan", "bias 1e9", "k 0", "kDistance 0", "target 0", "target 1",
        "no layer thresholds", "empty class thresholds", "class threshold above k", "distance inf", "empty reference",
        "empty group sums", "nonconformity above k", "empty group", "schema 2",
    ])
    func outOfRangeValuesAreRefused(edit: String) {
        var c = valid
        let expected: String
        switch edit {
        case "threshold -1e9": c.verdictThreshold = -1e9; expected = "verdict_threshold is -1000000000.0"
        case "threshold 1e308": c.verdictThreshold = 1e308; expected = "verdict_threshold is 1e+308"
        case "threshold nan": c.verdictThreshold = .nan; expected = "verdict_threshold is nan"
        case "bias 1e9": c.routingBias = 1e9; expected = "routing_bias"
        case "k 0": c.k = 0; expected = "k is 0"
        case "kDistance 0": c.kDistance = 0; expected = "k_distance is 0"
        case "target 0": c.targetFalseFlagRate = 0; expected = "target_false_flag_rate is 0.0"
        case "target 1": c.targetFalseFlagRate = 1; expected = "target_false_flag_rate is 1.0"
        case "no layer thresholds": c.layerThresholds = [:]; expected = "layer_thresholds has no entry for layer a"
        case "empty class thresholds":
            c.layerThresholds["b"]?.predictedClassNeighbours = []; expected = "layer_thresholds.b.predicted_class_neighbours holds 0 counts"
        case "class threshold above k": c.layerThresholds["a"]?.predictedClassNeighbours[0] = 11; expected = "holds 11, outside 0...10"
        case "distance inf": c.layerThresholds["c"]?.distance = .infinity; expected = "layer_thresholds.c.distance is inf"
        case "empty reference": c.references[1].all = TailReference([]); expected = "holds no values"
        case "empty group sums": c.outlierGroup.sums = TailReference([]); expected = "outlier_group.sums holds no values"
        case "nonconformity above k": c.conformalNonconformity[0] = 31; expected = "conformal_nonconformity holds 31"
        case "empty group": c.adversarialGroup.evidence = []; expected = "adversarial_group.evidence is empty"
        default: c.schema = 2; expected = "schema is 2"
        }
        #expect(c.problem()?.contains(expected) == true, "\(edit): \(c.problem() ?? "accepted")")
    }

    /// Values decoded from a file bypass `TailReference`'s sorting: unsorted or NaN values are refused.
    @Test func referenceValuesMustBeAscendingNumbers() {
        #expect(VerdictCalibration.valuesProblem([1, 2, .infinity]) == nil)
        #expect(VerdictCalibration.valuesProblem([2, 1])?.contains("not ascending") == true)
        #expect(VerdictCalibration.valuesProblem([1, .nan])?.contains("nan") == true)
        #expect(VerdictCalibration.valuesProblem([-.infinity, 1])?.contains("-inf") == true)
    }

    @Test func kMustNotExceedTheIndex() throws {
        var c = valid
        try c.checkNeighbours(trainingPoints: 10, modelFolder: "m")
        c.k = 1_000_000_000
        let e = try #require(throws: CalibrationError.self) { try c.checkNeighbours(trainingPoints: 59_000, modelFolder: "m") }
        #expect(e.description.contains("k is 1000000000, more than the 59000 training points"), "\(e)")
        #expect(throws: CalibrationError.self) { try valid.checkClasses(3, modelFolder: "m") }
        try valid.checkClasses(2, modelFolder: "m")
    }

    /// Loading refuses a file with an impossible value, saying to calibrate again.
    @Test func loadingRefusesAnImpossibleValue() throws {
        let dir = NSTemporaryDirectory() + "tangle-cal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = valid
        c.verdictThreshold = -1e9
        try c.write(modelFolder: dir)
        let e = try #require(throws: CalibrationError.self) { try VerdictCalibration.load(modelFolder: dir, weightsSha256: "abc") }
        guard case .invalid = e else { Issue.record("\(e)"); return }
        #expect(e.description.contains("verdict_threshold") && e.description.contains("run `tangle calibrate --model \(dir)` again"), "\(e)")
        // A FIFO in place of the file is refused, not waited on.
        try FileManager.default.removeItem(atPath: dir + "/calibration.json")
        #expect(mkfifo(dir + "/calibration.json", 0o644) == 0)
        let fifo = try #require(throws: CalibrationError.self) { try VerdictCalibration.load(modelFolder: dir, weightsSha256: "abc") }
        #expect(fifo.description.contains("FIFO"), "\(fifo)")
    }
}

@Suite struct LayerRolesTests {
    @Test("Default evidence names layers by role, read from the architecture, whatever their order in the index")
    func roles() {
        let reference = Architecture.reference(input: Shape3(height: 32, width: 32, channels: 3), classes: 10)
        let r = LayerRoles(architecture: reference, among: ["logits", "fc2", "fc1", "pool2", "pool1"])
        #expect(r == LayerRoles(pooling: ["pool1", "pool2"], dense: ["fc1", "fc2"]))
        #expect(Calibrator.defaultOutlierEvidence(roles: r, darkBackground: false) == ["knn_pool1", "knn_pool2", "energy"])
        #expect(
            Calibrator.defaultOutlierEvidence(roles: r, arrival: true)
                == ["knn_pool1", "knn_pool2", "energy", "arrival_size", "arrival_colour", "edge_to_edge", "span_shortfall"])
        #expect(Array(Calibrator.defaultAdversarialEvidence(roles: r).prefix(2)) == ["neighbours_pool1", "knn_fc1"])
        // An index without the pooling layers has no pooling evidence, rather than whatever comes first.
        let late = LayerRoles(architecture: reference, among: ["fc1", "fc2", "logits"])
        #expect(Calibrator.defaultOutlierEvidence(roles: late, darkBackground: false) == ["energy"])
        #expect(Calibrator.defaultAdversarialEvidence(roles: late).first == "knn_fc1")
    }

    @Test("Dark-region roughness is default evidence only for data on a dark background (the profile's polarity), never for photographs")
    func roughnessFollowsTheProfile() {
        let r = LayerRoles(pooling: ["pool1", "pool2"], dense: ["fc1", "fc2"])
        #expect(Calibrator.defaultAdversarialEvidence(roles: r, darkBackground: true) == ["neighbours_pool1", "knn_fc1", "mahalanobis", "squeeze", "roughness_2", "roughness_8"])
        #expect(Calibrator.defaultAdversarialEvidence(roles: r, darkBackground: false) == ["neighbours_pool1", "knn_fc1", "mahalanobis", "squeeze"])
    }

    /// The arrival evidence: 0 inside the training images' sizes and colour, a conformal p-value like
    /// the rest, and quoted in the reason; an input of the training size and colour is judged on the
    /// network's evidence alone.
    @Test func anInputThatArrivedUnlikeTheTrainingImagesIsAnOutlierAndSaysWhy() throws {
        let ranges = ArrivalRanges(
            width: [28, 28], height: [28, 28], aspectRatio: [1, 1], colourfulness: [0, 0], brightness: [0.1, 0.5], colourFraction: 0)
        func arrival(_ w: Int, _ h: Int, colour: Double = 0, brightness: Double = 0.3) -> ArrivalStatistics {
            ArrivalStatistics(width: w, height: h, channels: colour > 0 ? 3 : 1, colourfulness: colour, brightness: brightness, borderMean: 0, borderSpread: 0)
        }
        #expect(ranges.sizeScore(arrival(28, 28)) == 0 && ranges.colourScore(arrival(28, 28)) == 0)
        #expect(ranges.sizeScore(arrival(28, 28, brightness: 0.9)) == 0, "brightness is not scored")
        #expect(abs(ranges.sizeScore(arrival(640, 480)) - (log(640.0 / 28) + log(480.0 / 28) + log(640.0 / 480))) < 1e-9)
        #expect(ranges.sizeScore(arrival(28, 28, colour: 0.3)) == 0 && abs(ranges.colourScore(arrival(28, 28, colour: 0.3)) - 3) < 1e-9)
        #expect(ranges.describe(arrival(640, 480, colour: 0.3)) == "a 640x480 colour image; training images arrived as 28x28 grey")
        #expect(!ArrivalRanges(width: [28, 20], height: [28, 28], aspectRatio: [1, 1], colourfulness: [0, 0], brightness: [0, 1], colourFraction: 0).isValid)

        func arrived(_ s: InputScores, _ a: ArrivalStatistics) -> InputScores {
            var s = s
            s.arrival = a
            return s
        }
        let clean = (0..<400).map { scores($0) }
        let cleanArrived = clean.map { arrived($0, arrival(28, 28)) }
        var c = calibrator()
        c.outlierEvidence = Calibrator.defaultOutlierEvidence(roles: LayerRoles(pooling: ["a", "b"], dense: ["c"]), arrival: true, darkBackground: false)
        #expect(c.outlierEvidence.suffix(2) == ["arrival_size", "arrival_colour"])
        c.arrivalRanges = ranges
        let calibration = try c.calibrate(subject: subject, clean: cleanArrived, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        #expect(calibration.arrival == ranges && calibration.problem() == nil)
        let rule = VerdictRule(calibration: calibration)
        // A photograph the network finds ordinary is still an outlier, and the reason says why.
        let photo = rule.judge(arrived(scores(5), arrival(640, 480, colour: 0.3)))
        #expect(photo.verdict == .outlier, "\(photo.reason)")
        #expect(photo.reason.contains("a 640x480 colour image; training images arrived as 28x28 grey"), "\(photo.reason)")
        #expect(photo.reason.components(separatedBy: "640x480").count == 2, "said once: \(photo.reason)")
        #expect(rule.judge(arrived(scores(5), arrival(28, 28))).verdict == .inDistribution)
        // Without an arrival (an IDX image fed directly) the evidence is silent, not fatal.
        #expect(rule.judge(scores(5)).verdict == .inDistribution)
        // A calibration that uses the evidence must carry the ranges.
        var broken = calibration
        broken.arrival = nil
        #expect(broken.problem()?.contains("arrival") == true)
    }
}

