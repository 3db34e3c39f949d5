/// A fixed-size, 64-byte-aligned block of `Float`s, allocated once and zeroed.
///
/// The numeric core keeps activations, gradients and scratch space in these so that a training
/// step allocates nothing. Reference semantics: copies share the memory.
public final class FloatBuffer: @unchecked Sendable {
    /// The number of values.
    public let count: Int
    /// The first value. Valid for the buffer's lifetime.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` zeroed values.
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    /// Allocates `count` values and copies them from `source`: no zeroing first (for large
    /// per-batch copies, where the zero fill would cost as much as the copy).
    public init(copying source: UnsafePointer<Float>, count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(from: source, count: count)
        if count == 0 { pointer.initialize(to: 0) }
    }

    /// Allocates a buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Sets every value to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// A copy of the values as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The pointer, wrapped for use inside parallel workers.
    public var shared: SharedPointer<Float> { SharedPointer(pointer) }

    /// Reads or writes value `i`.
    @inlinable public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
