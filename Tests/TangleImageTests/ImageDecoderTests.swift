import Foundation
import Testing
import TangleImage

@Suite struct ImageDecoderTests {
    let decoder = ImageDecoder()

    @Test func formatComesFromMagicBytesNotTheName() throws {
        let png = Fixtures.png8([1, 2, 3, 4], width: 2, height: 2, format: 0)
        let path = Fixtures.temporaryPath(".jpg")
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        let image = try decoder.decode(contentsOf: path)
        #expect(image.format == .png && image.samples == [1, 2, 3, 4])
        #expect(try decoder.decode(Data(png)).format == .png)
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
    }

    @Test func emptyNotAnImageAndUnsupported() throws {
        #expect(try #require(throws: ImageError.self) { _ = try decoder.decode([UInt8]()) }.kind == .empty)
        let text = try #require(throws: ImageError.self) { _ = try decoder.decode(Array("hello, world".utf8)) }
        #expect(text.kind == .notAnImage && text.kind.rawValue == "not-an-image")
        #expect(text.description.contains("only PNG and JPEG"))
        let gif = try #require(throws: ImageError.self) { _ = try decoder.decode(Array("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8)) }
        #expect(gif.kind == .unsupported && gif.reason.contains("GIF"))
    }

    @Test func fileSizeLimit() throws {
        let png = Fixtures.png8([UInt8](repeating: 7, count: 100), width: 10, height: 10, format: 0)
        let small = ImageDecoder(limits: DecodeLimits(maxFileBytes: png.count - 1))
        #expect(try #require(throws: ImageError.self) { _ = try small.decode(png) }.kind == .fileTooLarge)
        let path = Fixtures.temporaryPath(".png")
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        let error = try #require(throws: ImageError.self) { _ = try small.decode(contentsOf: path) }
        #expect(error.kind == .fileTooLarge && error.path == path)
        #expect(error.kind.rawValue == "file-too-large")
    }

    @Test func pathsThatAreNotRegularFiles() throws {
        let missing = try #require(throws: ImageError.self) { _ = try decoder.decode(contentsOf: "/nonexistent/x.png") }
        #expect(missing.kind == .unreadable && missing.path == "/nonexistent/x.png")
        #expect(try #require(throws: ImageError.self) { _ = try decoder.decode(contentsOf: NSTemporaryDirectory()) }.kind == .unreadable)
        // A FIFO with no writer must not block.
        let fifo = Fixtures.temporaryPath(".png")
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        #expect(try #require(throws: ImageError.self) { _ = try decoder.decode(contentsOf: fifo) }.kind == .unreadable)
        let empty = Fixtures.temporaryPath(".png")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        defer { unlink(empty) }
        #expect(try #require(throws: ImageError.self) { _ = try decoder.decode(contentsOf: empty) }.kind == .empty)
    }

    @Test func symlinksCanBeRefused() throws {
        let target = Fixtures.temporaryPath(".png")
        let link = Fixtures.temporaryPath(".png")
        _ = FileManager.default.createFile(atPath: target, contents: Data(Fixtures.png8([1], width: 1, height: 1, format: 0)))
        #expect(symlink(target, link) == 0)
        defer { unlink(target); unlink(link) }
        #expect(try decoder.readFile(link).count > 0)
        let error = try #require(throws: ImageError.self) { try decoder.readFile(link, followSymlinks: false) }
        #expect(error.kind == .unreadable && error.reason.contains("symbolic link"))
    }

    @Test func everyKindHasAdvice() {
        for kind in ImageError.Kind.allCases {
            let e = ImageError(path: "/in/x", reason: "r", kind: kind)
            #expect(e.description.hasPrefix("/in/x: r: ") && !e.advice.isEmpty)
        }
        #expect(ImageError(path: "", reason: "r", kind: .empty).description.hasPrefix("r: "))
    }
}
