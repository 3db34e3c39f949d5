import CKernelLevel
import Testing

/// Comparisons between the C kernel levels. The forced level is process-wide and the test targets
/// run concurrently in one process, so a test that forces levels does all its work inside
/// ``holding(_:)`` (`tangle_kernels_hold`): both sides of "SIMD against plain C" are computed while
/// no other test can force a level, and the comparison cannot silently become "SIMD against SIMD".
/// One file: the KernelLevels.swift of TangleNetworkTests, TangleTensorTests and TangleEntanglementTests are links to it.
enum KernelLevels {
    /// `tangle_kernels_force` arguments: the machine's widest kernels, at most AVX2, plain C, and
    /// AVX-512 without the AMX tiles.
    static let widest: Int32 = 0, avx2: Int32 = 1, plainC: Int32 = 2, avx512NoAMX: Int32 = 3

    /// The processor's widest level (2 AVX-512, 1 AVX2, 0 plain C), read under the hold so that no
    /// other test's forced level is taken for it.
    static let available: Int32 = locked { tangle_kernel_level() }
    static let hasAVX512 = available >= 2, hasAVX2 = available >= 1
    /// Whether the 8-bit search runs on AMX-INT8 tiles here.
    static let hasAMX = locked { tangle_amx_available() } != 0
    static let needsAMX: Comment = "needs AMX-INT8 (Sapphire Rapids or later, with Linux's permission), which this machine lacks"
    static let needsAVX512: Comment = "needs AVX-512 (F, BW, VNNI) with FMA, which this processor lacks: its AVX-512 kernels would be compared with themselves"
    static let needsAVX2: Comment = "needs AVX2 with FMA, which this processor lacks: its AVX2 kernels would be compared with themselves"

    /// Runs `body` holding the process-wide kernel level; inside, ``at(_:_:)`` forces levels.
    static func holding<R>(_ body: () throws -> R) rethrows -> R {
        // First touched here, outside the hold: their initialisers take it, and the lock is not
        // reentrant (a first touch inside would wait for itself forever).
        _ = (available, hasAMX)
        return try locked(body)
    }

    /// `body` under the process-wide kernel-level lock, at the machine's widest level.
    private static func locked<R>(_ body: () throws -> R) rethrows -> R {
        tangle_kernels_hold(0)
        defer { tangle_kernels_release() }
        return try body()
    }

    /// `body` at the forced `level` (only inside ``holding(_:)``), then the widest level again;
    /// records an issue if the level in effect is not the one asked for, or changes meanwhile.
    static func at<R>(_ level: Int32, _ body: () throws -> R) rethrows -> R {
        tangle_kernels_force(level)
        defer { tangle_kernels_force(0) }
        let running = tangle_kernel_level()
        #expect(running == (level == plainC ? 0 : level == avx2 ? min(1, available) : available), "forced level \(level) runs \(running)")
        if level != widest { #expect(tangle_amx_available() == 0, "forced level \(level) still uses AMX") }
        let result = try body()
        #expect(tangle_kernel_level() == running, "the kernel level changed during the computation: another test forced it without the hold")
        return result
    }
}
