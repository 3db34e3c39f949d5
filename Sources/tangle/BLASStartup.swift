import Foundation
import TangleBLASCore
import TangleTensor

/// Makes OpenBLAS run the widest kernels the processor supports, before anything else runs.
///
/// OpenBLAS chooses its core type when the library loads, before `main`, and reads `OPENBLAS_CORETYPE`
/// only then. When it has fallen back to a narrower core than the processor supports (it does not know
/// the processor: AMD Zen 5 gets `Haswell`, Intel Emerald Rapids `Prescott`), tangle sets the variable,
/// marks the environment with the core OpenBLAS had chosen (``BLASEnvironment/reexecMarker``, the loop
/// guard) and executes itself again with the same arguments and open files. A value the user set wins.
/// Nothing happens on other systems, and a failed exec only warns.
enum BLASStartup {
    /// Applies ``BLASCoreDecision`` to this process (may not return: the process is replaced).
    static func apply() {
        #if os(Linux)
        func value(_ name: String) -> String? { getenv(name).flatMap { $0.pointee == 0 ? nil : String(cString: $0) } }
        let marker = value(BLASEnvironment.reexecMarker)
        // The test-only pretence holds for the first process only.
        let core = (marker == nil ? value(BLASEnvironment.pretendCore) : nil) ?? BLAS.coreName
        let facts = BLASCoreFacts(
            cpu: CPUFacts(cpuinfo: firstProcessorFacts()), openBLASCore: core, userCoreType: value(BLASEnvironment.coreType),
            reexecutedFrom: marker)
        guard case .reexec(let coreType) = BLASCoreDecision(facts) else { return }
        setenv(BLASEnvironment.coreType, coreType, 1)
        setenv(BLASEnvironment.reexecMarker, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        unsetenv(BLASEnvironment.coreType)
        unsetenv(BLASEnvironment.reexecMarker)
        FileHandle.standardError.write(
            Data(
                """
                tangle: warning: OpenBLAS runs its \(core) kernels, narrower than this processor supports, and re-executing \
                with \(BLASEnvironment.coreType)=\(coreType) failed (\(reason)); set \(BLASEnvironment.coreType)=\(coreType) \
                before starting tangle for the full speed

                """.utf8))
        #endif
    }

    /// The beginning of `/proc/cpuinfo`: enough for the first processor's block (empty when unreadable).
    private static func firstProcessorFacts() -> String {
        guard let handle = FileHandle(forReadingAtPath: "/proc/cpuinfo") else { return "" }
        defer { try? handle.close() }
        return String(decoding: handle.readData(ofLength: 16 << 10), as: UTF8.self)
    }
}
