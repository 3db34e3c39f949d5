import Foundation

/// The verdict record: one JSON object per judged input, written by `tangle classify` on stdout
/// and appended by `tangle watch` to `verdicts.jsonl`. Keys are snake_case; `schema` is 1.
public struct VerdictRecord: Codable, Sendable, Equatable {
    /// Format version.
    public var schema = 1
    /// A unique identifier of this record.
    public var id: String
    /// When the verdict was made (RFC 3339, UTC).
    public var time: String
    /// The input.
    public var input: Input
    /// The model that judged.
    public var model: Model
    /// The calibration applied.
    public var calibration: Calibration
    /// The model's prediction (absent when the input could not be judged).
    public var prediction: Prediction?
    /// Deep k-NN figures (absent when the input could not be judged).
    public var dknn: DkNN?
    /// Every score by name (larger = more abnormal, except `credibility` and `msp`, which are as computed).
    public var scores: [String: Double]?
    /// `in-distribution`, `outlier`, `adversarial` or `rejected`.
    public var verdict: Verdict
    /// Why, in words (for `rejected`, the error).
    public var reason: String
    /// Milliseconds from reading the input to the verdict.
    public var latencyMs: Double
    /// Set when a crash made this record repeat an earlier one for the same input.
    public var replayed: Bool?
    /// Where the input came from when it was not a file: `http` for an image posted to the daemon's
    /// server (absent for files).
    public var source: String?

    /// The input file.
    public struct Input: Codable, Sendable, Equatable {
        /// The file name.
        public var name: String
        /// Its path (for the daemon: the final destination); null for an image posted over HTTP, which
        /// is never a file.
        public var path: String?
        /// Its size.
        public var bytes: Int
        /// The SHA-256 of its content.
        public var sha256: String
        /// `png`, `jpeg`, `idx`, or what it was recognised as.
        public var format: String
        /// Decoded width (0 when not decoded).
        public var width: Int
        /// Decoded height.
        public var height: Int
        /// Whether intensities were inverted to the model's polarity (absent when not decoded).
        public var inverted: Bool?
        /// The name's exact bytes in base64, present when they are not valid UTF-8 (``name`` then
        /// shows them with U+FFFD).
        public var nameBase64: String?
        /// The path's exact bytes in base64, present when they are not valid UTF-8.
        public var pathBase64: String?

        enum CodingKeys: String, CodingKey {
            case name, path, bytes, sha256, format, width, height, inverted, nameBase64, pathBase64
        }

        /// Encodes every key, `path` as null when there is none (absent keys stay absent otherwise).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(path, forKey: .path)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(sha256, forKey: .sha256)
            try c.encode(format, forKey: .format)
            try c.encode(width, forKey: .width)
            try c.encode(height, forKey: .height)
            try c.encodeIfPresent(inverted, forKey: .inverted)
            try c.encodeIfPresent(nameBase64, forKey: .nameBase64)
            try c.encodeIfPresent(pathBase64, forKey: .pathBase64)
        }

        /// Creates an input record.
        public init(name: String, path: String?, bytes: Int, sha256: String, format: String, width: Int, height: Int, inverted: Bool? = nil) {
            self.name = name
            self.path = path
            self.bytes = bytes
            self.sha256 = sha256
            self.format = format
            self.width = width
            self.height = height
            self.inverted = inverted
        }
    }

    /// The model.
    public struct Model: Codable, Sendable, Equatable {
        /// Its name.
        public var name: String
        /// The SHA-256 of its weights.
        public var sha256: String

        /// Creates a model record.
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// The calibration.
    public struct Calibration: Codable, Sendable, Equatable {
        /// Its id.
        public var id: String

        /// Creates a calibration record.
        public init(id: String) { self.id = id }
    }

    /// The prediction.
    public struct Prediction: Codable, Sendable, Equatable {
        /// Class index.
        public var index: Int
        /// Class name.
        public var label: String
        /// Softmax probability.
        public var probability: Double
    }

    /// Deep k-NN figures.
    public struct DkNN: Codable, Sendable, Equatable {
        /// Credibility (max conformal p-value).
        public var credibility: Double
        /// Confidence (1 − second largest p-value).
        public var confidence: Double
        /// Per layer.
        public var layers: [String: Layer]
    }

    /// One layer's figures.
    public struct Layer: Codable, Sendable, Equatable {
        /// Neighbours (of k) carrying the predicted class.
        public var predictedClassNeighbours: Int
        /// Normal is at or above this.
        public var threshold: Int
        /// k-th-neighbour distance.
        public var distance: Double
        /// Normal is at or below this.
        public var distanceThreshold: Double
    }

    /// Creates a record.
    public init(
        id: String, time: String, input: Input, model: Model, calibration: Calibration, prediction: Prediction?, dknn: DkNN?,
        scores: [String: Double]?, verdict: Verdict, reason: String, latencyMs: Double, replayed: Bool? = nil
    ) {
        self.id = id
        self.time = time
        self.input = input
        self.model = model
        self.calibration = calibration
        self.prediction = prediction
        self.dknn = dknn
        self.scores = scores
        self.verdict = verdict
        self.reason = reason
        self.latencyMs = latencyMs
        self.replayed = replayed
    }

    /// The encoder records are written with: one line, snake_case, sorted keys.
    public static var encoder: JSONEncoder { SnakeCaseJSON.encoder(pretty: false) }

    /// The matching decoder.
    public static var decoder: JSONDecoder { SnakeCaseJSON.decoder }

    /// The record as one line of JSON (no newline).
    public func jsonLine() throws -> String { String(decoding: try Self.encoder.encode(self), as: UTF8.self) }

    /// RFC 3339 time with milliseconds, UTC.
    public static func timestamp(_ date: Date = Date()) -> String { RFC3339.milliseconds(date) }
}

extension VerdictRecord {
    /// The record of a judged input.
    public static func judged(
        input: Input, model: Model, rule: VerdictRule, scores s: InputScoresView, judgement j: VerdictRule.Judgement, latencyMs: Double,
        date: Date = Date()
    ) -> VerdictRecord {
        let c = rule.calibration
        var layers: [String: Layer] = [:]
        for f in j.layers {
            layers[f.layer] = Layer(
                predictedClassNeighbours: f.predictedClassNeighbours, threshold: f.threshold, distance: f.distance, distanceThreshold: f.distanceThreshold)
        }
        var scores = s.named
        scores["outlier_score"] = j.outlierScore
        scores["adversarial_score"] = j.adversarialScore
        if let p = j.perturbationScore { scores["perturbation_score"] = p }
        scores["verdict_score"] = j.verdictScore
        scores["routing_score"] = j.routingScore
        return VerdictRecord(
            id: UUID().uuidString.lowercased(), time: timestamp(date), input: input, model: model, calibration: .init(id: c.id),
            prediction: .init(index: s.prediction, label: s.prediction < c.classNames.count ? c.classNames[s.prediction] : "\(s.prediction)", probability: s.probability),
            dknn: .init(credibility: s.credibility, confidence: s.confidence, layers: layers), scores: scores, verdict: j.verdict,
            reason: j.reason, latencyMs: latencyMs)
    }

    /// The record of an input that could not be judged.
    public static func rejected(input: Input, model: Model, calibration: String, error: String, latencyMs: Double, date: Date = Date()) -> VerdictRecord {
        VerdictRecord(
            id: UUID().uuidString.lowercased(), time: timestamp(date), input: input, model: model, calibration: .init(id: calibration),
            prediction: nil, dknn: nil, scores: nil, verdict: .rejected, reason: error, latencyMs: latencyMs)
    }
}
