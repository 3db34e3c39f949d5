import Foundation
import TangleTensor

/// Measures the machine's SGEMM rate through OpenBLAS, the yardstick for the numeric core.
public enum MachineSGEMM {
    /// The median GFLOP/s of `repeats` `size x size x size` products using `threads` BLAS threads.
    public static func gflops(size: Int = 2048, repeats: Int = 5, threads: Int = Parallel.workerCount) -> Double {
        let before = BLAS.threads
        BLAS.setThreads(threads)
        defer { BLAS.setThreads(before) }
        var rng = SeededGenerator(seed: 1)
        let a = FloatBuffer((0..<(size * size)).map { _ in rng.nextUnitFloat() })
        let b = FloatBuffer((0..<(size * size)).map { _ in rng.nextUnitFloat() })
        let c = FloatBuffer(count: size * size)
        BLAS.gemm(m: size, n: size, k: size, a: a.pointer, lda: size, b: b.pointer, ldb: size, c: c.pointer, ldc: size)
        var rates: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(m: size, n: size, k: size, a: a.pointer, lda: size, b: b.pointer, ldb: size, c: c.pointer, ldc: size)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(2 * pow(Double(size), 3) / dt / 1e9)
        }
        return Statistics.median(rates)
    }
}

/// Small statistics helpers for benchmarks.
public enum Statistics {
    /// The median (mean of the two middle values for an even count); 0 for none.
    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The process's peak resident set size in MiB (from `getrusage`).
    public static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
