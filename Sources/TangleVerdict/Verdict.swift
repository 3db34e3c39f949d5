/// Where an input belongs.
public enum Verdict: String, Codable, Sendable, CaseIterable {
    /// Supported by the training data.
    case inDistribution = "in-distribution"
    /// Unlike anything the model was trained on.
    case outlier
    /// A near-copy of real data pushed across a class boundary (shown as "likely adversarial").
    case adversarial
    /// Could not be judged (undecodable input); only the intake uses it.
    case rejected

    /// The words shown to people.
    public var display: String {
        switch self {
        case .inDistribution: "in-distribution"
        case .outlier: "outlier"
        case .adversarial: "likely adversarial"
        case .rejected: "rejected"
        }
    }
}
