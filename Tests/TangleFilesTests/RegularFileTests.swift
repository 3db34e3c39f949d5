import Foundation
import TangleFiles
import Testing

/// Reading user-named files: never blocking, regular files only, bounded, typed errors.
@Suite struct RegularFileTests {
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "tangle-files-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func readsARegularFileWhole() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/a"))
        #expect(try RegularFile.read(dir + "/a", maxBytes: 3) == [1, 2, 3])
        #expect(try RegularFile.readPrefix(dir + "/a", count: 2) == [1, 2])
        #expect(try RegularFile.readPrefix(dir + "/a", count: 10) == [1, 2, 3])
        _ = FileManager.default.createFile(atPath: dir + "/empty", contents: Data())
        #expect(try RegularFile.read(dir + "/empty", maxBytes: 3) == [])
    }

    @Test func refusesBeforeReadingWhenTooLarge() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/a"))
        let e = try #require(throws: FileReadError.self) { try RegularFile.read(dir + "/a", maxBytes: 2) }
        #expect(e.kind == .tooLarge && e.description.contains("more than the limit of 2"))
    }

    /// A FIFO with no writer would block a plain open forever: it is refused at once.
    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo", 0o644) == 0)
        let start = Date()
        let e = try #require(throws: FileReadError.self) { try RegularFile.read(dir + "/fifo", maxBytes: 100) }
        #expect(e.kind == .notRegular && e.reason.contains("FIFO"), "\(e)")
        #expect(throws: FileReadError.self) { try RegularFile.readPrefix(dir + "/fifo", count: 4) }
        #expect(Date().timeIntervalSince(start) < 1)
        let d = try #require(throws: FileReadError.self) { try RegularFile.read(dir, maxBytes: 100) }
        #expect(d.kind == .notRegular && d.reason.contains("directory"))
        let c = try #require(throws: FileReadError.self) { try RegularFile.read("/dev/zero", maxBytes: 100) }
        #expect(c.kind == .notRegular && c.reason.contains("character device"))
    }

    /// `/proc/self/mem` is a "regular" file of size 0 whose read fails with EIO: a typed error.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/mem")))
    func aFailingReadIsATypedError() throws {
        let e = try #require(throws: FileReadError.self) { try RegularFile.read("/proc/self/mem", maxBytes: 100) }
        #expect(e.kind == .unreadable && e.reason.contains("reading failed"), "\(e)")
        #expect(throws: FileReadError.self) { try RegularFile.readPrefix("/proc/self/mem", count: 4) }
        // A pseudo-file announcing 0 bytes but holding some is noticed, not read as empty.
        #expect(try #require(throws: FileReadError.self) { try RegularFile.read("/proc/self/status", maxBytes: 100) }.kind == .changed)
    }

    @Test func linksAreFollowedOnlyWhenAsked() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([7]).write(to: URL(fileURLWithPath: dir + "/target"))
        #expect(symlink(dir + "/target", dir + "/link") == 0)
        #expect(try RegularFile.read(dir + "/link", maxBytes: 1) == [7])
        let e = try #require(throws: FileReadError.self) { try RegularFile.read(dir + "/link", maxBytes: 1, followSymlinks: false) }
        #expect(e.kind == .symbolicLink)
        #expect(try #require(throws: FileReadError.self) { try RegularFile.read(dir + "/none", maxBytes: 1) }.kind == .missing)
    }
}
