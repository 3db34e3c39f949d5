/// Sample images for a root's first start, so a new user sees every verdict at once. The daemon
/// only calls it; what the samples are (and the attacks that make some of them) is the lab's
/// business (`TangleSamples`).
public struct InboxSeeder: Sendable {
    /// What it writes, in words for the log (e.g. "4 test images, 2 inverted, …").
    public var description: String
    /// Writes the samples into the layout's inbox (each renamed in whole) and returns their names.
    public var seed: @Sendable (WatchLayout) throws -> [String]

    /// A seeder.
    public init(description: String, seed: @escaping @Sendable (WatchLayout) throws -> [String]) {
        self.description = description
        self.seed = seed
    }
}
