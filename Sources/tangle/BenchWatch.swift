import ArgumentParser
import Foundation
import TangleData
import TangleWatchBench

struct BenchWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "The hot-folder daemon under load: files/s for a burst of renamed-in PNGs, single-file drop-to-record latency, peak RSS.",
        discussion: """
            Starts a real `tangle watch` (this binary unless --binary) on a temporary root, excludes the one-time neighbour index \
            build (reported as index_build_seconds when the cache was cold), then drops --count files at once and --singles files \
            one at a time. Targets: ≥ 500 files/s, median latency ≤ 20 ms, peak RSS ≤ 1 GiB.
            """)

    @Option(help: "Model folder (calibrated).")
    var model = "models/fashion-mnist"

    @Option(help: "Burst size.")
    var count = 10_000

    @Option(help: "Single files dropped one at a time (median latency).")
    var singles = 50

    @Option(help: "The tangle binary to run as the daemon (default: this one).")
    var binary: String?

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Folder with the model's training data (default: where the model finds it).")
    var data: String?

    @Option(help: "Folder with the MNIST test IDX files (scripts/fetch-mnist-test.sh fetches them there; skipped when missing: Fashion-MNIST and FGSM only).")
    var mnist = "data/mnist-test"

    @Option(help: "Folder to make the temporary root in (default: the system's temporary folder).")
    var work: String?

    @Flag(help: "Keep the temporary root and the daemon's logs.")
    var keep = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard count > 0, singles > 0 else { throw ValidationError("--count and --singles must be at least 1") }
    }

    func run() throws {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var bench = WatchBenchmark(model: model, binary: binary ?? own)
        bench.count = count
        bench.singles = singles
        bench.cache = cache
        bench.data = data
        bench.mnist = mnist
        bench.work = work
        bench.keep = keep
        bench.note = { FileHandle.standardError.write(Data("bench watch: \($0)\n".utf8)) }
        let f = try bench.run()
        if json {
            try printJSON(f)
            return
        }
        func met(_ ok: Bool) -> String { ok ? "met" : "NOT met" }
        let t = f.targets
        print(String(format: "burst of %d: %.0f files/s (target ≥ %.0f: %@)", f.files, f.filesPerSecond, t.filesPerSecond, met(t.filesPerSecondMet)))
        print(String(format: "single files: median %.2f ms, p90 %.2f ms drop to record (target ≤ %.0f ms: %@)", f.latencyMsMedian, f.latencyMsP90,
                     t.latencyMsMedian, met(t.latencyMet)))
        print(String(format: "peak RSS %.0f MiB (target ≤ %.0f MiB: %@)", f.peakRssMib, t.peakRssMib, met(t.peakRssMet)))
        print(f.indexCached ? "index from the cache" : String(format: "index built in %.1f s on the first start", f.indexBuildSeconds.value ?? 0))
        print("BLAS kernel: \(f.blasKernel.summary)")
        print("verdicts: " + f.verdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
