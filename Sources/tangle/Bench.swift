import ArgumentParser
import TangleJudge
import TangleWatchBench
import Foundation
import TangleBench
import TangleData
import TangleTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Tangle's speed (run a release build).", subcommands: [BenchTrain.self, BenchLayers.self, BenchVerdict.self, BenchWatch.self, BenchHTTP.self])
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training throughput at batch 256: median images/s over timed windows, beside the machine's SGEMM rate.")

    @Option(help: "Timed windows.")
    var windows = 8

    @Option(help: "Steps per window.")
    var steps = 20

    @Option(help: "Folder with the Fashion-MNIST IDX files (random data when missing).")
    var data = FashionMNIST.defaultDirectory

    @Option(help: "The network's input as HxWxC (default 28x28x1 on Fashion-MNIST; another shape trains on random images of it).")
    var input = "28x28x1"

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard InputShape.parse(input) != nil else { throw ValidationError("--input takes HxWxC with C 1 or 3, e.g. 32x32x3 (got \(input))") }
    }

    @OptionGroup(title: "Entangled objective (with --snnl-factor the workload is the peer's: SNNL on all four hidden layers)")
    var objective: ObjectiveOptions

    func run() throws {
        var bench = TrainBenchmark()
        bench.windows = windows
        bench.stepsPerWindow = steps
        bench.input = InputShape.parse(input) ?? bench.input
        let options = objective
        let r = try bench.run(dataDirectory: data) { try options.terms(network: $0, batchSize: 256, defaults: .bench) }
        if json {
            try printJSON(r)
        } else {
            print(String(format: "training (%@, %@): %.0f images/s (median of %d windows; %.1f GFLOP/s = %.0f%% of SGEMM %.1f GFLOP/s); peak RSS %.0f MiB",
                         r.input, r.data, r.imagesPerSecond, r.windowImagesPerSecond.count, r.achievedGflops, 100 * r.fractionOfSgemm,
                         r.machineSgemmGflops, r.peakRssMib))
            print("BLAS kernel: \(r.blasKernel.summary)")
        }
    }
}

struct BenchLayers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers", abstract: "Where a training step's time goes: each layer's forward and backward time at batch 256.")

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "The network's input as HxWxC (the reference CNN's sizes follow it).")
    var input = "28x28x1"

    func validate() throws {
        guard InputShape.parse(input) != nil else { throw ValidationError("--input takes HxWxC with C 1 or 3, e.g. 32x32x3 (got \(input))") }
    }

    func run() throws {
        let rows = try LayerBenchmark().run(architecture: .reference(input: InputShape.parse(input)!))
        if json {
            try printJSON(rows)
            return
        }
        print("layer     forward ms  backward ms  GFLOP/s")
        for r in rows {
            print(String(format: "%-8@ %10.2f  %11.2f  %7.1f", r.layer, r.forwardMs, r.backwardMs, r.gflops))
        }
        let total = rows.reduce(0) { $0 + $1.forwardMs + $1.backwardMs }
        print(String(format: "total    %.2f ms per batch of 256 = %.0f images/s (layers only)", total, 256 / total * 1000))
        print("BLAS kernel: \(BLAS.kernel.summary)")
    }
}

struct BenchVerdict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Full verdicts per second on a batch of 1,000 images (Fashion-MNIST's test set for its models, else the model's own calibration split), single-image latency, index size and build time.")

    @Option(help: "Model folder (calibrated).")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the model's training data (default: where the model finds it).")
    var data: String?

    @Option(help: "Images in the timed batch.")
    var batch = 1000

    @Option(help: "Timed batch runs (median reported).")
    var runs = 5

    func validate() throws {
        guard batch >= 1, runs >= 1, singles >= 0 else { throw ValidationError("--batch and --runs must be at least 1, --singles at least 0") }
    }

    @Flag(help: "Use the cached index instead of building one from scratch in a temporary folder.")
    var reuseIndex = false

    @Option(help: "Single images timed one at a time (median reported).")
    var singles = 200

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let temp = NSTemporaryDirectory() + "tangle-bench-\(getpid())"
        defer { if !reuseIndex { try? FileManager.default.removeItem(atPath: temp) } }
        let f = try VerdictBenchmark.run(model: model, data: data, freshCache: reuseIndex ? nil : temp, batch: batch, runs: runs, singles: singles)
        if json {
            try printJSON(f)
            return
        }
        print(String(format: "batch of %d: %.0f images/s (median of %d runs: %@ s)", f.batchSize, f.batchImagesPerSecond, f.batchSeconds.count,
                     f.batchSeconds.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "one image at a time: median %.2f ms, p90 %.2f ms", f.latencyMsMedian, f.latencyMsP90))
        print(String(format: "index %.0f MiB, built in %.1f s", Double(f.indexBytes) / 1048576, f.indexBuildSeconds))
        print("BLAS kernel: \(f.blasKernel.summary)")
    }
}
