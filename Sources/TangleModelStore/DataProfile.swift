/// What a model knows about its training data, measured when it is trained and read by every stage
/// that turns an input into the model's tensor: the one place that knows a data set.
///
/// The input size and channels are the architecture's input (`architecture.input` in `model.json`);
/// the profile says how an arriving image is brought there and what the training images looked like
/// as they arrived.
public struct DataProfile: Codable, Sendable, Equatable {
    /// The data set's name (the folder's name, or `fashion-mnist`): where a user keeps it,
    /// `$TANGLE_DATA/<name>` or `$XDG_DATA_HOME/tangle/datasets/<name>`.
    public var name: String
    /// The folder inside the data set's folder that was trained on (`train` for CIFAR-10's layout), if any.
    public var subfolder: String?
    /// SHA-256 over the training files' digests: which data, whatever folder it sits in.
    public var digest: String
    /// How polarity is treated, decided once from the training images' borders:
    /// `invert-light-border` (their borders are uniform and dark, as Fashion-MNIST's: an input with a
    /// light border is inverted), `invert-dark-border` (uniform and light), or `never` (mixed, as
    /// photographs: no input is inverted).
    public var polarity: String
    /// How an input of another aspect ratio reaches the model's: `crop` (the centre at the model's
    /// aspect ratio, resized by area averaging; nothing is padded — what every model trained now
    /// records) or `letterbox` (aspect ratio kept, centred on the background value: recorded by models
    /// trained before; padding a landscape photograph with black draws the rectangle-on-black that
    /// Fashion-MNIST calls a bag). Every training image arrives at one aspect ratio in the data sets
    /// Tangle ships, so an input of another is already unlike them; its centre is what is judged.
    public var resize: String
    /// The value in `[0, 1]` that alpha is composited onto and padding is filled with.
    public var background: Double
    /// Per-channel normalisation after scaling to `[0, 1]`: `none`.
    public var normalisation: String
    /// Training-time augmentation, as recorded (empty: none).
    public var augmentation: [String]
    /// The training images' borders: the fraction uniform and dark, uniform and light, and mixed.
    public var borders: Borders
    /// The training images as they arrived.
    public var arrivals: Arrivals

    /// The borders of the training images.
    public struct Borders: Codable, Sendable, Equatable {
        /// Uniform (ring spread ≤ 0.3) and dark (ring mean ≤ 0.25).
        public var uniformDark: Double
        /// Uniform and light (ring mean ≥ 0.75).
        public var uniformLight: Double
        /// The rest.
        public var mixed: Double

        /// A summary.
        public init(uniformDark: Double, uniformLight: Double, mixed: Double) {
            self.uniformDark = uniformDark
            self.uniformLight = uniformLight
            self.mixed = mixed
        }
    }

    /// Quantiles of one measurement over the training images.
    public struct Quantiles: Codable, Sendable, Equatable {
        public var min: Double
        public var p05: Double
        public var median: Double
        public var p95: Double
        public var max: Double

        /// The quantiles of `values` (all zero when there are none).
        public init(_ values: [Double]) {
            let s = values.sorted()
            func q(_ p: Double) -> Double { s.isEmpty ? 0 : s[Swift.min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))] }
            min = s.first ?? 0
            p05 = q(0.05)
            median = q(0.5)
            p95 = q(0.95)
            max = s.last ?? 0
        }
    }

    /// The training images as they arrived, before preprocessing.
    public struct Arrivals: Codable, Sendable, Equatable {
        /// Images measured.
        public var count: Int
        public var width: Quantiles
        public var height: Quantiles
        public var aspectRatio: Quantiles
        /// The fraction stored in colour.
        public var colourFraction: Double
        /// Hasler and Süsstrunk's colourfulness.
        public var colourfulness: Quantiles
        /// Mean luma.
        public var brightness: Quantiles

        /// A summary.
        public init(
            count: Int, width: Quantiles, height: Quantiles, aspectRatio: Quantiles, colourFraction: Double, colourfulness: Quantiles,
            brightness: Quantiles
        ) {
            self.count = count
            self.width = width
            self.height = height
            self.aspectRatio = aspectRatio
            self.colourFraction = colourFraction
            self.colourfulness = colourfulness
            self.brightness = brightness
        }
    }

    /// Creates a profile.
    public init(
        name: String, digest: String, polarity: String, resize: String = "crop", background: Double = 0, normalisation: String = "none",
        augmentation: [String] = [], borders: Borders, arrivals: Arrivals
    ) {
        self.name = name
        self.digest = digest
        self.polarity = polarity
        self.resize = resize
        self.background = background
        self.normalisation = normalisation
        self.augmentation = augmentation
        self.borders = borders
        self.arrivals = arrivals
    }

    /// The training images lie on a uniform dark background (the polarity policy inverts
    /// light-bordered inputs), so evidence read in dark regions applies.
    public var darkBackground: Bool { polarity == "invert-light-border" }

    /// The polarity policy the borders call for: a uniform surround on one side in at least 90 % of
    /// the images makes inversion of the other side safe; anything else forbids it.
    public static func polarity(for borders: Borders) -> String {
        if borders.uniformDark >= 0.9 { return "invert-light-border" }
        if borders.uniformLight >= 0.9 { return "invert-dark-border" }
        return "never"
    }
}
