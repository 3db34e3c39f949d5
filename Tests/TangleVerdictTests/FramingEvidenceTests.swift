import Foundation
import Testing
import TangleDkNN
@testable import TangleVerdict

/// The framing evidence: part of the outlier group only where the training images lie on a dark
/// background, a conformal p-value like the rest, and quoted in the reason.
@Suite struct FramingEvidenceTests {
    /// `scores(i)` framed like garments: a few lines crossed edge to edge, the frame filled.
    func framed(_ i: Int, edge: Double? = nil, shortfall: Double? = nil) -> InputScores {
        var s = scores(i)
        s.framing = Framing(edgeToEdge: edge ?? Double((i * 104_729) % 13) / 28, spanShortfall: shortfall ?? Double(i % 3) / 28)
        return s
    }

    func rule(darkBackground: Bool) throws -> VerdictRule {
        let clean = (0..<400).map { framed($0) }
        let c = try Calibrator(
            targetFalseFlagRate: 0.05, outlierEvidence: Calibrator.defaultOutlierEvidence(roles: roles, darkBackground: darkBackground),
            adversarialEvidence: Calibrator.defaultAdversarialEvidence(roles: roles, darkBackground: darkBackground)
        ).calibrate(subject: subject, clean: clean, labels: clean.map { _ in 0 }, attacks: [], outliers: [])
        return VerdictRule(calibration: c)
    }

    @Test func framingIsOutlierEvidenceOnlyOnADarkBackground() {
        #expect(Calibrator.defaultOutlierEvidence(roles: roles, darkBackground: true) == ["knn_a", "knn_b", "energy", "edge_to_edge", "span_shortfall"])
        #expect(Calibrator.defaultOutlierEvidence(roles: roles, darkBackground: false) == ["knn_a", "knn_b", "energy"])
        #expect(Evidence(.edgeToEdge).value(framed(1, edge: 0.75), layers: []) == 0.75)
        #expect(Evidence(.spanShortfall).value(framed(1, shortfall: 0.25), layers: []) == 0.25)
    }

    /// Representations that look normal, but a band crossing 22 of 28 rows (a letterboxed photo),
    /// or an object spanning 16 of 28 pixels (a small digit): outliers that say why, on a dark
    /// background; passed where framing is not evidence.
    @Test func aLetterboxedBandAndASmallObjectAreOutliersAndSayWhy() throws {
        let dark = try rule(darkBackground: true)
        let band = dark.judge(framed(7, edge: 22.0 / 28))
        #expect(band.verdict == .outlier)
        #expect(band.reason.contains("content crosses 79% of the frame edge to edge, normal ≤"), "\(band.reason)")
        let small = dark.judge(framed(7, shortfall: 12.0 / 28))
        #expect(small.verdict == .outlier)
        #expect(small.reason.contains("content spans 57% of the frame, normal ≥"), "\(small.reason)")
        #expect(dark.judge(framed(7)).verdict == .inDistribution)
        let photo = try rule(darkBackground: false)
        #expect(photo.judge(framed(7, edge: 22.0 / 28)).verdict == .inDistribution)
        #expect(photo.judge(framed(7, shortfall: 12.0 / 28)).verdict == .inDistribution)
    }
}
