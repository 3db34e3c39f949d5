/// Which OpenBLAS kernels run in this process and who chose them: what `tangle version` and every
/// benchmark report.
public struct BLASKernel: Codable, Sendable, Equatable {
    /// Who chose the core type.
    public enum Chooser: String, Codable, Sendable {
        /// OpenBLAS, from the processor it detected.
        case openblas
        /// The user, with `OPENBLAS_CORETYPE`.
        case user
        /// Tangle, which re-executed itself with `OPENBLAS_CORETYPE` after OpenBLAS fell back to a narrower core.
        case tangle
    }

    /// The core whose kernels run (`openblas_get_corename()`), e.g. `"Cooperlake"`.
    public var kernel: String
    /// Who chose it.
    public var chosenBy: Chooser
    /// With ``Chooser/tangle``: the core OpenBLAS had chosen by itself.
    public var fallbackFrom: String?
    /// `OPENBLAS_CORETYPE` as this process saw it, if set.
    public var coreType: String?

    /// A report given one by one.
    public init(kernel: String, chosenBy: Chooser, fallbackFrom: String? = nil, coreType: String? = nil) {
        self.kernel = kernel
        self.chosenBy = chosenBy
        self.fallbackFrom = fallbackFrom
        self.coreType = coreType
    }

    /// The report for a process whose OpenBLAS runs `core`, from its environment variables.
    /// - Parameters:
    ///   - core: `openblas_get_corename()`.
    ///   - environment: looks a variable up (nil or empty: not set).
    public init(core: String, environment: (String) -> String?) {
        func value(_ name: String) -> String? { environment(name).flatMap { $0.isEmpty ? nil : $0 } }
        let coreType = value(BLASEnvironment.coreType)
        if let coreType, let from = value(BLASEnvironment.reexecMarker) {
            self.init(kernel: core, chosenBy: .tangle, fallbackFrom: from, coreType: coreType)
        } else if let coreType {
            self.init(kernel: core, chosenBy: .user, coreType: coreType)
        } else {
            self.init(kernel: core, chosenBy: .openblas)
        }
    }

    /// One line for people, e.g. `Cooperlake (chosen by tangle: OpenBLAS fell back to Haswell; OPENBLAS_CORETYPE=COOPERLAKE)`.
    public var summary: String {
        switch chosenBy {
        case .openblas: "\(kernel) (chosen by OpenBLAS)"
        case .user: "\(kernel) (chosen by the user: \(BLASEnvironment.coreType)=\(coreType ?? ""))"
        case .tangle:
            "\(kernel) (chosen by tangle: OpenBLAS fell back to \(fallbackFrom ?? "?"); \(BLASEnvironment.coreType)=\(coreType ?? ""))"
        }
    }
}
