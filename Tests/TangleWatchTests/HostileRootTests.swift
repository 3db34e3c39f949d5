import Foundation
import TangleVerdict
import Testing

/// The root is a boundary and no file is stranded: symbolic links on the root's own folders and log
/// are refused (nothing outside the root is touched), a folder removed while the daemon runs is made
/// again, names that are too long for a claim name or not UTF-8 are judged (bytes end to end), a dead
/// daemon's long-named claim is recovered under its name, two flag-only daemons on one root judge each
/// file once, and a hard link made into the inbox is taken after the settle time.
extension WatchIntegrationTests {
    /// What a folder or file outside the root holds: names and contents, to compare before and after.
    private func snapshot(_ path: String) -> [String: Data] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [:] }
        guard isFolder.boolValue else { return ["": FileManager.default.contents(atPath: path) ?? Data()] }
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            out[name] = FileManager.default.contents(atPath: "\(path)/\(name)") ?? Data()
        }
        return out
    }

    /// Writes a file whose name is given as bytes straight into `folder`.
    private func write(_ bytes: [UInt8], name: [UInt8], in folder: String) throws {
        let path = Array(folder.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_EXCL | O_WRONLY, 0o644) } }
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        #expect(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) } == bytes.count)
    }

    /// The names in a folder, as bytes.
    private func names(in folder: String) -> [[UInt8]] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var out: [[UInt8]] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { out.append(name) }
        }
        return out
    }

    @Test(
        "a root folder or log that is a symbolic link: the daemon refuses to start and touches nothing outside the root",
        arguments: ["inbox", "rejected", "verdicts.jsonl"])
    func symlinkedRootFolderIsRefused(_ linked: String) throws {
        let root = WatchFixtures.temporaryRoot("link")
        let outside = root + "-outside"
        defer {
            WatchFixtures.remove(root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let fm = FileManager.default
        for folder in ["inbox", "processing", "in-distribution", "outlier", "adversarial", "rejected"] where folder != linked {
            try fm.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
        if linked == "verdicts.jsonl" {
            try Data("an outside file that must stay as it is\n".utf8).write(to: URL(fileURLWithPath: outside))
        } else {
            try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data(try WatchFixtures.png(seed: 5)).write(to: URL(fileURLWithPath: "\(outside)/outside.png"))
        }
        try fm.createSymbolicLink(atPath: "\(root)/\(linked)", withDestinationPath: outside)
        if linked != "inbox" { try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(root)/inbox/broken.png")) }
        let before = snapshot(outside)
        let daemon = try WatchDaemon(root: root)
        let status = daemon.waitExit(timeout: 45)
        #expect(status != nil && status != 0, "the daemon should stop: \(daemon.stderr)")
        #expect(daemon.stderr.contains("\(root)/\(linked) is a symbolic link"), "\(daemon.stderr)")
        #expect(snapshot(outside) == before, "something outside the root was touched")
        if linked != "inbox" { #expect(fm.fileExists(atPath: "\(root)/inbox/broken.png"), "nothing moved") }
    }

    @Test("a verdict folder replaced by a link while the daemon runs: it stops at the next rescan, nothing reaches outside")
    func folderReplacedByALinkWhileRunning() throws {
        let root = WatchFixtures.temporaryRoot("relink")
        let outside = root + "-outside"
        defer {
            WatchFixtures.remove(root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let daemon = try WatchDaemon(root: root, extra: ["--rescan-seconds", "1"])
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let fm = FileManager.default
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try fm.moveItem(atPath: "\(root)/rejected", toPath: "\(root)/rejected-old")
        try fm.createSymbolicLink(atPath: "\(root)/rejected", withDestinationPath: outside)
        try WatchFixtures.drop(Array("not an image".utf8), name: "broken.png", root: root)
        let status = daemon.waitExit(timeout: 30)
        #expect(status != nil && status != 0, "the daemon should stop: \(daemon.stderr)")
        #expect(daemon.stderr.contains("\(root)/rejected is a symbolic link"), "\(daemon.stderr)")
        #expect(snapshot(outside).isEmpty, "a file was moved outside the root")
    }

    @Test("a verdict folder removed while the daemon runs is made again and the file reaches it")
    func removedFolderIsMadeAgain() throws {
        let root = WatchFixtures.temporaryRoot("rmdir")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        try FileManager.default.removeItem(atPath: "\(root)/rejected")
        try WatchFixtures.drop(Array("not an image".utf8), name: "broken.png", root: root)
        #expect(waitUntil(timeout: 8) { FileManager.default.fileExists(atPath: "\(root)/rejected/broken.png") }, "\(daemon.stderr)")
        #expect(WatchFixtures.records(root).map(\.input.path) == ["\(root)/rejected/broken.png"])
        #expect(names(in: "\(root)/processing").allSatisfy { String(decoding: $0, as: UTF8.self).hasSuffix(".lock") || names(in: "\(root)/processing/\(String(decoding: $0, as: UTF8.self))").isEmpty })
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
    }

    @Test("255-byte, 251-byte and non-UTF-8 names are judged: none is left in the inbox, the exact bytes are in the record")
    func longAndNonUTF8NamesAreJudged() throws {
        let root = WatchFixtures.temporaryRoot("names")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let long255 = Array(repeating: UInt8(ascii: "a"), count: 251) + Array(".png".utf8)
        let long251 = Array(repeating: UInt8(ascii: "b"), count: 247) + Array(".png".utf8)
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array("-\u{1}.png".utf8)
        let png = try WatchFixtures.png(seed: 9)
        // Written elsewhere in the root, then renamed in, like a well-behaved producer.
        for (i, name) in [long255, long251, latin1].enumerated() {
            try write(png, name: name, in: root)
            let from = Array(root.utf8) + [UInt8(ascii: "/")] + name + [0]
            let to = Array("\(root)/inbox/".utf8) + name + [0]
            let moved = from.withUnsafeBufferPointer { f in
                to.withUnsafeBufferPointer { t in
                    f.withMemoryRebound(to: CChar.self) { f in t.withMemoryRebound(to: CChar.self) { t in rename(f.baseAddress!, t.baseAddress!) } }
                }
            }
            #expect(moved == 0, "rename \(i)")
        }
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count == 3 }, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        #expect(names(in: "\(root)/inbox").isEmpty, "a file was stranded in the inbox")
        let records = WatchFixtures.records(root)
        let byName = Dictionary(uniqueKeysWithValues: records.map { ($0.input.name, $0) })
        let exact = try #require(byName[String(decoding: latin1, as: UTF8.self)])
        #expect(exact.input.nameBase64 == Data(latin1).base64EncodedString())
        #expect(exact.input.pathBase64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
            == Array("\(root)/\(exact.verdict.rawValue)/".utf8) + latin1)
        #expect(byName[String(decoding: long255, as: UTF8.self)]?.input.nameBase64 == nil)
        for name in [long255, long251, latin1] {
            let record = try #require(byName[String(decoding: name, as: UTF8.self)])
            #expect(record.verdict != .rejected, "\(record.reason)")
            #expect(names(in: "\(root)/\(record.verdict.rawValue)").contains(name), "\(record.input.path)")
        }
    }

    @Test("a dead daemon's file claimed under a short name is recovered and judged under its long name")
    func deadDaemonsLongClaimIsRecovered() throws {
        let root = WatchFixtures.temporaryRoot("longclaim")
        defer { WatchFixtures.remove(root) }
        let fm = FileManager.default
        let dead = "\(root)/processing/1-deadbeef"
        try fm.createDirectory(atPath: dead, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: dead + ".lock"))
        let long = String(repeating: "c", count: 251) + ".png"
        try Data(try WatchFixtures.png(seed: 4)).write(to: URL(fileURLWithPath: "\(dead)/7~"))
        try Data(long.utf8).write(to: URL(fileURLWithPath: "\(dead)/7.name"))
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        #expect(waitUntil(timeout: 30) { WatchFixtures.records(root).count == 1 }, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        let record = try #require(WatchFixtures.records(root).first)
        #expect(record.input.name == long)
        #expect(fm.fileExists(atPath: record.input.path ?? ""))
        #expect(!fm.fileExists(atPath: dead), "the dead daemon's folder is removed")
        #expect(names(in: "\(root)/processing").isEmpty, "no claim or name file is left: \(names(in: "\(root)/processing").map { String(decoding: $0, as: UTF8.self) })")
    }

    @Test("two --flag-only daemons on one root: one record per file, and no file moves")
    func flagOnlyDaemonsJudgeEachFileOnce() throws {
        let root = WatchFixtures.temporaryRoot("flagonly")
        defer { WatchFixtures.remove(root) }
        let first = try WatchDaemon(root: root, extra: ["--flag-only", "--batch", "8"])
        #expect(first.waitReady(), "\(first.stderr)")
        let second = try WatchDaemon(root: root, extra: ["--flag-only", "--batch", "8"])
        #expect(second.waitReady(), "\(second.stderr)")
        let count = 60
        for i in 0..<count - 1 { try WatchFixtures.drop(try WatchFixtures.png(seed: 100 + i), name: "f\(i).png", root: root) }
        try WatchFixtures.drop(Array("not an image".utf8), name: "broken.png", root: root)  // rejected once, too
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count >= count }, "\(first.stderr)")
        Thread.sleep(forTimeInterval: 3)  // time for a second judgement to show
        for d in [first, second] {
            d.signal(SIGTERM)
            d.expectCleanExit()
        }
        let records = WatchFixtures.records(root)
        #expect(records.count == count, "\(records.count) records for \(count) files")
        #expect(Set(records.map(\.input.name)).count == count)
        #expect(records.filter { $0.verdict == .rejected }.map(\.input.name) == ["broken.png"])
        #expect(names(in: "\(root)/inbox").count == count, "flag-only never moves a file")
    }

    @Test("a hard link made into the inbox is judged after the settle time, not the 60 s unclosed-file fallback")
    func hardLinkIsTakenAfterSettling() throws {
        let root = WatchFixtures.temporaryRoot("hardlink")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        try Data(try WatchFixtures.png(seed: 6)).write(to: URL(fileURLWithPath: "\(root)/source.png"))
        let started = Date()
        #expect(link("\(root)/source.png", "\(root)/inbox/linked.png") == 0)
        #expect(waitUntil(timeout: 20) { WatchFixtures.records(root).count == 1 }, "\(daemon.stderr)")
        #expect(Date().timeIntervalSince(started) < 8, "took \(Date().timeIntervalSince(started)) s")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
        #expect(FileManager.default.fileExists(atPath: "\(root)/source.png"), "the other link is left alone")
    }
}

extension WatchIntegrationTests {
    @Test("the daemon's own processing folder removed while it runs is made again; the next file is judged, not stranded")
    func removedClaimFolderIsMadeAgain() throws {
        let root = WatchFixtures.temporaryRoot("claimdir")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root)
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        let fm = FileManager.default
        let owner = try #require(try fm.contentsOfDirectory(atPath: "\(root)/processing").first { !$0.hasSuffix(".lock") })
        try fm.removeItem(atPath: "\(root)/processing/\(owner)")
        try WatchFixtures.drop(try WatchFixtures.png(seed: 8), name: "after.png", root: root)
        #expect(waitUntil(timeout: 8) { WatchFixtures.records(root).count == 1 }, "\(daemon.stderr)")
        #expect(try fm.contentsOfDirectory(atPath: "\(root)/inbox").isEmpty, "stranded in the inbox")
        let record = try #require(WatchFixtures.records(root).first)
        #expect(record.verdict != .rejected, "\(record.reason)")
        daemon.signal(SIGTERM)
        daemon.expectCleanExit()
    }
}

extension WatchIntegrationTests {
    @Test("a flag-only daemon waiting for another's round still stops at SIGTERM, judging nothing twice")
    func flagOnlyWaitStopsAtSIGTERM() throws {
        let root = WatchFixtures.temporaryRoot("flagwait")
        defer { WatchFixtures.remove(root) }
        let daemon = try WatchDaemon(root: root, extra: ["--flag-only"])
        #expect(daemon.waitReady(), "\(daemon.stderr)")
        // Another daemon's round in progress: the lock is held.
        let fd = open("\(root)/processing/flag-only.mutex", O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        try WatchFixtures.drop(try WatchFixtures.png(seed: 11), name: "waiting.png", root: root)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(WatchFixtures.records(root).isEmpty, "judged without the lock")
        daemon.signal(SIGTERM)
        #expect(daemon.waitExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(root)/inbox/waiting.png"))
    }
}
