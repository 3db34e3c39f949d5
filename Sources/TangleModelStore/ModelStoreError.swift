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
    /// The card's `weights_file` does not name a regular file inside the model folder (an absolute
    /// path, a `..` or `/`, a symbolic link, a FIFO or device). Nothing was opened or read.
    case unsafeWeightsFile(card: String, name: String, why: String)
    /// A weights tensor holds NaN or infinite values.
    case nonFiniteWeights(path: String, tensor: String, nan: Int, infinite: Int)

    public var description: String {
        switch self {
        case .missing(let path, let hint): "\(path) is missing: \(hint)"
        case .badWeights(let path, let why): "\(path) is not a usable safetensors file: \(why); retrain or restore the model folder"
        case .badCard(let path, let why): "\(path) is not a usable model card: \(why); restore it from the repository or retrain"
        case .mismatch(let why): "the weights do not belong to this model card: \(why); keep model.json and model.safetensors together"
        case .writeFailed(let path, let why): "cannot write \(path): \(why); check free space and permissions"
        case .unsafeWeightsFile(let card, let name, let why):
            "\(card): weights_file \"\(name)\" is refused: \(why); the weights must be a regular file beside model.json, "
                + "named by a plain file name (e.g. \"model.safetensors\"): restore the card and the weights from the repository or retrain"
        case .nonFiniteWeights(let path, let tensor, let nan, let infinite):
            "weights tensor \(tensor) in \(path) holds "
                + [nan > 0 ? "\(nan) NaN value\(nan == 1 ? "" : "s")" : nil, infinite > 0 ? "\(infinite) infinite value\(infinite == 1 ? "" : "s")" : nil]
                .compactMap { $0 }.joined(separator: " and ")
                + ": the file is damaged; retrain or restore the model folder"
        }
    }
}
