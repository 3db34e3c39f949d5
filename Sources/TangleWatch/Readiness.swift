import Synchronization

/// Whether the daemon can judge now, and if not, why: `GET /readyz` answers from it. Not ready while
/// the model, calibration and index load and until the root and its log are open and writable; not
/// ready again while judging is paused (a full disk) and once stopping.
public final class Readiness: Sendable {
    private let state = Mutex<String?>("starting")

    /// Not ready: starting.
    public init() {}

    /// Why the daemon is not ready, or nil when it is.
    public var reason: String? { state.withLock { $0 } }

    /// Whether it is ready.
    public var isReady: Bool { reason == nil }

    /// Says it is not ready, and why (in words an operator can act on).
    public func notReady(_ why: String) { state.withLock { $0 = why } }

    /// Says it is ready.
    public func ready() { state.withLock { $0 = nil } }
}
