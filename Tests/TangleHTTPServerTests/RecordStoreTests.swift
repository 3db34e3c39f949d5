import Foundation
import Testing

@testable import TangleHTTPServer

@Suite struct RecordStoreTests {
    static func line(_ i: Int, verdict: String, time: String, score: Double? = 1.5) -> String {
        let id = String(format: "00000000-0000-4000-8000-%012d", i)
        let scores = score.map { #","scores":{"verdict_score":\#($0)}"# } ?? ""
        return #"{"id":"\#(id)","time":"\#(time)","verdict":"\#(verdict)","reason":"r","input":{"name":"f\#(i).png","path":"w/\#(verdict)/f\#(i).png","sha256":"s\#(i)"}\#(scores)}"#
    }

    static func root() throws -> String {
        let root = NSTemporaryDirectory() + "tangle-records-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    static func append(_ lines: [String], to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        try h.close()
    }

    @Test("Follows the log: newest first, by verdict, since a time, a limit; counts per verdict and hour; damaged lines counted")
    func follows() throws {
        let root = try Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = "\(root)/verdicts.jsonl"
        try Self.append(
            [
                Self.line(1, verdict: "in-distribution", time: "2026-12-02T09:59:00.000Z"), Self.line(2, verdict: "outlier", time: "2026-12-02T10:00:01.000Z"),
                "not json", Self.line(3, verdict: "rejected", time: "2026-12-02T10:00:02.000Z", score: nil),
            ], to: log)
        let store = RecordStore(root: root)
        #expect(store.records().map(\.verdict) == ["rejected", "outlier", "in-distribution"])
        #expect(store.records(verdict: "outlier").count == 1)
        #expect(store.records(since: "2026-12-02T10:00:01.000Z").map(\.verdict) == ["rejected"])
        #expect(store.records(limit: 1).count == 1)
        let s = store.summary()
        #expect(s.counts == ["in-distribution": 1, "outlier": 1, "rejected": 1])
        #expect(s.hourly == ["2026-12-02T09": ["in-distribution": 1], "2026-12-02T10": ["outlier": 1, "rejected": 1]])
        #expect(s.damagedLines == 1)
        #expect(s.scores.count == 2)
        #expect(s.since == "2026-12-02T09:59:00.000Z")
        // A half-written line waits for its end.
        let h = try #require(FileHandle(forWritingAtPath: log))
        h.seekToEndOfFile()
        let next = Self.line(4, verdict: "adversarial", time: "2026-12-02T10:00:03.000Z")
        h.write(Data(next.prefix(20).utf8))
        store.refresh(force: true)
        #expect(store.records().count == 3)
        h.write(Data((next.dropFirst(20) + "\n").utf8))
        try h.close()
        store.refresh(force: true)
        #expect(store.records().first?.verdict == "adversarial")
        #expect(store.entry(id: "00000000-0000-4000-8000-000000000004")?.path == Array("w/adversarial/f4.png".utf8))
    }

    @Test("A rotated log is read to its end, then the new one")
    func rotation() throws {
        let root = try Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = "\(root)/verdicts.jsonl"
        try Self.append([Self.line(1, verdict: "outlier", time: "2026-12-02T10:00:00.000Z")], to: log)
        let store = RecordStore(root: root)
        #expect(store.records().count == 1)
        try Self.append([Self.line(2, verdict: "outlier", time: "2026-12-02T10:00:01.000Z")], to: log)
        try FileManager.default.moveItem(atPath: log, toPath: "\(root)/verdicts-20261202T100001Z.jsonl")
        try Self.append([Self.line(3, verdict: "outlier", time: "2026-12-02T10:00:02.000Z")], to: log)
        store.refresh(force: true)
        #expect(store.records().map { String($0.id.suffix(1)) } == ["3", "2", "1"])
    }

    @Test("Keeps the last records within its capacity; a long log is read from its tail; a linked log is not read")
    func bounds() throws {
        let root = try Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.append((1...50).map { Self.line($0, verdict: "outlier", time: String(format: "2026-12-02T10:00:%02d.000Z", $0 % 60)) }, to: "\(root)/verdicts.jsonl")
        let store = RecordStore(root: root, capacity: 10)
        #expect(store.records(limit: 1000).count == 10)
        #expect(store.records(limit: 1000).first?.id.hasSuffix("050") == true)
        #expect(store.summary().counts["outlier"] == 50)
        let tail = RecordStore(root: root, tailBytes: 1000)
        let n = tail.summary().counts["outlier"] ?? 0
        #expect(n > 0 && n < 10)
        // A log that is a link to a file elsewhere is not followed.
        let other = try Self.root()
        defer { try? FileManager.default.removeItem(atPath: other) }
        #expect(symlink("\(root)/verdicts.jsonl", "\(other)/verdicts.jsonl") == 0)
        #expect(RecordStore(root: other).records().isEmpty)
    }
}
