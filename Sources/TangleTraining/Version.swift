import Foundation

/// Tangle's version, recorded in every model card.
public let tangleVersion = "0.1.0"

/// The current time in RFC 3339 (UTC, seconds).
public func rfc3339Now() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date())
}
