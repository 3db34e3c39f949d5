import Foundation
import Testing

/// `tangle attack` writes PGD attacks, and `tangle evaluate --attack-set` judges a folder of them
/// made on another model (the black-box, transferred setting).
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct AttackCommandTests {
    @Test(.enabled(if: CLIFixtures.canJudge, "needs Fashion-MNIST in /usr/share/datasets/fashion-mnist for the shipped models"))
    func pgdAttacksMadeOnTheBaselineAreJudgedByTheEntangledModel() throws {
        let work = try TemporaryFolder.make("attack-set")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let baseline = "\(TangleBinary.packageRoot)/models/fashion-mnist-baseline"
        let made = try TangleBinary.run(
            ["attack", "--model", baseline, "--method", "pgd-l2", "--eps", "2", "--count", "8", "--out", work + "/l2"], timeout: 300)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("20 steps of 0.25, random start"), "\(made.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: work + "/l2").sorted()
        #expect(files.count == 8 && files.allSatisfy { $0.hasSuffix("-pgd-l2-2.0.png") }, "\(files)")
        let linf = try TangleBinary.run(
            ["attack", "--model", baseline, "--method", "pgd-linf", "--eps", "0.1", "--count", "4", "--steps", "5", "--no-random-start",
             "--out", work + "/linf"], timeout: 300)
        #expect(linf.status == 0 && linf.stdout.contains("5 steps of 0.05)"), "\(linf.stdout)\(linf.stderr)")
        let tooBig = try TangleBinary.run(["attack", "--model", baseline, "--method", "pgd-linf", "--eps", "2", "--out", work + "/x"])
        #expect(tooBig.status == 64 && tooBig.stderr.contains("L∞"), "\(tooBig.stderr)")

        // Judged by the shipped entangled model, on its own calibration split as the clean side.
        let report = try TangleBinary.run(
            ["evaluate", "--model", CLIFixtures.shippedModel, "--test", "calibration", "--attack-set", "baseline-l2=\(work)/l2",
             "--attack-set", "baseline-linf=\(work)/linf", "--attacks", "pgd-linf:0.1", "--attack-count", "4", "--json",
             "--reliability-svg", work + "/reliability.svg"]
                + CLIFixtures.cacheArguments, timeout: 600)
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let attacks = try #require(json["attacks"] as? [String: [String: Any]])
        #expect(Set(attacks.keys) == ["baseline-l2", "baseline-linf", "pgd-linf:0.1"], "\(attacks.keys)")
        for (name, figures) in attacks {
            for key in ["flagged", "flagged_successful", "routed", "accuracy"] {
                #expect((figures[key] as? Double).map { (0...1).contains($0) } == true, "\(name).\(key)")
            }
        }
        #expect((attacks["baseline-l2"]?["successful"] as? Int).map { (0...8).contains($0) } == true)

        // A folder that is not an attack set is refused, naming the file.
        try CLIFixtures.write(try CLIFixtures.png(seed: 3), to: work + "/l2/holiday.png")
        let refused = try TangleBinary.run(
            ["evaluate", "--model", CLIFixtures.shippedModel, "--test", "calibration", "--attack-set", "x=\(work)/l2", "--reliability-svg", work + "/r.svg"]
                + CLIFixtures.cacheArguments,
            timeout: 300)
        #expect(refused.status != 0 && refused.stderr.contains("holiday.png"), "\(refused.stderr)")
    }
}
