import Foundation

/// How the daemon's HTTP server listens and what it bounds.
public struct HTTPServerOptions: Sendable {
    /// The address bound (loopback by default).
    public var address: String
    /// The port (0 picks a free one; the log says which).
    public var port: Int
    /// The token required (always off loopback).
    public var token: AccessToken?
    /// The largest image body accepted (`413` above).
    public var maxBodyBytes: Int
    /// Connections open at once; more wait in the listen backlog.
    public var maxConnections: Int
    /// Seconds a connection may sit idle before it is closed.
    public var idleTimeoutSeconds: Int
    /// Seconds a request body may take to arrive (`408` after).
    public var bodyTimeoutSeconds: Double
    /// Seconds a posted image may wait for its verdict (`503` after: e.g. while the disk is full).
    public var verdictTimeoutSeconds: Double

    /// Creates options.
    public init(
        address: String = "127.0.0.1", port: Int, token: AccessToken? = nil, maxBodyBytes: Int = 16 << 20, maxConnections: Int = 512,
        idleTimeoutSeconds: Int = 60, bodyTimeoutSeconds: Double = 30, verdictTimeoutSeconds: Double = 30
    ) {
        self.address = address
        self.port = port
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.bodyTimeoutSeconds = bodyTimeoutSeconds
        self.verdictTimeoutSeconds = verdictTimeoutSeconds
    }

    /// Whether `address` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ address: String) -> Bool {
        if address == "localhost" || address == "::1" || address == "[::1]" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        return false
    }

    /// Checks the address and the token rule.
    /// - Throws: ``HTTPServerError/badAddress(_:)`` or ``HTTPServerError/tokenRequired(address:)``.
    public func validate() throws(HTTPServerError) {
        var v4 = in_addr()
        var v6 = in6_addr()
        guard address == "localhost" || inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1 else {
            throw .badAddress(address)
        }
        if token == nil && !Self.isLoopback(address) { throw .tokenRequired(address: address) }
    }
}
