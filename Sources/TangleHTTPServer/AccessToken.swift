import Foundation
import TangleFiles

/// The bearer token the server requires off loopback (and wherever one is given): read from a file,
/// compared in constant time. A request carries it as `Authorization: Bearer <token>`, or — so that a
/// browser can show the page — as the password of HTTP Basic authentication (any user name).
public struct AccessToken: Sendable {
    private let secret: [UInt8]

    /// The shortest token accepted, in bytes.
    public static let minimumLength = 16

    /// A token from its bytes.
    /// - Throws: ``HTTPServerError/weakToken(length:)`` when shorter than ``minimumLength``.
    public init(_ token: String) throws(HTTPServerError) {
        let bytes = Array(token.utf8)
        guard bytes.count >= Self.minimumLength else { throw .weakToken(length: bytes.count) }
        secret = bytes
    }

    /// Reads the token from a file (its first line, surrounding white space removed); never through a
    /// FIFO or device, at most 4 KiB.
    /// - Throws: ``HTTPServerError/tokenFile(path:reason:)`` or ``HTTPServerError/weakToken(length:)``.
    public init(file path: String) throws(HTTPServerError) {
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, maxBytes: 4096) } catch { throw .tokenFile(path: path, reason: "\(error)") }
        let text = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        try self.init(text.trimmingCharacters(in: .whitespaces))
    }

    /// Whether an `Authorization` header value carries the token (`Bearer <token>` or `Basic
    /// base64(<user>:<token>)`). The comparison takes the same time wherever the first difference is.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return false }
        let scheme = parts[0].lowercased()
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        var offered: [UInt8]
        switch scheme {
        case "bearer":
            offered = Array(value.utf8)
        case "basic":
            guard let decoded = Data(base64Encoded: value), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return false }
            offered = Array(decoded[decoded.index(after: colon)...])
        default:
            return false
        }
        return Self.constantTimeEqual(offered, secret)
    }

    /// Equality whose time depends on the lengths only, not on where the bytes differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
