// swift-tools-version: 6.2
// Tangle: an out-of-distribution detection appliance.
// Swift 6 language mode (strict concurrency) for every target.
import PackageDescription

/// The numeric modules are optimised in debug builds too: the test suite starts the real daemon,
/// which builds a 59,000-image neighbour index, and unoptimised loops would make that minutes long.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Tangle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tangle", targets: ["tangle"]),
        .library(name: "TangleNetwork", targets: ["TangleNetwork"]),
        .library(name: "TangleTraining", targets: ["TangleTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The daemon's HTTP surface; its optional swift-configuration support is not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: Shared foundations (the judging path and the lab both use them)

        // Native libraries (Debian -dev packages; scripts/setup.sh installs them).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The tensor core: storage, BLAS, parallel loops, seeded randomness.
        .target(name: "TangleTensor", dependencies: ["CBLAS", "TangleBLASCore", "CTileGEMM"], swiftSettings: optimisedInDebug),
        // Which OpenBLAS core type to run: the decision on recorded processor facts, and the kernel report.
        .target(name: "TangleBLASCore"),
        // SHA-256 for weights and data provenance.
        .target(name: "TangleDigest"),
        // Reading user-named files safely: never blocking on a FIFO or device, regular files only, bounded sizes, typed errors.
        .target(name: "TangleFiles"),
        // Progress lines for long work: done/total, rate, ETA.
        .target(name: "TangleProgress"),
        // Which kernels the C kernel families run: AVX-512, AVX2 or plain C (chosen once; lowered by the environment or tests).
        .target(name: "CKernelLevel", cSettings: [.unsafeFlags(["-O3"])]),
        // 8-bit convolutions for judging: unsigned 8-bit activations times signed 8-bit weights (AVX-512 VNNI, AVX2 or plain C).
        .target(name: "CInt8GEMM", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Direct float32 convolutions (forward, input and kernel gradients) and 2x2 max-pooling, for training and judging (AVX-512, AVX2 or plain C).
        .target(name: "CDirectConv", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Training's float32 matrix products (dense layers, SNNL), register-tiled for AVX-512, one fixed chain per output (AVX-512, AVX2 or plain C).
        .target(name: "CTileGEMM", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Training's memory-bound passes: col2im, 2x2 max-pool backward, ReLU, Adam (AVX-512, AVX2 or plain C, the same floats).
        .target(name: "CLayerPasses", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Float32 products whose every output is one fixed chain of operations whatever the batch (batch-invariant judging).
        .target(name: "CRowGEMM", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // 8-bit dot products for the quantized neighbour search (AVX-512 VNNI and AMX, or portable C).
        .target(name: "CInt8Dot", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Direct float32 distances for narrow layers (the logits), with the top-k candidate test (AVX-512 or plain C).
        .target(name: "CNarrowNearest", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // JPEG through libjpeg with errors as values: the C side owns setjmp/longjmp.
        .target(name: "CJPEGDecode", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        // Layers (forward and backward), the network built from an architecture description, losses and the optimiser.
        .target(name: "TangleNetwork", dependencies: ["TangleTensor", "CInt8GEMM", "CDirectConv", "CRowGEMM", "CLayerPasses"], swiftSettings: optimisedInDebug),
        // Labelled image data sets: IDX files (raw or gzip), Fashion-MNIST, and the split into trained-on and calibration parts.
        .target(name: "TangleData", dependencies: ["CZlib", "TangleDigest", "TangleFiles"]),
        // Model folders: safetensors weights and the model card.
        .target(name: "TangleModelStore", dependencies: ["TangleNetwork", "TangleDigest", "TangleFiles"]),

        // MARK: The judging path: file → image → tensor → representations → neighbours → scores → verdict → destination + record
        // (none of these depends on a lab module; PackageLayoutTests checks it)

        // Image intake: safe PNG/JPEG decoding with limits, and preprocessing to the model's input.
        .target(name: "TangleImage", dependencies: ["CPNG", "CJPEGDecode", "TangleFiles", "TangleData"]),
        // Users' own images: DIR/<class>/*.png|jpg as labelled images, with digests.
        .target(name: "TangleImageFolder", dependencies: ["TangleImage", "TangleData", "TangleDigest"]),
        // A model's training data found again (Fashion-MNIST IDX files or an image folder), with the calibration split.
        .target(name: "TangleDataSource", dependencies: ["TangleData", "TangleDigest", "TangleImage", "TangleImageFolder", "TangleModelStore", "TangleNetwork", "TangleTensor"]),
        // Exact k-nearest-neighbour search: float32 by GEMM, or 8-bit points by integer dot products.
        .target(name: "TangleNeighbors", dependencies: ["TangleTensor", "CInt8Dot", "CInt8GEMM", "CNarrowNearest", "CRowGEMM"], swiftSettings: optimisedInDebug),
        // Deep k-nearest neighbours: the per-layer index, conformal p-values, credibility, the other scores.
        .target(
            name: "TangleDkNN", dependencies: ["TangleNeighbors", "TangleTensor", "TangleNetwork", "TangleData", "TangleProgress", "CRowGEMM"],
            swiftSettings: optimisedInDebug),
        // The verdict rule: evidence, calibration, in-distribution / outlier / adversarial, the record.
        .target(name: "TangleVerdict", dependencies: ["TangleDkNN", "TangleNetwork", "TangleDigest", "TangleFiles"]),
        // A model folder opened to judge: network, calibration, the cached neighbour index and Gaussians.
        .target(
            name: "TangleDetector",
            dependencies: ["TangleData", "TangleDataSource", "TangleDigest", "TangleDkNN", "TangleModelStore", "TangleNetwork", "TangleTensor", "TangleVerdict"]),
        // Judging image files: read, decode, preprocess, score in batches, verdict records.
        .target(
            name: "TangleJudge",
            dependencies: ["TangleDataSource", "TangleDetector", "TangleImage", "TangleVerdict", "TangleDigest", "TangleDkNN", "TangleTensor", "TangleFiles"]),
        // The hot folder: inotify discovery, claims by rename, batched judging, the verdict log, recovery.
        .target(
            name: "TangleWatch",
            dependencies: [
                "TangleJudge", "TangleVerdict", "TangleFiles",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // The daemon's HTTP surface: health and readiness, metrics, judging one posted image, the records and images, the page.
        .target(
            name: "TangleHTTPServer",
            dependencies: [
                "TangleWatch", "TangleVerdict", "TangleDigest", "TangleFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // MARK: The lab: training, entanglement, attacks, separation, calibration runs, evaluation, reports, benchmarks

        // SVG charts.
        .target(name: "TangleReport"),
        // The soft nearest neighbor loss, its temperatures, and the entangled objective.
        .target(name: "TangleEntanglement", dependencies: ["TangleNetwork", "TangleTensor"], swiftSettings: optimisedInDebug),
        // The training loop, checkpoints and evaluation.
        .target(
            name: "TangleTraining",
            dependencies: ["TangleNetwork", "TangleData", "TangleModelStore", "TangleReport", "TangleProgress", "TangleTensor", "TangleEntanglement"]),
        // Detection metrics: AUROC, FPR at 95 % TPR, AUPR, thresholds.
        .target(name: "TangleMetrics"),
        // White-box FGSM and BIM attacks.
        .target(name: "TangleAttacks", dependencies: ["TangleNetwork", "TangleTensor"]),
        // Hidden-layer separation of synthetic outliers and attacks (model selection without test data).
        .target(
            name: "TangleSeparation",
            dependencies: ["TangleAttacks", "TangleData", "TangleMetrics", "TangleNeighbors", "TangleNetwork", "TangleTensor"]),
        // The detector's evaluation and calibration runs: scores against outlier sets and attacks, reports.
        .target(
            name: "TangleEvaluation",
            dependencies: [
                "TangleAttacks", "TangleData", "TangleDetector", "TangleDigest", "TangleDkNN", "TangleMetrics", "TangleModelStore",
                "TangleNetwork", "TangleTensor", "TangleVerdict", "TangleReport", "TangleProgress", "TangleDataSource", "TangleSeparation",
                "TangleImage", "TangleImageFolder",
            ]),
        // Sample inputs a first start seeds the inbox with: test images, inverted, shuffled, attacked.
        .target(name: "TangleSamples", dependencies: ["TangleAttacks", "TangleData", "TangleImage", "TangleNetwork", "TangleTensor", "TangleWatch"]),
        // Benchmarks run by `tangle bench`: training.
        .target(
            name: "TangleBench",
            dependencies: ["TangleTraining", "TangleNetwork", "TangleData", "TangleTensor", "TangleBLASCore"]),
        // A small blocking HTTP/1.1 client (keep-alive, deadlines) for `tangle bench http` and the tests.
        .target(name: "TangleHTTPClient"),
        // `tangle bench verdict`, `watch` and `http`: the judging path measured, the daemon as a child process.
        .target(
            name: "TangleWatchBench",
            dependencies: [
                "TangleWatch", "TangleVerdict", "TangleDetector", "TangleEvaluation", "TangleModelStore", "TangleData", "TangleDataSource", "TangleImage", "TangleAttacks",
                "TangleNetwork", "TangleTensor", "TangleBLASCore", "TangleHTTPClient",
            ]),
        // The command line.
        .executableTarget(
            name: "tangle",
            dependencies: [
                "TangleTraining", "TangleBench", "TangleModelStore", "TangleData", "TangleReport", "TangleEntanglement",
                "TangleSeparation", "TangleEvaluation", "TangleDetector", "TangleVerdict", "TangleJudge", "TangleDataSource", "TangleImageFolder",
                "TangleDkNN", "TangleAttacks", "TangleImage", "TangleWatch", "TangleWatchBench", "TangleHTTPServer", "TangleSamples", "TangleTensor",
                "TangleBLASCore", "TangleFiles", "CBLAS", "CJPEG", "CPNG", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // For tests that run the built `tangle` binary: where to find it.
        .target(name: "TangleTesting", dependencies: ["TangleImage"]),
        .testTarget(name: "TangleTensorTests", dependencies: ["TangleTensor", "CKernelLevel", "CTileGEMM"]),
        .testTarget(name: "TangleBLASCoreTests", dependencies: ["TangleBLASCore"]),
        // The built `tangle` binary run as a subprocess: argument validation, messages and exit codes, the BLAS re-execution.
        .testTarget(
            name: "TangleCLITests", dependencies: ["TangleBLASCore", "TangleJudge", "TangleSeparation", "TangleWatch", "TangleImage", "TangleTesting", "TangleDigest"]),
        .testTarget(name: "TangleDigestTests", dependencies: ["TangleDigest"]),
        .testTarget(name: "TangleFilesTests", dependencies: ["TangleFiles"]),
        .testTarget(name: "TangleNetworkTests", dependencies: ["TangleNetwork", "TangleTensor", "CInt8GEMM", "CDirectConv", "CKernelLevel", "CRowGEMM", "CLayerPasses"]),
        .testTarget(name: "TangleEntanglementTests", dependencies: ["TangleEntanglement", "TangleNetwork", "TangleTensor", "CKernelLevel"]),
        .testTarget(name: "TangleMetricsTests", dependencies: ["TangleMetrics"]),
        .testTarget(name: "TangleNeighborsTests", dependencies: ["TangleNeighbors", "TangleTensor", "CInt8Dot", "CInt8GEMM", "CNarrowNearest", "CKernelLevel"]),
        .testTarget(name: "TangleAttacksTests", dependencies: ["TangleAttacks", "TangleNetwork", "TangleTensor"]),
        .testTarget(name: "TangleDkNNTests", dependencies: ["TangleDkNN", "TangleNeighbors", "TangleNetwork", "TangleData", "TangleTensor"]),
        .testTarget(
            name: "TangleDataSourceTests",
            dependencies: [
                "TangleTesting", "TangleDataSource", "TangleImage", "TangleData", "TangleModelStore", "TangleNetwork", "TangleTraining", "TangleEvaluation",
            ]),
        .testTarget(name: "TangleVerdictTests", dependencies: ["TangleVerdict", "TangleDkNN", "TangleNetwork", "TangleData"]),
        .testTarget(
            name: "TangleEvaluationTests",
            dependencies: ["TangleEvaluation", "TangleDetector", "TangleDkNN", "TangleVerdict", "TangleData", "TangleDataSource", "TangleImage", "TangleModelStore", "TangleNetwork", "TangleTesting"]),
        .testTarget(name: "TangleImageTests", dependencies: ["TangleImage", "CPNG", "CJPEGDecode"]),
        .testTarget(name: "TangleImageFolderTests", dependencies: ["TangleImageFolder", "TangleImage", "TangleData"]),
        .testTarget(name: "TangleDataTests", dependencies: ["TangleData", "CZlib"]),
        .testTarget(name: "TangleModelStoreTests", dependencies: ["TangleModelStore", "TangleNetwork"]),
        .testTarget(name: "TangleReportTests", dependencies: ["TangleReport"]),
        .testTarget(name: "TangleProgressTests", dependencies: ["TangleProgress"]),
        .testTarget(name: "TangleSamplesTests", dependencies: ["TangleSamples", "TangleWatch", "TangleData", "TangleNetwork", "TangleImage"]),
        // The package's own layout: the judging path depends on no lab module.
        .testTarget(name: "PackageLayoutTests"),
        .testTarget(name: "TangleWatchTests", dependencies: ["TangleWatch", "TangleVerdict", "TangleImage", "TangleData", "TangleTesting", "TangleHTTPClient"]),
        .testTarget(name: "TangleHTTPServerTests", dependencies: ["TangleHTTPServer", "TangleWatch", "TangleVerdict"]),
        .testTarget(name: "TangleHTTPClientTests", dependencies: ["TangleHTTPClient"]),
        .testTarget(
            name: "TangleTrainingTests",
            dependencies: ["TangleTraining", "TangleNetwork", "TangleData", "TangleModelStore"]),
    ],
    swiftLanguageModes: [.v6]
)
