/// Where each named parameter tensor lives in the network's flat parameter buffer.
public struct ParameterLayout: Sendable, Equatable {
    /// One named tensor.
    public struct Entry: Sendable, Equatable {
        /// `<layer>.kernel` or `<layer>.bias`.
        public var name: String
        /// The tensor's shape.
        public var shape: [Int]
        /// The first value's index in the flat buffer.
        public var offset: Int
        /// The number of values.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The tensors in storage order.
    public private(set) var entries: [Entry] = []
    /// The total number of parameters.
    public private(set) var count = 0

    mutating func append(_ spec: ParameterSpec) {
        entries.append(Entry(name: spec.name, shape: spec.shape, offset: count))
        count += spec.count
    }

    /// The entry with this name, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
