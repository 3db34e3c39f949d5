import Foundation
import TangleBLASCore
import Testing

/// `tangle version --json` from the real binary: which OpenBLAS kernels run and who chose them,
/// through the whole re-execution path.
@Suite(.enabled(if: TangleBinary.available, TangleBinary.skipMessage))
struct BLASReexecTests {
    struct VersionReport: Decodable {
        struct Kernel: Decodable {
            var kernel: String
            var chosenBy: String
            var fallbackFrom: String?
            var coreType: String?
        }
        var tangle: String
        var openblas: String
        var blasKernel: Kernel
    }

    static let cpu = CPUFacts(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    static let hasAVX512 = BLASCoreTier(flags: cpu.flags) >= .avx512

    func version(_ environment: [String: String?]) throws -> VersionReport {
        let r = try TangleBinary.run(["version", "--json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(VersionReport.self, from: Data(r.stdout.utf8))
    }

    /// The first process believes OpenBLAS chose Haswell, re-executes itself with an AVX-512 core type,
    /// and the second reports that core, chosen by tangle after a fallback from Haswell (argv kept: it
    /// still prints JSON).
    @Test(.enabled(if: hasAVX512, "this processor has no AVX-512 (no avx512f/bw/dq/vl/cd in /proc/cpuinfo): tangle would not re-execute"))
    func pretendedFallbackIsCorrected() throws {
        let v = try version(["TANGLE_BLAS_TEST_PRETEND_CORE": "Haswell"])
        let expected = BLASCoreTier(flags: Self.cpu.flags).coreType!
        #expect(BLASCoreTier(coreName: v.blasKernel.kernel).map { $0 >= .avx512 } == true, "kernel \(v.blasKernel.kernel)")
        #expect(v.blasKernel.kernel.uppercased() == expected)
        #expect(v.blasKernel.chosenBy == "tangle")
        #expect(v.blasKernel.fallbackFrom == "Haswell")
        #expect(v.blasKernel.coreType == expected)
        #expect(v.openblas.hasSuffix("\(v.blasKernel.kernel) MAX_THREADS=64") || v.openblas.contains(v.blasKernel.kernel))
    }

    /// Without the switch: what OpenBLAS chose, or tangle's correction of it when OpenBLAS fell back here.
    @Test func plainStartReportsTheChoice() throws {
        let v = try version([:])
        let best = BLASCoreTier(flags: Self.cpu.flags)
        if v.blasKernel.chosenBy == "tangle" {
            // OpenBLAS fell back on this processor (0.3.21 names Emerald Rapids `Prescott`).
            let from = try #require(v.blasKernel.fallbackFrom)
            #expect(try #require(BLASCoreTier(coreName: from)) < best)
            #expect(BLASCoreTier(coreName: v.blasKernel.kernel) == best)
        } else {
            #expect(v.blasKernel.chosenBy == "openblas")
            #expect(v.blasKernel.fallbackFrom == nil)
            #expect(v.openblas.contains(v.blasKernel.kernel))
        }
    }

    /// The user's `OPENBLAS_CORETYPE` wins, and is reported as theirs; the pretend switch changes nothing then.
    @Test func theUsersVariableWins() throws {
        for env: [String: String?] in [["OPENBLAS_CORETYPE": "HASWELL"], ["OPENBLAS_CORETYPE": "HASWELL", "TANGLE_BLAS_TEST_PRETEND_CORE": "Prescott"]] {
            let v = try version(env)
            #expect(v.blasKernel.kernel == "Haswell")
            #expect(v.blasKernel.chosenBy == "user")
            #expect(v.blasKernel.coreType == "HASWELL")
            #expect(v.blasKernel.fallbackFrom == nil)
        }
    }

    /// The re-executed process keeps standard input and output: `tangle version` prints its text once.
    @Test func textReportNamesTheKernelOnce() throws {
        let r = try TangleBinary.run(["version"], environment: ["TANGLE_BLAS_TEST_PRETEND_CORE": "Prescott"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("BLAS kernel: ") }
        #expect(lines.count == 1)
        if Self.hasAVX512 { #expect(lines.first?.contains("fell back to Prescott") == true, "\(r.stdout)") }
    }
}
