/// The height, width and channel count of one image-shaped representation.
///
/// Dense representations are `1 x 1 x units`; flattening is implicit because the NHWC layout
/// already stores one image's values contiguously.
public struct Shape3: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int
    /// Values per pixel.
    public var channels: Int

    /// Creates a shape.
    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// A `1 x 1 x units` shape, for dense representations.
    public static func vector(_ units: Int) -> Shape3 { Shape3(height: 1, width: 1, channels: units) }

    /// The number of values in one image: `height * width * channels`.
    public var size: Int { height * width * channels }

    public var description: String { height == 1 && width == 1 ? "\(channels)" : "\(height)x\(width)x\(channels)" }
}

/// One layer of an architecture, as data (it is what the model card stores).
///
/// Fields that do not apply to a kind are `nil` and left out of the JSON.
public struct LayerSpec: Codable, Sendable, Equatable {
    /// The kinds of layer the numeric core implements.
    public enum Kind: String, Codable, Sendable {
        /// 2-D convolution over NHWC input with a fused activation.
        case conv2d
        /// Max-pooling over non-overlapping windows.
        case maxpool
        /// Fully connected layer over the flattened input with a fused activation.
        case dense
    }

    /// Padding for a convolution.
    public enum Padding: String, Codable, Sendable {
        /// Output size `ceil(input / stride)`, zero padding split evenly (extra at the end).
        case same
        /// No padding.
        case valid
    }

    /// The activation fused into a convolution or dense layer.
    public enum Activation: String, Codable, Sendable {
        /// `max(0, x)`.
        case relu
        /// Identity.
        case linear
    }

    /// What the layer does.
    public var kind: Kind
    /// The name of the layer's output representation (`pool1`, `fc2`, `logits`, ...).
    public var name: String
    /// Convolution: output channels.
    public var filters: Int?
    /// Convolution: square kernel size.
    public var kernel: Int?
    /// Convolution: stride (default 1).
    public var stride: Int?
    /// Convolution: padding (default `same`).
    public var padding: Padding?
    /// Max-pool: window size and stride (default 2).
    public var size: Int?
    /// Dense: output units.
    public var units: Int?
    /// Convolution and dense: activation (default `linear`).
    public var activation: Activation?

    /// A convolution layer.
    public static func conv2d(
        _ name: String, filters: Int, kernel: Int, stride: Int = 1, padding: Padding = .same,
        activation: Activation = .relu
    ) -> LayerSpec {
        LayerSpec(
            kind: .conv2d, name: name, filters: filters, kernel: kernel, stride: stride, padding: padding,
            activation: activation)
    }

    /// A max-pooling layer with a `size x size` window and stride `size`.
    public static func maxpool(_ name: String, size: Int = 2) -> LayerSpec {
        LayerSpec(kind: .maxpool, name: name, size: size)
    }

    /// A dense layer.
    public static func dense(_ name: String, units: Int, activation: Activation = .relu) -> LayerSpec {
        LayerSpec(kind: .dense, name: name, units: units, activation: activation)
    }
}

/// How weights are initialised.
public enum Initialization: String, Codable, Sendable {
    /// Glorot (Xavier) uniform: `U(-l, l)`, `l = sqrt(6 / (fanIn + fanOut))` (Keras's default).
    case glorotUniform = "glorot_uniform"
    /// He normal: `N(0, 2 / fanIn)`, untruncated.
    case heNormal = "he_normal"
}

/// A network architecture as data: input shape, layers in order, initialisation.
///
/// Another architecture is another value of this type (another model card), not other code.
public struct Architecture: Codable, Sendable, Equatable {
    /// The shape of one input image; pixel values are in `[0, 1]`.
    public var input: Shape3
    /// The layers, input to output. The last layer's output is the logits.
    public var layers: [LayerSpec]
    /// How weights are initialised (biases start at zero).
    public var initialization: Initialization

    /// Creates an architecture.
    public init(input: Shape3, layers: [LayerSpec], initialization: Initialization = .glorotUniform) {
        self.input = input
        self.layers = layers
        self.initialization = initialization
    }

    /// The reference architecture (shared with the reference benchmark): conv 5x5x32 same ReLU →
    /// max-pool 2 (`pool1`, 6272) → conv 5x5x64 same ReLU → max-pool 2 (`pool2`, 3136) → dense 256
    /// ReLU (`fc1`) → dense 128 ReLU (`fc2`) → dense `classes` (`logits`).
    ///
    /// `width` multiplies every hidden layer's filters and units (2: 64 and 128 filters, 512 and 256
    /// units): the same design at another size, e.g. a second source of transferred attacks.
    public static func reference(input: Shape3 = Shape3(height: 28, width: 28, channels: 1), classes: Int = 10, width: Int = 1) -> Architecture {
        Architecture(
            input: input,
            layers: [
                .conv2d("conv1", filters: 32 * width, kernel: 5),
                .maxpool("pool1"),
                .conv2d("conv2", filters: 64 * width, kernel: 5),
                .maxpool("pool2"),
                .dense("fc1", units: 256 * width),
                .dense("fc2", units: 128 * width),
                .dense("logits", units: classes, activation: .linear),
            ])
    }

    /// The number of classes (the last layer's output width).
    public var classCount: Int { layers.last?.units ?? layers.last?.filters ?? 0 }
}
