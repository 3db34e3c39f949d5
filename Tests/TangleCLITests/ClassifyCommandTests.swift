import Foundation
import TangleImage
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

    /// A colour photograph of another size is judged an outlier by how it arrived, and the reason
    /// says so in words; its record carries the arrival scores. (Before: letterboxed onto black and
    /// shrunk, a landscape photo was a "Bag".)
    @Test(.enabled(if: CLIFixtures.canJudge, "needs Fashion-MNIST in /usr/share/datasets/fashion-mnist for the shipped model's index"))
    func aColourPhotographIsAnOutlierByHowItArrived() throws {
        let folder = try TemporaryFolder.make("photo")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 96x64 RGB: sky, a horizon, textured ground.
        let (w, h) = (96, 64)
        var rgb: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                if y < h / 2 { rgb += [UInt8(90 + y), UInt8(140 + y), 230] } else { rgb += [UInt8(60 + (x * 7 + y * 13) % 90), UInt8(110 + (x * 3) % 60), 40] }
            }
        }
        try CLIFixtures.write(try PNG.encode(rgb, width: w, height: h, layout: .rgb), to: "\(folder)/field.png")
        let r = try TangleBinary.run(["classify", "\(folder)/field.png", "--model", CLIFixtures.shippedModel] + CLIFixtures.cacheArguments, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let record = try #require(try CLIFixtures.recordsByName(r.stdout)["field.png"])
        #expect(record["verdict"] as? String == "outlier", "\(record)")
        let reason = record["reason"] as? String ?? ""
        #expect(reason.contains("a 96x64 colour image; training images arrived as 28x28 grey"), "\(reason)")
        let scores = try #require(record["scores"] as? [String: Any])
        #expect((scores["arrival_size"] as? Double).map { abs($0 - (log(96.0 / 28) + log(64.0 / 28) + log(1.5))) < 1e-9 } == true, "\(scores)")
        #expect((scores["arrival_colour"] as? Double ?? 0) > 0)
    }

    @Test func maxPixelsMustBePositive() throws {
        let r = try TangleBinary.run(["classify", "x.png", "--max-pixels", "0"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--max-pixels"))
        let w = try TangleBinary.run(["watch", "--root", TangleBinary.scratch + "/w", "--max-pixels", "0"])
        #expect(w.status == 64, "\(w.stderr)")
    }
}
