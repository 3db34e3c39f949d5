import TangleBLASCore
import Testing

@Suite struct CPUFactsTests {
    @Test func parsesTheFirstProcessorOfThisMachine() {
        let cpu = CPUFacts(cpuinfo: RecordedCPUs.thisMachine)
        #expect(cpu.vendor == "GenuineIntel")
        #expect(cpu.family == 6)
        #expect(cpu.model == 207)
        #expect(cpu.flags.isSuperset(of: ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"]))
        #expect(BLASCoreTier(flags: cpu.flags) == .avx512BF16)
    }

    @Test func parsesZen5() {
        let cpu = CPUFacts(cpuinfo: RecordedCPUs.zen5)
        #expect(cpu.vendor == "AuthenticAMD")
        #expect(cpu.family == 26)
        #expect(BLASCoreTier(flags: cpu.flags) == .avx512BF16)
    }

    @Test func readsOnlyTheFirstBlock() {
        let text = RecordedCPUs.haswell + "\n\n" + RecordedCPUs.zen5
        let cpu = CPUFacts(cpuinfo: text)
        #expect(cpu.family == 6 && cpu.model == 63)
        #expect(!cpu.flags.contains("avx512f"))
    }

    @Test func emptyOrForeignTextGivesNoFlags() {
        #expect(CPUFacts(cpuinfo: "").flags.isEmpty)
        #expect(CPUFacts(cpuinfo: "processor : 0\nFeatures : fp asimd sve\n").flags.isEmpty)
    }
}

@Suite struct BLASCoreDecisionTests {
    let zen5 = CPUFacts(cpuinfo: RecordedCPUs.zen5)
    let here = CPUFacts(cpuinfo: RecordedCPUs.thisMachine)
    let haswell = CPUFacts(cpuinfo: RecordedCPUs.haswell)

    @Test func zen5OnHaswellKernelsGetsCooperlake() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell")) == .reexec(coreType: "COOPERLAKE"))
    }

    @Test func avx512WithoutBF16GetsSkylakeX() {
        var cpu = zen5
        cpu.flags.remove("avx512_bf16")
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: cpu, openBLASCore: "Haswell")) == .reexec(coreType: "SKYLAKEX"))
    }

    /// Here OpenBLAS 0.3.21 does not know Emerald Rapids (family 6, model 207) and names its core `Prescott`.
    @Test func thisMachineOnPrescottKernelsGetsCooperlake() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: here, openBLASCore: "Prescott")) == .reexec(coreType: "COOPERLAKE"))
    }

    /// Once on its AVX-512 kernels (as the re-executed process, or where OpenBLAS knows the processor) nothing changes.
    @Test func anAVX512CoreIsKept() {
        for core in ["Cooperlake", "SkylakeX", "COOPERLAKE", "SapphireRapids"] {
            #expect(BLASCoreDecision(BLASCoreFacts(cpu: here, openBLASCore: core)) == .keep(.bestAvailable))
        }
        var noBF16 = here
        noBF16.flags.remove("avx512_bf16")
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: noBF16, openBLASCore: "Cooperlake")) == .keep(.bestAvailable))
    }

    @Test func avx2OnlyCPUOnHaswellIsKept() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: haswell, openBLASCore: "Haswell")) == .keep(.bestAvailable))
    }

    @Test func avx2OnlyCPUOnPrescottGetsHaswell() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: haswell, openBLASCore: "Prescott")) == .reexec(coreType: "HASWELL"))
    }

    @Test func theUsersVariableWins() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell", userCoreType: "HASWELL")) == .keep(.userChoice))
        // Set but empty counts as unset.
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell", userCoreType: "")) == .reexec(coreType: "COOPERLAKE"))
    }

    @Test func aReexecutedProcessNeverLoops() {
        // Even when the re-execution did not help (OpenBLAS still names Haswell), the marker stops it.
        let facts = BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell", userCoreType: "COOPERLAKE", reexecutedFrom: "Haswell")
        #expect(BLASCoreDecision(facts) == .keep(.alreadyReexecuted))
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "Haswell", reexecutedFrom: "Haswell")) == .keep(.alreadyReexecuted))
    }

    @Test func unknownCoresAndProcessorsAreKept() {
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: zen5, openBLASCore: "NEOVERSEN1")) == .keep(.unknownCore))
        let arm = CPUFacts(cpuinfo: "processor : 0\nFeatures : fp asimd\n")
        #expect(BLASCoreDecision(BLASCoreFacts(cpu: arm, openBLASCore: "Prescott")) == .keep(.bestAvailable))
    }

    @Test func everyRequestedCoreTypeNamesItsOwnTier() {
        for tier in BLASCoreTier.allCases {
            guard let name = tier.coreType else { continue }
            #expect(BLASCoreTier(coreName: name) == tier)
        }
    }
}

@Suite struct BLASKernelTests {
    func environment(_ values: [String: String]) -> (String) -> String? { { values[$0] } }

    @Test func openBLASsOwnChoice() {
        let k = BLASKernel(core: "Cooperlake", environment: environment([:]))
        #expect(k == BLASKernel(kernel: "Cooperlake", chosenBy: .openblas))
        #expect(k.summary == "Cooperlake (chosen by OpenBLAS)")
    }

    @Test func theUsersChoice() {
        let k = BLASKernel(core: "Haswell", environment: environment(["OPENBLAS_CORETYPE": "HASWELL"]))
        #expect(k == BLASKernel(kernel: "Haswell", chosenBy: .user, coreType: "HASWELL"))
    }

    @Test func tanglesChoiceAfterAFallback() {
        let k = BLASKernel(core: "Cooperlake", environment: environment(["OPENBLAS_CORETYPE": "COOPERLAKE", "TANGLE_BLAS_REEXEC": "Haswell"]))
        #expect(k == BLASKernel(kernel: "Cooperlake", chosenBy: .tangle, fallbackFrom: "Haswell", coreType: "COOPERLAKE"))
        #expect(k.summary.contains("fell back to Haswell"))
    }

    @Test func aMarkerWithoutTheVariableIsOpenBLASs() {
        // A failed exec unsets both; a stray marker alone does not claim tangle chose.
        #expect(BLASKernel(core: "Haswell", environment: environment(["TANGLE_BLAS_REEXEC": "Haswell"])).chosenBy == .openblas)
    }
}
