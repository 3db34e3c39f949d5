/// A dense tensor of `Float`: a shape and one contiguous, row-major storage array.
///
/// Layout: the last dimension varies fastest. Images are stored NHWC — `[batch, height, width,
/// channels]` — so one image is one contiguous run of `height * width * channels` values, and a
/// batch of flattened representations is a `[batch, features]` matrix that BLAS reads directly.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Creates a tensor from a shape and its row-major values.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(scalars.count == shape.reduce(1, *), "shape \(shape) needs \(shape.reduce(1, *)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// The number of values.
    public var count: Int { scalars.count }

    /// The number of rows when the tensor is read as a matrix `[shape[0], rest]`.
    public var rows: Int { shape.first ?? 1 }

    /// The number of values in one row (`count / rows`).
    public var rowWidth: Int { rows == 0 ? 0 : count / rows }

    /// Returns the same values with a new shape of the same total size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Row `i` of the tensor read as a `[rows, rowWidth]` matrix.
    public func row(_ i: Int) -> ArraySlice<Float> {
        scalars[(i * rowWidth)..<((i + 1) * rowWidth)]
    }
}
