/// Why a model folder could not be read or written. Each message says what to do.
public enum ModelStoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The folder or one of its files is missing.
    case missing(String, String)
    /// The weights file is malformed.
    case badWeights(String, String)
    /// The model card is malformed.
    case badCard(String, String)
    /// The weights do not match the card (shapes, names or hash).
    case mismatch(String)
    /// Writing failed.
    case writeFailed(String, String)

    public var description: String {
        switch self {
        case .missing(let path, let hint): "\(path) is missing: \(hint)"
        case .badWeights(let path, let why): "\(path) is not a usable safetensors file: \(why); retrain or restore the model folder"
        case .badCard(let path, let why): "\(path) is not a usable model card: \(why); restore it from the repository or retrain"
        case .mismatch(let why): "the weights do not belong to this model card: \(why); keep model.json and model.safetensors together"
        case .writeFailed(let path, let why): "cannot write \(path): \(why); check free space and permissions"
        }
    }
}
