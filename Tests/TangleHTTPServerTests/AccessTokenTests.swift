import Foundation
import Testing

@testable import TangleHTTPServer

@Suite struct AccessTokenTests {
    let token = "correct-horse-battery-staple"

    @Test("Bearer and Basic (any user) carry the token; anything else is refused")
    func schemes() throws {
        let t = try AccessToken(token)
        #expect(t.accepts(authorization: "Bearer \(token)"))
        #expect(t.accepts(authorization: "bearer \(token)"))
        #expect(t.accepts(authorization: "Basic " + Data("anyone:\(token)".utf8).base64EncodedString()))
        #expect(!t.accepts(authorization: nil))
        #expect(!t.accepts(authorization: "Bearer"))
        #expect(!t.accepts(authorization: "Bearer \(token)x"))
        #expect(!t.accepts(authorization: "Bearer \(token.dropLast())"))
        #expect(!t.accepts(authorization: "Token \(token)"))
        #expect(!t.accepts(authorization: "Basic " + Data("\(token)".utf8).base64EncodedString()))  // no colon
        #expect(!t.accepts(authorization: "Basic !!!"))
    }

    @Test("Equality looks at every byte and at the lengths")
    func constantTimeEqual() {
        #expect(AccessToken.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AccessToken.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AccessToken.constantTimeEqual(Array("abc".utf8), Array("abc\0".utf8)))
        #expect(!AccessToken.constantTimeEqual([], Array("a".utf8)))
        #expect(AccessToken.constantTimeEqual([], []))
    }

    @Test("A short token is refused; a token file's first line is read, white space trimmed")
    func loading() throws {
        #expect(throws: HTTPServerError.weakToken(length: 5)) { try AccessToken("short") }
        let path = NSTemporaryDirectory() + "tangle-token-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("  \(token)  \nsecond line\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try AccessToken(file: path).accepts(authorization: "Bearer \(token)"))
        #expect(throws: HTTPServerError.self) { try AccessToken(file: path + "-missing") }
        #expect(throws: HTTPServerError.self) { try AccessToken(file: "/dev/zero") }
    }

    @Test("Loopback addresses need no token; others do; nonsense is refused")
    func addresses() throws {
        for a in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] { #expect(HTTPServerOptions.isLoopback(a), "\(a)") }
        for a in ["0.0.0.0", "10.0.0.1", "::", "128.0.0.1"] { #expect(!HTTPServerOptions.isLoopback(a), "\(a)") }
        #expect(throws: HTTPServerError.tokenRequired(address: "0.0.0.0")) { try HTTPServerOptions(address: "0.0.0.0", port: 0).validate() }
        #expect(throws: HTTPServerError.badAddress("example.com")) { try HTTPServerOptions(address: "example.com", port: 0).validate() }
        try HTTPServerOptions(address: "0.0.0.0", port: 0, token: AccessToken(token)).validate()
        try HTTPServerOptions(address: "::1", port: 0).validate()
        #expect(HTTPServerError.tokenRequired(address: "0.0.0.0").description.contains("--http-token-file"))
    }
}
