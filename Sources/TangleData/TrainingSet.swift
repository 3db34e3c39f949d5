
/// Labelled training images split into the part trained on and the held-out calibration part.
public struct TrainingSet: Sendable {
    /// Every labelled image (both parts).
    public let images: LabelledImages
    /// Indices trained on.
    public let trainIndices: [Int]
    /// Indices held out for calibration (never trained on).
    public let calibrationIndices: [Int]

    /// Holds out the last `calibrationCount` images (the reference's split for Fashion-MNIST).
    /// - Throws: ``DataError/invalid(_:)`` when that leaves nothing to train on.
    public init(holdingOutLast calibrationCount: Int, of images: LabelledImages) throws {
        guard calibrationCount >= 0, calibrationCount < images.count else {
            throw DataError.invalid(
                "cannot hold out \(calibrationCount) of \(images.count) images for calibration; choose fewer")
        }
        self.images = images
        trainIndices = Array(0..<(images.count - calibrationCount))
        calibrationIndices = Array((images.count - calibrationCount)..<images.count)
    }

    /// Uses explicit index lists.
    public init(images: LabelledImages, trainIndices: [Int], calibrationIndices: [Int]) {
        self.images = images
        self.trainIndices = trainIndices
        self.calibrationIndices = calibrationIndices
    }
}
