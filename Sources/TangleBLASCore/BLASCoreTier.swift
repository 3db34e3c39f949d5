/// How wide the vector kernels of an OpenBLAS core type are, in the order one supersedes another.
///
/// OpenBLAS (built with `DYNAMIC_ARCH`) picks one core type when it loads; `openblas_get_corename()`
/// names it. When it does not know the processor it falls back to a lesser type: on AMD Zen 5
/// (`cpu family 26`) 0.3.21 picks `Haswell`, on Intel Emerald Rapids (family 6, model 207) `Prescott`.
public enum BLASCoreTier: Int, Sendable, Comparable, CaseIterable {
    /// SSE only (Prescott, Nehalem, Core2, Atom, early Opterons, …).
    case sse = 0
    /// AVX (Sandybridge, Bulldozer, Piledriver, Steamroller).
    case avx = 1
    /// AVX2 with FMA (Haswell, Zen, Excavator).
    case avx2 = 2
    /// AVX-512 F/CD/BW/DQ/VL (SkylakeX).
    case avx512 = 3
    /// AVX-512 with BF16 (Cooperlake; SapphireRapids in later OpenBLAS releases).
    case avx512BF16 = 4

    /// Orders tiers by width.
    public static func < (a: BLASCoreTier, b: BLASCoreTier) -> Bool { a.rawValue < b.rawValue }

    /// The tier of a core name as `openblas_get_corename()` reports it (any case), or nil for a name
    /// this table does not know (then nothing is changed).
    public init?(coreName: String) {
        switch coreName.lowercased() {
        case "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
            "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            self = .sse
        case "sandybridge", "bulldozer", "piledriver", "steamroller": self = .avx
        case "haswell", "zen", "excavator": self = .avx2
        case "skylakex": self = .avx512
        case "cooperlake", "sapphirerapids": self = .avx512BF16
        default: return nil
        }
    }

    /// The widest tier the processor's `/proc/cpuinfo` flags support.
    public init(flags: Set<String>) {
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") {
            self = .avx512BF16
        } else if avx512 {
            self = .avx512
        } else if flags.contains("avx2") && flags.contains("fma") {
            self = .avx2
        } else if flags.contains("avx") {
            self = .avx
        } else {
            self = .sse
        }
    }

    /// The `OPENBLAS_CORETYPE` value that selects this tier in OpenBLAS 0.3.21 (verified: it
    /// accepts `SKYLAKEX`, `COOPERLAKE` and `HASWELL`; `SAPPHIRERAPIDS` is unknown there and falls back).
    /// Nil for the tiers tangle never asks for.
    public var coreType: String? {
        switch self {
        case .avx512BF16: "COOPERLAKE"
        case .avx512: "SKYLAKEX"
        case .avx2: "HASWELL"
        case .avx, .sse: nil
        }
    }
}
