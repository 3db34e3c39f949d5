import Foundation
import Testing
@testable import TangleDigest

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(of: Array(input.utf8)) == digest)
    }

    @Test func streamingEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        var h = SHA256()
        h.update(bytes[0..<7])
        h.update(bytes[7..<500])
        h.update(bytes[500...])
        #expect(h.hexDigest() == SHA256.hex(of: bytes))
    }

    @Test func millionAs() {
        var h = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func filesAndMissingFiles() throws {
        let path = NSTemporaryDirectory() + "tangle-sha-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data("abc".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SHA256.hex(ofFileAt: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: DigestError.cannotOpen(path + ".missing")) { try SHA256.hex(ofFileAt: path + ".missing") }
    }
}
