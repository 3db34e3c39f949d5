import Foundation
import TangleJudge
import Testing

/// What `tangle classify` finds in the paths it is given.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct ClassifyCommandTests {
    /// Before: "judged 0 inputs" and exit 0 for an empty folder, and for a folder of class folders
    /// (they were skipped).
    @Test(arguments: [[], ["shirt", "bag"]])
    func aFolderWithoutFilesIsAnError(subfolders: [String]) throws {
        let folder = try TemporaryFolder.make("empty")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for c in subfolders { try FileManager.default.createDirectory(atPath: "\(folder)/\(c)", withIntermediateDirectories: true) }
        let r = try TangleBinary.run(["classify", folder, "--model", CLIFixtures.shippedModel] + CLIFixtures.cacheArguments)
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("no files to judge"), "\(r.stderr)")
    }

    /// Folders recurse: files in class folders are judged, hidden names skipped, in path order.
    @Test func foldersRecurseInPathOrder() throws {
        let folder = try TemporaryFolder.make("tree")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for p in ["b/2.png", "a/1.png", "a/deeper/3.png", "top.png", ".hidden.png", "a/.partial/4.png"] {
            try CLIFixtures.write([0], to: "\(folder)/\(p)")
        }
        let files = try InputFiles.expand([folder])
        #expect(files == ["a/1.png", "a/deeper/3.png", "b/2.png", "top.png"].map { "\(folder)/\($0)" })
        #expect(try InputFiles.expand(["\(folder)/top.png"]) == ["\(folder)/top.png"])
        #expect(throws: InputFiles.Failure.self) { try InputFiles.expand(["\(folder)/missing"]) }
    }

    /// A folder of class folders is judged end to end, and an image over `--max-pixels` is rejected
    /// with a reason that names the option (before: the option did not exist and the reason said
    /// "raise the pixel limit").
    @Test(.enabled(if: CLIFixtures.canJudge, "needs Fashion-MNIST in /usr/share/datasets/fashion-mnist for the shipped model's index"))
    func classFoldersAreJudgedAndMaxPixelsApplies() throws {
        let folder = try TemporaryFolder.make("judge")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLIFixtures.write(try CLIFixtures.png(seed: 1), to: "\(folder)/small/a.png")
        try CLIFixtures.write(try CLIFixtures.png(seed: 2, size: 40), to: "\(folder)/large/b.png")
        let r = try TangleBinary.run(
            ["classify", folder, "--model", CLIFixtures.shippedModel, "--max-pixels", "1000"] + CLIFixtures.cacheArguments, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let byName = try CLIFixtures.recordsByName(r.stdout)
        #expect(byName.count == 2)
        #expect(byName["a.png"]?["verdict"] as? String != "rejected")
        #expect(byName["b.png"]?["verdict"] as? String == "rejected")
        #expect((byName["b.png"]?["reason"] as? String)?.contains("--max-pixels") == true, "\(String(describing: byName["b.png"]))")
    }

    @Test func maxPixelsMustBePositive() throws {
        let r = try TangleBinary.run(["classify", "x.png", "--max-pixels", "0"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--max-pixels"))
        let w = try TangleBinary.run(["watch", "--root", TangleBinary.scratch + "/w", "--max-pixels", "0"])
        #expect(w.status == 64, "\(w.stderr)")
    }
}
