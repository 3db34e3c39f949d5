/// What the page shows of the model and its calibration (filled by `tangle watch` once they are loaded).
public struct ModelSummary: Codable, Sendable {
    /// The model's name.
    public var name: String
    /// Its folder, as given.
    public var folder: String
    /// The weights' SHA-256.
    public var weightsSHA256: String
    /// Class names by label.
    public var classes: [String]
    /// The input, `HxWxC`.
    public var input: String
    /// The calibration-split accuracy of the stored epoch, when recorded.
    public var accuracy: Double?
    /// The calibration's id.
    public var calibrationID: String
    /// The false-flag rate it was tuned to.
    public var targetFalseFlagRate: Double
    /// The rate it flagged on its calibration split.
    public var calibrationFlaggedRate: Double
    /// The `verdict_score` above which an input is flagged.
    public var verdictThreshold: Double
    /// The routing bias between outlier and adversarial.
    public var routingBias: Double
    /// Neighbours per layer.
    public var k: Int
    /// The layers searched.
    public var layers: [String]
    /// The SVG charts in the model folder (served at `/v1/charts/<name>`).
    public var charts: [String]

    /// Creates a summary.
    public init(
        name: String, folder: String, weightsSHA256: String, classes: [String], input: String, accuracy: Double?, calibrationID: String,
        targetFalseFlagRate: Double, calibrationFlaggedRate: Double, verdictThreshold: Double, routingBias: Double, k: Int, layers: [String],
        charts: [String]
    ) {
        self.name = name
        self.folder = folder
        self.weightsSHA256 = weightsSHA256
        self.classes = classes
        self.input = input
        self.accuracy = accuracy
        self.calibrationID = calibrationID
        self.targetFalseFlagRate = targetFalseFlagRate
        self.calibrationFlaggedRate = calibrationFlaggedRate
        self.verdictThreshold = verdictThreshold
        self.routingBias = routingBias
        self.k = k
        self.layers = layers
        self.charts = charts
    }
}
