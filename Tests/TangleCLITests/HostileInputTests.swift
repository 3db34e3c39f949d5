import Foundation
import Testing

/// `tangle classify` never blocks or traps on what a path names (issue 12, item 6).
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct HostileInputTests {
    /// A FIFO named directly is refused within a second, before the model is loaded (exit 66).
    /// Before: the open blocked forever.
    @Test func aFIFOIsRefusedAtOnce() throws {
        let folder = try TemporaryFolder.make("fifo")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(mkfifo(folder + "/pipe.png", 0o644) == 0)
        let start = Date()
        let r = try TangleBinary.run(["classify", folder + "/pipe.png", "--model", CLIFixtures.shippedModel] + CLIFixtures.cacheArguments, timeout: 10)
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 1, "took \(seconds) s")
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("cannot judge \(folder)/pipe.png: not a regular file (it is a FIFO (named pipe))"), "\(r.stderr)")
        #expect(r.stderr.contains("pass PNG, JPEG or IDX image files"), "\(r.stderr)")
    }

    /// `/proc/self/mem` (a "regular" file whose read fails with EIO) is a typed error within a second.
    /// Before: a trap in `FileHandle.readData`.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/mem")))
    func procSelfMemIsATypedError() throws {
        let start = Date()
        let r = try TangleBinary.run(["classify", "/proc/self/mem", "--model", CLIFixtures.shippedModel] + CLIFixtures.cacheArguments, timeout: 10)
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 1, "took \(seconds) s")
        #expect(r.status == 66, "\(r.stderr.suffix(600))")
        #expect(r.stderr.contains("cannot judge /proc/self/mem: reading failed"), "\(r.stderr.suffix(600))")
    }

    /// A FIFO found inside a folder becomes a rejected record; the other file is judged.
    /// Before: the IDX probe's open blocked on the FIFO forever.
    @Test(.enabled(if: CLIFixtures.canJudge, "needs Fashion-MNIST in /usr/share/datasets/fashion-mnist for the shipped model's index"))
    func aFIFOInAFolderIsRejectedNotWaitedOn() throws {
        let folder = try TemporaryFolder.make("fifo-folder")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLIFixtures.write(try CLIFixtures.png(seed: 1), to: folder + "/a.png")
        #expect(mkfifo(folder + "/b.png", 0o644) == 0)
        let r = try TangleBinary.run(["classify", folder, "--model", CLIFixtures.shippedModel] + CLIFixtures.cacheArguments, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let byName = try CLIFixtures.recordsByName(r.stdout)
        #expect(byName.count == 2)
        #expect(byName["a.png"]?["verdict"] as? String != "rejected")
        #expect(byName["b.png"]?["verdict"] as? String == "rejected")
        #expect((byName["b.png"]?["reason"] as? String)?.contains("not a regular file") == true, "\(String(describing: byName["b.png"]))")
    }
}
