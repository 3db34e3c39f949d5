import Foundation
import TangleData
import TangleImage
import TangleModelStore
import TangleNetwork

/// Turns what the training images looked like as they arrived into the decisions a model is made
/// with: its input size and channels, and its data profile (polarity policy, statistics).
public enum DataSurvey {
    /// Colourfulness above which an image stored in colour counts as colour (a grey photo saved as
    /// RGB scores about 0).
    public static let colourfulThreshold = 0.02

    /// The input the data calls for: the size most images share when at least half share one, else
    /// a square of the median shorter side (16 to 64); 3 channels when at least 5 % of the images
    /// are in colour, else 1.
    public static func inputShape(_ arrivals: [ArrivalStatistics]) -> Shape3 {
        guard !arrivals.isEmpty else { return Shape3(height: 28, width: 28, channels: 1) }
        var sizes: [String: (Int, Int, Int)] = [:]
        for a in arrivals {
            let key = "\(a.height)x\(a.width)"
            let c = sizes[key]?.2 ?? 0
            sizes[key] = (a.height, a.width, c + 1)
        }
        let common = sizes.values.max { $0.2 < $1.2 }!
        var (h, w) = (common.0, common.1)
        if common.2 * 2 < arrivals.count {
            let shorter = arrivals.map { min($0.width, $0.height) }.sorted()
            let side = min(64, max(16, shorter[shorter.count / 2]))
            (h, w) = (side, side)
        }
        return Shape3(height: h, width: w, channels: colourFraction(arrivals) >= 0.05 ? 3 : 1)
    }

    /// The fraction of images in colour (stored in colour and colourful).
    public static func colourFraction(_ arrivals: [ArrivalStatistics]) -> Double {
        guard !arrivals.isEmpty else { return 0 }
        return Double(arrivals.filter { $0.channels == 3 && $0.colourfulness > colourfulThreshold }.count) / Double(arrivals.count)
    }

    /// How the images' borders fall: uniform (ring spread ≤ ``Preprocessor/uniformBorderSpread``, 0.3)
    /// and dark (mean ≤ 0.25), uniform and light (mean ≥ 0.75), or mixed. (A spread of 0.3 lets the
    /// object touch the edge here and there, as Fashion-MNIST's shirts and bags do: 99.4 % of its
    /// training images are uniform and dark by this rule, 6 % of CIFAR-10's photos.)
    public static func borders(_ arrivals: [ArrivalStatistics]) -> DataProfile.Borders {
        guard !arrivals.isEmpty else { return .init(uniformDark: 0, uniformLight: 0, mixed: 1) }
        let n = Double(arrivals.count)
        let uniform = Preprocessor.uniformBorderSpread
        let dark = Double(arrivals.filter { $0.borderSpread <= uniform && $0.borderMean <= 0.25 }.count) / n
        let light = Double(arrivals.filter { $0.borderSpread <= uniform && $0.borderMean >= 0.75 }.count) / n
        return .init(uniformDark: dark, uniformLight: light, mixed: max(0, 1 - dark - light))
    }

    /// The profile of a data set from its images as they arrived.
    public static func profile(name: String, digest: String, arrivals: [ArrivalStatistics], augmentation: [String] = []) -> DataProfile {
        let b = borders(arrivals)
        let polarity = DataProfile.polarity(for: b)
        return DataProfile(
            name: name, digest: digest, polarity: polarity, resize: "crop", augmentation: augmentation, borders: b,
            arrivals: .init(
                count: arrivals.count, width: .init(arrivals.map { Double($0.width) }), height: .init(arrivals.map { Double($0.height) }),
                aspectRatio: .init(arrivals.map(\.aspectRatio)), colourFraction: colourFraction(arrivals),
                colourfulness: .init(arrivals.map(\.colourfulness)), brightness: .init(arrivals.map(\.brightness))))
    }

    /// What every image of a set looked like when it arrived: as recorded when it was read from files,
    /// else its bytes measured as they would arrive (an IDX image, or a model-size PNG of it).
    public static func arrivals(of images: LabelledImages) -> [ArrivalStatistics] {
        images.arrivals ?? measure(images, sample: images.count)
    }

    /// Model inputs (`[count, rows * columns * channels]` in `[0, 1]`: attacked or synthetic images)
    /// measured as they would arrive written as 8-bit PNG files of the model's size.
    public static func arrivals(pixels: UnsafePointer<Float>, count: Int, shape: Shape3) -> [ArrivalStatistics] {
        let size = shape.size
        return (0..<count).map { i in
            let bytes = (0..<size).map { UInt8((min(max(pixels[i * size + $0], 0), 1) * 255).rounded()) }
            let image = try! DecodedImage(width: shape.width, height: shape.height, layout: shape.channels == 3 ? .rgb : .gray, format: .png, samples: bytes)
            return .measure(image)
        }
    }

    /// Grey images held as bytes (an IDX file), measured as they would arrive.
    public static func measure(_ images: LabelledImages, sample: Int = 5000) -> [ArrivalStatistics] {
        let n = min(sample, images.count)
        return (0..<n).compactMap { i -> ArrivalStatistics? in
            let index = i * images.count / max(n, 1)
            let bytes = Array(images.pixels[(index * images.imageSize)..<((index + 1) * images.imageSize)])
            guard let image = try? DecodedImage(width: images.columns, height: images.rows, layout: images.channels == 3 ? .rgb : .gray, format: .png, samples: bytes)
            else { return nil }
            return .measure(image)
        }
    }

    /// The preprocessing a model applies to every input, from its card: size and channels from the
    /// architecture, polarity from the profile (a card without one inverts light-bordered inputs, as
    /// before profiles existed). `polarity` other than `auto` overrides the profile.
    public static func preprocessor(for card: ModelCard, polarity: Polarity = .auto) -> Preprocessor {
        preprocessor(input: card.architecture.input, profile: card.profile, polarity: polarity)
    }

    /// The preprocessing for a model input and data profile (before the model exists: training data).
    public static func preprocessor(input: Shape3, profile: DataProfile?, polarity: Polarity = .auto) -> Preprocessor {
        var p = Preprocessor(
            rows: input.height, columns: input.width, channels: input.channels, background: Float(profile?.background ?? 0), polarity: polarity)
        // A card without a profile (Fashion-MNIST, 28x28) crops as a new model does; a profile that
        // records `letterbox` (models trained before cropping) keeps it.
        p.resize = Preprocessor.Resize(rawValue: profile?.resize ?? "") ?? .crop
        if polarity == .auto {
            switch profile?.polarity ?? "invert-light-border" {
            case "invert-dark-border": p.darkBorders = false
            case "never": p.polarity = .never
            default: break
            }
        }
        return p
    }
}

extension ModelCard {
    /// A card that carries only what the intake reads (input and profile), to preprocess training
    /// data before the model exists.
    public static func forIntake(input: Shape3, profile: DataProfile) -> ModelCard {
        ModelCard(
            name: "", toolVersion: "", created: "", architecture: Architecture(input: input, layers: []), representations: [],
            preprocessing: .fashionMNIST, profile: profile, classNames: [],
            data: DataSource(kind: "", directory: "", files: [], calibration: CalibrationSplit(rule: "", count: 0)),
            hyperparameters: Hyperparameters(batchSize: 1, learningRate: 0, epochs: 0, seed: 0))
    }
}
