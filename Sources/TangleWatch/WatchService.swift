import Foundation
import ServiceLifecycle

/// The watcher as a service of a `ServiceGroup`: `run()` starts the worker on its own thread and waits
/// for it; a graceful shutdown (SIGTERM, SIGINT) or a cancellation sets the stop flag, so the worker
/// finishes the batch in hand, flushes the log, and returns.
///
/// ```swift
/// let group = ServiceGroup(services: [WatchService(watcher: w, stop: stop)],
///                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public struct WatchService: Service {
    /// The worker.
    public let watcher: Watcher
    /// Its stop flag.
    public let stop: StopFlag

    /// Wraps a watcher and its stop flag.
    public init(watcher: Watcher, stop: StopFlag) {
        self.watcher = watcher
        self.stop = stop
    }

    /// Runs the worker thread until it stops.
    public func run() async throws {
        let watcher = self.watcher
        let stop = self.stop
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try watcher.run()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "tangle-watch"
                thread.start()
            }
        } onCancelOrGracefulShutdown: {
            stop.set()
        }
    }
}
