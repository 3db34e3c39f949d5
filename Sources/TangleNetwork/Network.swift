import TangleTensor

/// A network compiled from an ``Architecture``: its layers, their shapes, and one flat buffer of
/// parameters.
///
/// The network is a plain object owned by one task at a time (training or judging). Its forward
/// and backward passes split a batch over ``Parallel/workerCount`` workers, each running every
/// layer on its own slice of the batch with single-threaded BLAS, and then add the workers'
/// parameter gradients together.
public final class Network: @unchecked Sendable {
    /// The architecture the network was built from.
    public let architecture: Architecture
    /// The layers, input to output.
    public let layers: [any Layer]
    /// Where each named parameter tensor lives in ``parameters``.
    public let layout: ParameterLayout
    /// All parameters, contiguous, in ``layout`` order.
    public let parameters: FloatBuffer

    /// Builds the network and initialises its weights from `seed` (biases at zero).
    ///
    /// - Throws: ``NetworkError`` when the architecture is inconsistent.
    public init(architecture: Architecture, seed: UInt64) throws {
        guard !architecture.layers.isEmpty else { throw NetworkError.invalidArchitecture("it has no layers") }
        var names = Set<String>()
        for l in architecture.layers where !names.insert(l.name).inserted || l.name == Network.inputRepresentation {
            throw NetworkError.invalidArchitecture("the name '\(l.name)' is used twice or is reserved for the input")
        }
        guard architecture.input.size > 0 else { throw NetworkError.invalidArchitecture("the input shape is empty") }
        var layers: [any Layer] = []
        var layout = ParameterLayout()
        var shape = architecture.input
        for spec in architecture.layers {
            let layer: any Layer
            switch spec.kind {
            case .conv2d: layer = try Conv2DLayer(spec: spec, input: shape, parameterOffset: layout.count)
            case .maxpool: layer = try MaxPoolLayer(spec: spec, input: shape, parameterOffset: layout.count)
            case .dense: layer = try DenseLayer(spec: spec, input: shape, parameterOffset: layout.count)
            }
            for p in layer.parameterSpecs { layout.append(p) }
            layers.append(layer)
            shape = layer.outputShape
        }
        self.architecture = architecture
        self.layers = layers
        self.layout = layout
        parameters = FloatBuffer(count: layout.count)
        initialize(seed: seed)
    }

    /// Re-initialises every parameter from `seed`: kernels by the architecture's rule, biases at zero.
    public func initialize(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for layer in layers {
            var offset = layer.parameterOffset
            for p in layer.parameterSpecs {
                let dst = parameters.pointer + offset
                if let fans = p.fans {
                    switch architecture.initialization {
                    case .glorotUniform:
                        let limit = (6.0 / Float(fans.in + fans.out)).squareRoot()
                        for i in 0..<p.count { dst[i] = rng.nextFloat(in: -limit, limit) }
                    case .heNormal:
                        let std = (2.0 / Float(fans.in)).squareRoot()
                        for i in 0..<p.count { dst[i] = std * rng.nextNormal() }
                    }
                } else {
                    dst.update(repeating: 0, count: p.count)
                }
                offset += p.count
            }
        }
    }

    /// The number of parameters.
    public var parameterCount: Int { layout.count }

    /// The number of classes (the last layer's width).
    public var classCount: Int { layers.last!.outputShape.size }

    /// The shape of one input image.
    public var inputShape: Shape3 { architecture.input }

    /// The names of every layer's output representation, input to output.
    public var representationNames: [String] { layers.map(\.spec.name) }

    /// The name of the input images as a representation (index 0 of a workspace's activations),
    /// so pixel space can be searched like any layer.
    public static let inputRepresentation = "input"

    /// The index into a workspace's activations of the representation called `name`: 0 for
    /// ``inputRepresentation``, `i + 1` for the output of layer `i`.
    /// - Throws: ``NetworkError/unknownRepresentation(_:_:)``.
    public func representationIndex(_ name: String) throws -> Int {
        if name == Network.inputRepresentation { return 0 }
        guard let i = layers.firstIndex(where: { $0.spec.name == name }) else {
            throw NetworkError.unknownRepresentation(name, [Network.inputRepresentation] + representationNames)
        }
        return i + 1
    }

    /// The width of the representation called `name`.
    public func representationSize(_ name: String) throws -> Int {
        let index = try representationIndex(name)
        return index == 0 ? inputShape.size : layers[index - 1].outputShape.size
    }

    /// Floating-point operations for one image: forward only, and a full training step
    /// (forward + backward, without the input gradient of the first layer).
    public var flopsPerImage: (forward: Double, trainingStep: Double) {
        var f = 0.0, b = 0.0
        for (i, l) in layers.enumerated() {
            let lf = l.flopsPerImage
            f += lf.forward
            // The first layer skips its input gradient: half its backward cost.
            b += i == 0 ? lf.backward / 2 : lf.backward
        }
        return (f, f + b)
    }

    /// Copies all parameters from another network of the same architecture.
    public func copyParameters(from other: Network) {
        precondition(other.parameterCount == parameterCount, "architectures differ")
        parameters.pointer.update(from: other.parameters.pointer, count: parameterCount)
    }

    /// Images that judging's leading layers take at a time (see ``forward(_:count:zeroGradients:)``).
    public static let judgingGroup = 4

    /// Runs the forward pass over the first `count` images in `workspace.input`, in the
    /// workspace's ``Workspace/arithmetic``.
    ///
    /// After it, `workspace.activation(i)` holds every layer's output. With `zeroGradients` the
    /// workers also clear their slices of the gradient buffers that losses add into (the logits',
    /// and those in `workspace.accumulatedGradients`), ready for the losses and
    /// ``backward(_:count:inputGradient:)``.
    public func forward(_ workspace: Workspace, count: Int, zeroGradients: Bool = false) {
        precondition(count <= workspace.capacity, "batch of \(count) exceeds the workspace's \(workspace.capacity)")
        let ranges = Parallel.split(count, into: workspace.workers)
        let params = SharedPointer(parameters.pointer)
        let layers = self.layers, inputSize = inputShape.size
        Parallel.run(workspace.workers) { w in
            let r = ranges[w]
            guard !r.isEmpty else { return }
            let scratch = workspace.scratch[w].pointer
            // Judging runs the leading layers that have judging kernels (the convolutions and their
            // pooling) a few images at a time through all of them, so each image's large early
            // activations are still in cache for the next layer; the rest layer by layer.
            let leading = workspace.judging.prefix { $0?.runsImageByImage == true }.count
            func run(_ i: Int, _ first: Int, _ count: Int) {
                let layer = layers[i]
                let input = workspace.activations[i].pointer + first * layer.inputShape.size
                let output = workspace.activations[i + 1].pointer + first * layer.outputShape.size
                if let q = workspace.judging[i] {
                    q.forward(input: input, output: output, count: count, scratch: UnsafeMutableRawPointer(scratch))
                } else {
                    layer.forward(input: input, output: output, count: count, parameters: params.base, scratch: scratch)
                }
            }
            var first = r.lowerBound
            while first < r.upperBound {
                let n = min(Network.judgingGroup, r.upperBound - first)
                for i in 0..<leading { run(i, first, n) }
                first += n
            }
            for i in leading..<layers.count { run(i, r.lowerBound, r.count) }
            if zeroGradients {
                // Only buffers that losses add into need clearing; the backward pass overwrites the rest.
                for i in workspace.accumulatedGradients.union([layers.count]) {
                    guard let g = workspace.gradients[i] else { continue }
                    let size = i == 0 ? inputSize : layers[i - 1].outputShape.size
                    (g.pointer + r.lowerBound * size).update(repeating: 0, count: r.count * size)
                }
            }
        }
    }

    /// Back-propagates the activation gradients the losses left in `workspace` and leaves the
    /// parameter gradient, summed over the batch, in `workspace.parameterGradient`.
    ///
    /// - Parameter inputGradient: also compute the gradient with respect to the input images
    ///   (for attacks); the workspace must have been made with `inputGradient: true`.
    public func backward(_ workspace: Workspace, count: Int, inputGradient: Bool = false) {
        precondition(workspace.trainable, "this workspace was made for inference only")
        precondition(!inputGradient || workspace.gradients[0] != nil, "workspace has no input gradient buffer")
        let ranges = Parallel.split(count, into: workspace.workers)
        let params = SharedPointer(parameters.pointer)
        let layers = self.layers
        Parallel.run(workspace.workers) { w in
            let grads = workspace.workerGradients[w]
            grads.zero()
            let r = ranges[w]
            guard !r.isEmpty else { return }
            let scratch = workspace.scratch[w].pointer
            for i in stride(from: layers.count - 1, through: 0, by: -1) {
                let layer = layers[i]
                let inSize = layer.inputShape.size, outSize = layer.outputShape.size
                let dIn: UnsafeMutablePointer<Float>? =
                    (i > 0 || inputGradient) ? workspace.gradients[i]!.pointer + r.lowerBound * inSize : nil
                layer.backward(
                    input: workspace.activations[i].pointer + r.lowerBound * inSize,
                    output: workspace.activations[i + 1].pointer + r.lowerBound * outSize,
                    outputGradient: workspace.gradients[i + 1]!.pointer + r.lowerBound * outSize,
                    inputGradient: dIn, accumulate: workspace.accumulatedGradients.contains(i), count: r.count,
                    parameters: params.base,
                    parameterGradients: grads.pointer, scratch: scratch)
            }
        }
        // Sum the workers' gradients into worker 0's buffer, in a fixed order (reproducible).
        let total = workspace.workerGradients[0]
        for w in 1..<workspace.workers {
            BLAS.axpy(n: parameterCount, alpha: 1, x: workspace.workerGradients[w].pointer, y: total.pointer)
        }
    }
}
