import TangleTensor

/// Every buffer one batch needs, allocated once for a batch capacity and reused for every step.
///
/// `activations[0]` is the input batch and `activations[i]` the output of layer `i - 1`, each
/// `[capacity, size]` in NHWC order. `gradients[i]` matches `activations[i]` (index 0 exists only
/// with `inputGradient: true`). Each worker has its own scratch space and parameter gradient.
public final class Workspace: @unchecked Sendable {
    /// The largest batch the buffers hold.
    public let capacity: Int
    /// The number of parallel workers a batch is split over.
    public let workers: Int
    /// Whether gradient buffers exist.
    public let trainable: Bool
    /// The input batch followed by every layer's output.
    public let activations: [FloatBuffer]
    /// Gradients of the loss with respect to each entry of ``activations``.
    public let gradients: [FloatBuffer?]
    /// Per-worker parameter gradients; after ``Network/backward(_:count:inputGradient:)`` the
    /// first holds the sum.
    public let workerGradients: [FloatBuffer]
    /// Per-worker scratch space (im2col).
    public let scratch: [FloatBuffer]
    /// Indices into ``gradients`` that losses on hidden representations add into: they are
    /// cleared before the losses run, and the backward pass adds to them instead of overwriting.
    /// (The logits' gradient is always cleared; the loss on it writes first.)
    public var accumulatedGradients: Set<Int> = []
    /// The arithmetic of the forward pass.
    public let arithmetic: Arithmetic
    /// Per layer, what runs it instead of its own forward pass under ``arithmetic`` (an 8-bit or
    /// direct convolution, a fixed-order dense layer, made from the weights when the workspace was made).
    public let judging: [(any JudgingKernel)?]
    /// Whether an image's activations are the same floats whatever batch it is in and wherever it
    /// sits in it (always so under 8-bit arithmetic, which is judging's).
    public let batchInvariant: Bool

    /// Allocates the buffers of `network` for batches of up to `capacity` images.
    ///
    /// - Parameters:
    ///   - trainable: allocate gradient buffers (training, attacks).
    ///   - inputGradient: also a gradient buffer for the input images (attacks).
    ///   - workers: parallel workers (default: one per core).
    ///   - arithmetic: the forward pass's arithmetic; 8-bit convolutions only without gradients
    ///     (their kernels are a snapshot of the weights now: make a new workspace after changing them).
    ///   - batchInvariant: run every layer with kernels whose outputs do not depend on the batch
    ///     (convolutions computed directly, dense layers as fixed-order chains) also in float32;
    ///     implied by 8-bit arithmetic. Without gradients only, like the 8-bit kernels.
    public init(
        network: Network, capacity: Int, trainable: Bool, inputGradient: Bool = false,
        workers: Int = Parallel.workerCount, arithmetic: Arithmetic = .float32, batchInvariant: Bool = false
    ) {
        precondition(!trainable || arithmetic == .float32, "training runs in float32")
        precondition(!trainable || !batchInvariant, "batch-invariant kernels are for the forward pass only")
        let invariant = batchInvariant || arithmetic == .int8
        self.arithmetic = arithmetic
        self.batchInvariant = invariant
        judging = network.layers.indices.map { i -> (any JudgingKernel)? in
            guard invariant else { return nil }
            let layer = network.layers[i]
            if let dense = layer as? DenseLayer { return FixedOrderDense(layer: dense, parameters: network.parameters.pointer) }
            // Pooling takes no sums: the layer's own pass is invariant too; the C kernel is faster.
            if let pool = layer as? MaxPoolLayer { return pool.size == 2 ? DirectMaxPool(layer: pool) : nil }
            guard let conv = layer as? Conv2DLayer else { return nil }
            return arithmetic.runsInInt8(i, of: network)
                ? QuantizedConvolution(layer: conv, parameters: network.parameters.pointer)
                : DirectConvolution(layer: conv, parameters: network.parameters.pointer)
        }
        self.capacity = capacity
        self.workers = max(1, workers)
        self.trainable = trainable
        let sizes = [network.inputShape.size] + network.layers.map(\.outputShape.size)
        activations = sizes.map { FloatBuffer(count: $0 * capacity) }
        gradients = sizes.enumerated().map { i, s in
            trainable && (i > 0 || inputGradient) ? FloatBuffer(count: s * capacity) : nil
        }
        workerGradients = trainable ? (0..<self.workers).map { _ in FloatBuffer(count: network.parameterCount) } : []
        let scratchCount = max(network.layers.map(\.scratchCount).max() ?? 0, judging.map { ($0?.scratchBytes ?? 0) / 4 + 1 }.max() ?? 0)
        scratch = (0..<self.workers).map { _ in FloatBuffer(count: scratchCount) }
        // Each worker calls BLAS from its own thread; one BLAS thread per call keeps them apart.
        if self.workers > 1 { BLAS.setThreads(1) }
    }

    /// The input batch buffer, `[capacity, inputSize]`.
    public var input: FloatBuffer { activations[0] }

    /// The summed parameter gradient after a backward pass.
    public var parameterGradient: FloatBuffer { workerGradients[0] }

    /// The output of layer `index - 1` (`index` from ``Network/representationIndex(_:)``).
    public func activation(_ index: Int) -> FloatBuffer { activations[index] }

    /// The logits buffer (the last activation).
    public var logits: FloatBuffer { activations[activations.count - 1] }

    /// The gradient buffer for the logits.
    public var logitsGradient: FloatBuffer { gradients[gradients.count - 1]! }
}
