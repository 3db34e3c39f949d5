import Synchronization

/// A flag set once, from any thread, to ask the worker to stop after the batch in hand.
public final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Asks to stop.
    public func set() { value.store(true, ordering: .releasing) }

    /// Whether a stop was asked for.
    public var isSet: Bool { value.load(ordering: .acquiring) }
}
