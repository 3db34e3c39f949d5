import Foundation
import Testing

@testable import TangleHTTPServer

@Suite struct JudgedImagesTests {
    @Test("Only lowercase UUIDs are looked up")
    func recordIDs() {
        #expect(JudgedImages.isRecordID("0f9b4c2e-1a2b-4c3d-8e9f-0123456789ab"))
        for bad in ["", "..", "0F9B4C2E-1A2B-4C3D-8E9F-0123456789AB", "0f9b4c2e-1a2b-4c3d-8e9f-0123456789a", "0f9b4c2e/1a2b-4c3d-8e9f-0123456789ab",
            "../../../../../../../../etc/passwd0000"]
        {
            #expect(!JudgedImages.isRecordID(bad), "\(bad)")
        }
    }

    @Test("A path is served from its last two components, and only from the root's judged folders or inbox")
    func locations() {
        func loc(_ p: String) -> String? { JudgedImages.location(of: Array(p.utf8)).map { "\($0.folder)|\(String(decoding: $0.name, as: UTF8.self))" } }
        #expect(loc("watch/in-distribution/a.png") == "in-distribution|a.png")
        #expect(loc("/srv/w/rejected/b c.jpg") == "rejected|b c.jpg")
        #expect(loc("inbox/x.png") == "inbox|x.png")
        #expect(loc("/etc/passwd") == nil)
        #expect(loc("watch/processing/1-a.png") == nil)
        #expect(loc("watch/outlier/..") == nil)
        #expect(loc("watch/outlier/.") == nil)
        #expect(loc("a.png") == nil)
        #expect(loc("watch/in-distribution/../../etc/passwd") == nil)
    }

    @Test("Only PNG and JPEG bytes are served, by their magic bytes")
    func types() {
        #expect(JudgedImages.typed([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1])?.mediaType == "image/png")
        #expect(JudgedImages.typed([0xFF, 0xD8, 0xFF, 0xE0])?.mediaType == "image/jpeg")
        #expect(JudgedImages.typed(Array("<svg onload=alert(1)>".utf8)) == nil)
        #expect(JudgedImages.typed([]) == nil)
    }

    @Test("Posted images are kept within their count and byte bounds, oldest dropped first")
    func postedBounds() {
        let images = JudgedImages(root: "/nonexistent", postedCount: 3, postedBytes: 400)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func entry(_ id: String) -> RecordStore.Entry { .init(id: id, time: "", verdict: "outlier", score: 1, line: "", path: nil, sha256: "") }
        for i in 0..<4 { images.remember(id: "id\(i)", bytes: png + [UInt8](repeating: UInt8(i), count: 50)) }
        #expect(images.image(of: entry("id0")) == nil)
        #expect(images.image(of: entry("id3"))?.bytes.last == 3)
        images.remember(id: "huge", bytes: png + [UInt8](repeating: 0, count: 200))  // over a quarter of the bound
        #expect(images.image(of: entry("huge")) == nil)
    }

    @Test("Names posted for records: 1 to 255 bytes, no slash, no control characters")
    func names() {
        #expect(HTTPSurface.isAcceptableName("upload"))
        #expect(HTTPSurface.isAcceptableName("<img src=x onerror=alert(1)>.png"))
        #expect(HTTPSurface.isAcceptableName("ünïcode.png"))
        #expect(!HTTPSurface.isAcceptableName(""))
        #expect(!HTTPSurface.isAcceptableName("a/b.png"))
        #expect(!HTTPSurface.isAcceptableName("a\nb.png"))
        #expect(!HTTPSurface.isAcceptableName(String(repeating: "a", count: 256)))
    }
}
