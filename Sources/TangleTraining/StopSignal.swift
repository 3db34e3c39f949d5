import Synchronization

#if canImport(Glibc)
import Glibc
#endif

private let stopRequested = Atomic<Bool>(false)

/// Ctrl-C (SIGINT) and SIGTERM as a polite request to stop at the next safe point.
///
/// A second Ctrl-C exits at once (status 130).
public enum StopSignal {
    /// Installs the handlers.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            if stopRequested.exchange(true, ordering: .relaxed) {
                _exit(128 + sig)
            }
            let msg = "\nstopping after this step (Ctrl-C again to quit at once)\n"
            _ = msg.withCString { write(2, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// Requests a stop (as the signal does); for tests and embedding.
    public static func request() { stopRequested.store(true, ordering: .relaxed) }

    /// Clears a request.
    public static func reset() { stopRequested.store(false, ordering: .relaxed) }
}
