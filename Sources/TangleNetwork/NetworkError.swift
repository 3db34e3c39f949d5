/// Why an architecture or a set of weights cannot be used.
public enum NetworkError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A layer description is incomplete or inconsistent.
    case invalidLayer(String, String)
    /// The architecture has no layers or repeats a name.
    case invalidArchitecture(String)
    /// A named representation does not exist.
    case unknownRepresentation(String, [String])
    /// Weights do not fit the architecture.
    case parameterMismatch(String)

    public var description: String {
        switch self {
        case .invalidLayer(let name, let why):
            "layer '\(name)' is invalid: \(why); fix the architecture in the model card"
        case .invalidArchitecture(let why):
            "the architecture is invalid: \(why); fix the architecture in the model card"
        case .unknownRepresentation(let name, let known):
            "no representation named '\(name)'; this model has: \(known.joined(separator: ", "))"
        case .parameterMismatch(let why):
            "the weights do not fit the architecture: \(why); use the weights file written with this model card"
        }
    }
}
