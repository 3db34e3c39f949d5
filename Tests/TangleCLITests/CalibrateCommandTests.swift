import Foundation
import TangleTesting
import Testing

/// `tangle calibrate` sets routing on generated attacks and on attack folders made elsewhere.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct CalibrateCommandTests {
    /// An attack folder made on another model joins the routing mixture: it is scored, reported
    /// and recorded beside the generated attacks; a folder that is not one is refused by name.
    @Test func attackSetsJoinTheRoutingMixture() throws {
        let data = try TestImageFolders.colour(count: 20)
        let work = try TemporaryFolder.make("calibrate")
        defer { for p in [data, work] { try? FileManager.default.removeItem(atPath: p) } }
        for (name, seed) in [("target", "0"), ("source", "1")] {
            let r = try TangleBinary.run(
                ["train", "--data", data, "--out", "\(work)/\(name)", "--steps", "3", "--batch-size", "8", "--no-test", "--seed", seed,
                 "--calibration-fraction", "0.5"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let attack = try TangleBinary.run(
            ["attack", "--model", work + "/source", "--test", "calibration", "--method", "fgsm", "--eps", "0.03", "--count", "5", "--out", work + "/made"])
        #expect(attack.status == 0, "\(attack.stderr)")

        let r = try TangleBinary.run(
            ["calibrate", "--model", work + "/target", "--target-fpr", "0.1", "--attacks", "fgsm:0.03", "--attack-set", "transferred=\(work)/made",
             "--cache", work + "/cache"], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("transferred: flagged ") && r.stdout.contains("/5 ("), "\(r.stdout)")
        let calibration = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/target/calibration.json"))) as? [String: Any])
        let achieved = try #require((calibration["achieved"] as? [String: Any])?["attacks"] as? [String: [String: Any]])
        #expect(Set(achieved.keys) == ["fgsm:0.03", "transferred"], "\(achieved.keys)")
        #expect((achieved["transferred"]?["flagged"] as? [String: Any])?["total"] as? Int == 5, "\(achieved)")

        try CLIFixtures.write(try CLIFixtures.png(seed: 3), to: work + "/made/holiday.png")
        let refused = try TangleBinary.run(
            ["calibrate", "--model", work + "/target", "--target-fpr", "0.1", "--attack-set", "x=\(work)/made", "--cache", work + "/cache"])
        #expect(refused.status != 0 && refused.stderr.contains("holiday.png"), "\(refused.stderr)")
    }
}
