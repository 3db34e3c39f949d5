/// The environment variables of the BLAS core choice.
public enum BLASEnvironment {
    /// OpenBLAS's own override, read once when the library loads (before `main`).
    public static let coreType = "OPENBLAS_CORETYPE"
    /// Set by tangle when it re-executes itself, to the core OpenBLAS had chosen: the loop guard,
    /// and how a later report knows tangle (not the user) set ``coreType``.
    public static let reexecMarker = "TANGLE_BLAS_REEXEC"
    /// Test-only: the first process believes OpenBLAS chose this core (e.g. `Haswell`), so the whole
    /// re-execution path runs on any machine. A re-executed process ignores it.
    public static let pretendCore = "TANGLE_BLAS_TEST_PRETEND_CORE"
}

/// The recorded facts the BLAS core decision is taken on.
public struct BLASCoreFacts: Sendable, Equatable {
    /// The processor.
    public var cpu: CPUFacts
    /// The core OpenBLAS chose (`openblas_get_corename()`), e.g. `"Haswell"`.
    public var openBLASCore: String
    /// `OPENBLAS_CORETYPE` as the user set it (nil or empty: not set).
    public var userCoreType: String?
    /// ``BLASEnvironment/reexecMarker``: set when this process is already a re-execution.
    public var reexecutedFrom: String?

    /// Facts given one by one.
    public init(cpu: CPUFacts, openBLASCore: String, userCoreType: String? = nil, reexecutedFrom: String? = nil) {
        self.cpu = cpu
        self.openBLASCore = openBLASCore
        self.userCoreType = userCoreType
        self.reexecutedFrom = reexecutedFrom
    }
}

/// Whether tangle leaves OpenBLAS's core choice alone or starts itself again with a better one.
public enum BLASCoreDecision: Sendable, Equatable {
    /// Why the choice stands.
    public enum Reason: Sendable, Equatable {
        /// This process is already a re-execution (the loop guard).
        case alreadyReexecuted
        /// The user set `OPENBLAS_CORETYPE`; their value wins.
        case userChoice
        /// OpenBLAS's core is as wide as the processor allows (or wider than tangle would ask for).
        case bestAvailable
        /// OpenBLAS named a core this table does not know.
        case unknownCore
    }

    /// Leave it.
    case keep(Reason)
    /// Set `OPENBLAS_CORETYPE=coreType` and re-execute.
    case reexec(coreType: String)

    /// Decides from recorded facts: re-execute only when OpenBLAS fell back to a narrower core than the
    /// processor supports, nobody set `OPENBLAS_CORETYPE`, and this is not already a re-execution.
    /// An AVX-512 core is kept even on a processor with BF16: in OpenBLAS 0.3.21 `Cooperlake` runs the
    /// same single-precision kernels as `SkylakeX` and adds only bfloat16 routines tangle does not call.
    ///
    /// ```swift
    /// let zen5 = CPUFacts(vendor: "AuthenticAMD", family: 26, model: 2, flags: ["avx2", "fma", "avx512f", …, "avx512_bf16"])
    /// BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell"))  // .reexec(coreType: "COOPERLAKE")
    /// ```
    public init(_ facts: BLASCoreFacts) {
        if facts.reexecutedFrom != nil {
            self = .keep(.alreadyReexecuted)
        } else if let user = facts.userCoreType, !user.isEmpty {
            self = .keep(.userChoice)
        } else if let chosen = BLASCoreTier(coreName: facts.openBLASCore) {
            let best = BLASCoreTier(flags: facts.cpu.flags)
            if best > chosen, chosen < .avx512, let coreType = best.coreType {
                self = .reexec(coreType: coreType)
            } else {
                self = .keep(.bestAvailable)
            }
        } else {
            self = .keep(.unknownCore)
        }
    }
}
