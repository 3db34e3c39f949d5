/// Why training stopped or could not start. Each message says what to do.
public enum TrainingError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int, value: Double)
    /// The options cannot work with this data.
    case invalidOptions(String)
    /// `--resume` found no resume point it can continue from.
    case cannotResume(String)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let e, let s, let v):
            "the training loss became \(v) at epoch \(e), step \(s); lower --learning-rate (or the auxiliary loss factor) and train again. The last complete checkpoint is kept."
        case .invalidOptions(let why): why
        case .cannotResume(let why): "cannot resume: \(why)"
        }
    }
}
