/// Why the HTTP server cannot start, in words that say what to do.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A non-loopback address without a token.
    case tokenRequired(address: String)
    /// The token file cannot be read.
    case tokenFile(path: String, reason: String)
    /// The token is too short to resist guessing.
    case weakToken(length: Int)
    /// The address or port cannot be bound.
    case bind(address: String, port: Int, reason: String)
    /// The address is not an IP address or `localhost`.
    case badAddress(String)

    public var description: String {
        switch self {
        case .tokenRequired(let address):
            "refusing to serve HTTP on \(address), which is not a loopback address, without a token: write a random token to a file "
                + "(e.g. `head -c 32 /dev/urandom | base64 > token; chmod 600 token`) and pass --http-token-file token"
        case .tokenFile(let path, let reason): "cannot read the token file \(path): \(reason)"
        case .weakToken(let length):
            "the HTTP token has \(length) bytes; use at least \(AccessToken.minimumLength) random ones (e.g. `head -c 32 /dev/urandom | base64`)"
        case .bind(let address, let port, let reason):
            "cannot serve HTTP on \(address):\(port): \(reason); pick another --http-port (0 picks a free one) or stop what holds it"
        case .badAddress(let a): "--http-address \(a) is not an IPv4 or IPv6 address: give one such as 127.0.0.1, ::1 or 0.0.0.0"
        }
    }
}
