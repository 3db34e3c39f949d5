import Foundation
import Glibc
import TangleData
import TangleDetector
import TangleEvaluation
import TangleModelStore

/// The hot-folder benchmark behind `tangle bench watch`: a real `tangle watch` daemon as a child process,
/// a burst of PNGs renamed into its inbox, then single files one at a time.
///
/// 1. Makes the images (Fashion-MNIST test images, MNIST test images when installed, FGSM eps 0.1 made with
///    the model) and writes them to a staging folder beside a temporary root (same file system, so a drop
///    is one `rename`).
/// 2. Starts the daemon and waits for `watching`. When that start built the neighbour index (a cold cache),
///    its build time is reported and the daemon restarted, so the index build stays out of the figures.
/// 3. Drops a warm-up file and waits for its record.
/// 4. Renames the burst into the inbox as fast as it can and follows `verdicts.jsonl` (polled every 1 ms)
///    until every file has its record, sampling the daemon's `VmRSS` every 100 ms.
/// 5. Drops single files one at a time, each time timing rename → record.
/// 6. Reads `VmHWM`, stops the daemon with SIGTERM (exit 0 expected) and removes the temporary root.
///
/// ```swift
/// var bench = WatchBenchmark(model: "models/fashion-mnist", binary: "/usr/local/bin/tangle")
/// let figures = try bench.run()
/// ```
public struct WatchBenchmark {
    /// The calibrated model folder.
    public var model: String
    /// The `tangle` binary run as the daemon.
    public var binary: String
    /// The Fashion-MNIST folder (default: the model card's).
    public var data: String?
    /// The MNIST folder (`t10k-images-idx3-ubyte.gz` and labels); skipped when missing.
    public var mnist: String?
    /// Burst size.
    public var count = 10_000
    /// Single files timed one at a time.
    public var singles = 50
    /// The cache folder (default: the daemon's default, `$XDG_CACHE_HOME/tangle`).
    public var cache: String?
    /// The folder the temporary root is made in (default: the system's temporary folder).
    public var work: String?
    /// Keep the temporary root and the daemon's log (their path goes to `note`).
    public var keep = false
    /// Longest wait for the daemon to say `watching`, seconds (a cold index build takes ~30 s).
    public var readyTimeout = 900.0
    /// Progress notes (to stderr in the command).
    public var note: (String) -> Void = { _ in }

    /// Creates a benchmark.
    /// - Parameters:
    ///   - model: the calibrated model folder.
    ///   - binary: the `tangle` binary to run as the daemon.
    public init(model: String, binary: String) {
        self.model = model
        self.binary = binary
    }

    /// Runs the benchmark.
    /// - Returns: the figures.
    /// - Throws: ``WatchBenchError``, and model, data and image errors.
    public func run() throws -> WatchBenchFigures {
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        let samples = try BenchSamples.inDistribution(card: card, data: data)
        let own = card.data.kind == "fashion-mnist" ? "Fashion-MNIST" : "\(card.name)'s calibration split"
        // MNIST digits only for a model that takes 28x28 grey images (others get none: they are not bench material).
        let input = network.inputShape
        let digits = input.height == 28 && input.width == 28 && input.channels == 1 ? try loadMNIST() : nil
        // FGSM at the strength the calibration uses for this kind of data: 0.1 on a dark background, 8/255 on photos.
        let eps: Float = card.profile.map { $0.darkBackground } ?? true ? 0.1 : 0.0314
        note("making \(count) burst images (\(own)\(digits == nil ? "" : ", MNIST"), FGSM \(eps))")
        let images = BenchImages(count: count, singles: singles, network: network, fashion: samples, mnist: digits, eps: eps)

        let base = ((work ?? NSTemporaryDirectory()) as NSString).appendingPathComponent("tangle-bench-watch-\(getpid())")
        let root = (base as NSString).appendingPathComponent("root")
        let staging = (base as NSString).appendingPathComponent("staging")
        defer {
            if keep { note("kept \(base)") } else { try? FileManager.default.removeItem(atPath: base) }
        }
        try images.write(to: staging)
        let cacheDirectory = IndexCache(override: cache).directory
        var session = WatchBenchSession(
            binary: binary, arguments: ["watch", "--root", root, "--model", model, "--no-seed", "--cache", cacheDirectory] + (data.map { ["--data", $0] } ?? []),
            base: base, root: root, staging: staging, readyTimeout: readyTimeout, note: note)
        return try session.measure(images: images, cache: cacheDirectory)
    }

    private func loadMNIST() throws -> LabelledImages? {
        guard let mnist else { return nil }
        let images = (mnist as NSString).appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let labels = (mnist as NSString).appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        guard FileManager.default.fileExists(atPath: images), FileManager.default.fileExists(atPath: labels) else { return nil }
        return try IDXDataset.load(images: images, labels: labels, classNames: (0..<10).map(String.init), missingHint: "pass --mnist with the MNIST folder")
    }
}
