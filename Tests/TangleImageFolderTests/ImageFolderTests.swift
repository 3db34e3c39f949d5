import Foundation
import TangleData
import TangleImage
import TangleImageFolder
import Testing

@Suite struct ImageFolderTests {
    /// A 28x28 grey image with a dark border.
    static let dark28: [UInt8] = (0..<(28 * 28)).map { i in (6..<22).contains(i % 28) && (6..<22).contains(i / 28) ? 200 : 3 }

    /// root/{bag,coat,empty}/... with every kind of entry the loader must skip.
    static func makeFolder() throws -> String {
        let root = NSTemporaryDirectory() + "tangle-folder-\(UUID().uuidString)"
        let fm = FileManager.default
        for dir in ["bag/nested", "coat", "empty", ".git"] { try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true) }
        func write(_ rel: String, _ bytes: [UInt8]) { _ = fm.createFile(atPath: root + "/" + rel, contents: Data(bytes)) }
        let png = try PNG.encode(dark28, width: 28, height: 28, layout: .gray)
        write("bag/a.png", png)
        let rgb = (0..<(40 * 20 * 3)).map { UInt8(255 - $0 % 7) }  // light: inverted by .auto
        write("bag/b.jpg", try JPEG.encode(rgb, width: 40, height: 20, channels: 3))
        write("bag/nested/c.PNG", png)
        write("bag/notes.txt", Array("hello".utf8))
        write("bag/.hidden.png", png)
        write("bag/broken.png", Array(png.prefix(50)))
        write("coat/d.jpeg", png)  // PNG bytes under a JPEG name: decoded by content
        write(".git/config", Array("x".utf8))
        write("readme.md", Array("# data".utf8))
        #expect(symlink(root + "/bag/a.png", root + "/bag/link.png") == 0)
        #expect(symlink(root + "/bag", root + "/linkdir") == 0)
        return root
    }

    @Test func loadsClassesAndReportsSkippedFiles() throws {
        let root = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let load = try ImageFolder.load(root, preprocessor: Preprocessor(rows: 28, columns: 28))
        let images = load.images
        #expect(images.classNames == ["bag", "coat", "empty"])
        #expect(images.rows == 28 && images.columns == 28)
        #expect(load.classCounts.map(\.count) == [3, 1, 0])
        #expect(images.labels == [0, 0, 0, 1])
        // a.png passes through unchanged.
        #expect(Array(images.pixels[0..<784]) == Self.dark28)
        #expect(load.invertedCount == 1)
        let kinds = Dictionary(load.skipped.map { ($0.path, $0.kind) }, uniquingKeysWith: { a, _ in a })
        #expect(kinds[".git"] == "hidden")
        #expect(kinds["bag/.hidden.png"] == "hidden")
        #expect(kinds["readme.md"] == "outside-class")
        #expect(kinds["linkdir"] == "symlink")
        #expect(kinds["bag/link.png"] == "symlink")
        #expect(kinds["bag/notes.txt"] == "extension")
        #expect(kinds["bag/broken.png"] == "truncated" || kinds["bag/broken.png"] == "corrupt")
        #expect(load.skipped.count == 7)
        #expect(load.digest.files.map(\.path) == ["bag/a.png", "bag/b.jpg", "bag/broken.png", "bag/nested/c.PNG", "coat/d.jpeg"])
    }

    @Test func digestMatchesTheLoadAndChangesWithContent() throws {
        let root = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let load = try ImageFolder.load(root, preprocessor: Preprocessor(rows: 28, columns: 28))
        let digest = try ImageFolder.digest(root)
        #expect(digest == load.digest)
        let a = try #require(digest.files.first)
        let size = try FileManager.default.attributesOfItem(atPath: root + "/bag/a.png")[.size] as? Int
        #expect(a.sha256.count == 64 && a.bytes == size)
        _ = FileManager.default.createFile(atPath: root + "/coat/d.jpeg", contents: Data([1, 2, 3]))
        #expect(try ImageFolder.digest(root).sha256 != digest.sha256)
    }

    @Test func folderErrors() throws {
        #expect(throws: ImageFolderError.self) { _ = try ImageFolder.load("/nonexistent/folder", preprocessor: Preprocessor(rows: 28, columns: 28)) }
        let root = NSTemporaryDirectory() + "tangle-folder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/only", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let none = try #require(throws: ImageFolderError.self) { _ = try ImageFolder.load(root, preprocessor: Preprocessor(rows: 28, columns: 28)) }
        #expect(none == .noImages(root, skipped: 0))
        try FileManager.default.removeItem(atPath: root + "/only")
        let empty = try #require(throws: ImageFolderError.self) { _ = try ImageFolder.load(root, preprocessor: Preprocessor(rows: 28, columns: 28)) }
        #expect(empty == .noClasses(root))
        #expect(empty.description.contains("DIR/<class name>/"))
    }
}
