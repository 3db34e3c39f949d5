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
        // Native libraries (Debian -dev packages; scripts/setup.sh installs them).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The tensor core: storage, BLAS, parallel loops, seeded randomness.
        .target(name: "TangleTensor", dependencies: ["CBLAS", "TangleBLASCore"], swiftSettings: optimisedInDebug),
        // Which OpenBLAS core type to run: the decision on recorded processor facts, and the kernel report.
        .target(name: "TangleBLASCore"),
        // SHA-256 for weights and data provenance.
        .target(name: "TangleDigest"),
        // Reading user-named files safely: never blocking on a FIFO or device, regular files only, bounded sizes, typed errors.
        .target(name: "TangleFiles"),
        // 8-bit convolutions for judging: unsigned 8-bit activations times signed 8-bit weights (AVX-512 VNNI, AVX2 or plain C).
        .target(name: "CInt8GEMM", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Direct float32 convolution for small patches (a first layer over one grey channel), for judging (AVX-512 or plain C).
        .target(name: "CDirectConv", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Float32 products whose every output is one fixed chain of operations whatever the batch (batch-invariant judging).
        .target(name: "CRowGEMM", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Layers, the network built from an architecture description, losses and the optimiser.
        .target(name: "TangleNetwork", dependencies: ["TangleTensor", "CInt8GEMM", "CDirectConv", "CRowGEMM"], swiftSettings: optimisedInDebug),
        // The soft nearest neighbor loss, its temperatures, and the entangled objective.
        .target(name: "TangleEntanglement", dependencies: ["TangleNetwork", "TangleTensor"], swiftSettings: optimisedInDebug),
        // Which kernels the C kernel families run: AVX-512, AVX2 or plain C (chosen once; lowered by the environment or tests).
        .target(name: "CKernelLevel", cSettings: [.unsafeFlags(["-O3"])]),
        // 8-bit dot products for the quantized neighbour search (AVX-512 VNNI, or portable C).
        .target(name: "CInt8Dot", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Direct float32 distances for narrow layers (the logits), with the top-k candidate test (AVX-512 or plain C).
        .target(name: "CNarrowNearest", dependencies: ["CKernelLevel"], cSettings: [.unsafeFlags(["-O3"])]),
        // Exact k-nearest-neighbour search: float32 by GEMM, or 8-bit points by integer dot products.
        .target(name: "TangleNeighbors", dependencies: ["TangleTensor", "CInt8Dot", "CInt8GEMM", "CNarrowNearest", "CRowGEMM"], swiftSettings: optimisedInDebug),
        // Detection metrics: AUROC, FPR at 95 % TPR, AUPR, thresholds.
        .target(name: "TangleMetrics"),
        // White-box FGSM and BIM attacks.
        .target(name: "TangleAttacks", dependencies: ["TangleNetwork", "TangleTensor"]),
        // Hidden-layer separation of synthetic outliers and attacks (model selection without test data).
        .target(
            name: "TangleSeparation",
            dependencies: ["TangleAttacks", "TangleData", "TangleMetrics", "TangleNeighbors", "TangleNetwork", "TangleTensor"]),
        // Deep k-nearest neighbours: conformal p-values, credibility.
        .target(
            name: "TangleDkNN", dependencies: ["TangleNeighbors", "TangleTensor", "TangleNetwork", "TangleData", "TangleReport", "CRowGEMM"],
            swiftSettings: optimisedInDebug),
        // The verdict rule: evidence, calibration, in-distribution / outlier / adversarial.
        .target(name: "TangleVerdict", dependencies: ["TangleDkNN", "TangleDigest", "TangleFiles"]),
        // Judging image files: read, decode, preprocess, score in batches, verdict records; the verdict benchmark.
        .target(
            name: "TangleJudge",
            dependencies: [
                "TangleEvaluation", "TangleImage", "TangleVerdict", "TangleDigest", "TangleDkNN", "TangleTensor", "TangleData", "TangleBLASCore",
                "TangleFiles",
            ]),
        // Training data: Fashion-MNIST IDX files or a folder of labelled images, with the calibration split.
        .target(
            name: "TangleDataSource",
            dependencies: ["TangleData", "TangleImage", "TangleImageFolder", "TangleModelStore", "TangleTensor", "TangleTraining"]),
        // The detector's evaluation: index cache, scores against outlier sets and attacks.
        .target(
            name: "TangleEvaluation",
            dependencies: [
                "TangleAttacks", "TangleData", "TangleDigest", "TangleDkNN", "TangleMetrics", "TangleModelStore",
                "TangleNetwork", "TangleTensor", "TangleTraining", "TangleVerdict", "TangleReport", "TangleDataSource", "TangleSeparation",
            ]),
        // JPEG through libjpeg with errors as values: the C side owns setjmp/longjmp.
        .target(name: "CJPEGDecode", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        // Image intake: safe PNG/JPEG decoding with limits, and preprocessing to the model's input.
        .target(name: "TangleImage", dependencies: ["CPNG", "CJPEGDecode", "TangleFiles"]),
        // Training on users' own images: DIR/<class>/*.png|jpg as labelled images, with digests.
        .target(name: "TangleImageFolder", dependencies: ["TangleImage", "TangleData", "TangleDigest"]),
        // Labelled image data sets: IDX files (raw or gzip) and Fashion-MNIST.
        .target(name: "TangleData", dependencies: ["CZlib", "TangleDigest", "TangleFiles"]),
        // Model folders: safetensors weights and the model card.
        .target(name: "TangleModelStore", dependencies: ["TangleNetwork", "TangleDigest", "TangleFiles"]),
        // Progress lines and SVG charts.
        .target(name: "TangleReport"),
        // The training loop, checkpoints and evaluation.
        .target(
            name: "TangleTraining",
            dependencies: ["TangleNetwork", "TangleData", "TangleModelStore", "TangleReport", "TangleTensor", "TangleEntanglement"]),
        // Benchmarks run by `tangle bench`.
        .target(
            name: "TangleBench",
            dependencies: ["TangleTraining", "TangleNetwork", "TangleData", "TangleTensor", "TangleBLASCore"]),
        // The hot folder: inotify discovery, claims by rename, batched judging, the verdict log, recovery.
        .target(
            name: "TangleWatch",
            dependencies: [
                "TangleJudge", "TangleVerdict", "TangleEvaluation", "TangleImage", "TangleData", "TangleAttacks", "TangleNetwork",
                "TangleTensor", "TangleFiles",
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
        // A small blocking HTTP/1.1 client (keep-alive, deadlines) for `tangle bench http` and the tests.
        .target(name: "TangleHTTPClient"),
        // `tangle bench watch`: a real daemon as a child process, a burst of files, single-file latency, memory.
        .target(
            name: "TangleWatchBench",
            dependencies: [
                "TangleWatch", "TangleVerdict", "TangleEvaluation", "TangleModelStore", "TangleData", "TangleImage", "TangleAttacks",
                "TangleNetwork", "TangleTensor", "TangleBLASCore", "TangleHTTPClient",
            ]),
        // The command line.
        .executableTarget(
            name: "tangle",
            dependencies: [
                "TangleTraining", "TangleBench", "TangleModelStore", "TangleData", "TangleReport", "TangleEntanglement",
                "TangleSeparation", "TangleEvaluation", "TangleVerdict", "TangleJudge", "TangleDataSource", "TangleImageFolder", "TangleDkNN",
                "TangleAttacks", "TangleImage", "TangleWatch", "TangleWatchBench", "TangleHTTPServer", "TangleTensor", "TangleBLASCore", "TangleFiles", "CBLAS", "CJPEG", "CPNG",
                "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // For tests that run the built `tangle` binary: where to find it.
        .target(name: "TangleTesting"),
        .testTarget(name: "TangleTensorTests", dependencies: ["TangleTensor"]),
        .testTarget(name: "TangleBLASCoreTests", dependencies: ["TangleBLASCore"]),
        // The built `tangle` binary run as a subprocess: argument validation, messages and exit codes, the BLAS re-execution.
        .testTarget(
            name: "TangleCLITests", dependencies: ["TangleBLASCore", "TangleJudge", "TangleSeparation", "TangleWatch", "TangleImage", "TangleTesting", "TangleDigest"]),
        .testTarget(name: "TangleDigestTests", dependencies: ["TangleDigest"]),
        .testTarget(name: "TangleFilesTests", dependencies: ["TangleFiles"]),
        .testTarget(name: "TangleNetworkTests", dependencies: ["TangleNetwork", "TangleTensor", "CInt8GEMM", "CDirectConv", "CKernelLevel", "CRowGEMM"]),
        .testTarget(name: "TangleEntanglementTests", dependencies: ["TangleEntanglement", "TangleNetwork", "TangleTensor"]),
        .testTarget(name: "TangleMetricsTests", dependencies: ["TangleMetrics"]),
        .testTarget(name: "TangleNeighborsTests", dependencies: ["TangleNeighbors", "TangleTensor", "CInt8Dot", "CInt8GEMM", "CNarrowNearest", "CKernelLevel"]),
        .testTarget(name: "TangleAttacksTests", dependencies: ["TangleAttacks", "TangleNetwork", "TangleTensor"]),
        .testTarget(name: "TangleDkNNTests", dependencies: ["TangleDkNN", "TangleNeighbors", "TangleNetwork", "TangleData", "TangleTensor"]),
        .testTarget(
            name: "TangleDataSourceTests",
            dependencies: ["TangleDataSource", "TangleImage", "TangleData", "TangleModelStore", "TangleNetwork", "TangleTraining", "TangleEvaluation"]),
        .testTarget(name: "TangleVerdictTests", dependencies: ["TangleVerdict", "TangleDkNN"]),
        .testTarget(name: "TangleEvaluationTests", dependencies: ["TangleEvaluation", "TangleDkNN", "TangleVerdict"]),
        .testTarget(name: "TangleImageTests", dependencies: ["TangleImage", "CPNG", "CJPEGDecode"]),
        .testTarget(name: "TangleImageFolderTests", dependencies: ["TangleImageFolder", "TangleImage", "TangleData"]),
        .testTarget(name: "TangleDataTests", dependencies: ["TangleData", "CZlib"]),
        .testTarget(name: "TangleModelStoreTests", dependencies: ["TangleModelStore", "TangleNetwork"]),
        .testTarget(name: "TangleReportTests", dependencies: ["TangleReport"]),
        .testTarget(name: "TangleWatchTests", dependencies: ["TangleWatch", "TangleVerdict", "TangleImage", "TangleData", "TangleTesting", "TangleHTTPClient"]),
        .testTarget(name: "TangleHTTPServerTests", dependencies: ["TangleHTTPServer", "TangleWatch", "TangleVerdict"]),
        .testTarget(name: "TangleHTTPClientTests", dependencies: ["TangleHTTPClient"]),
        .testTarget(
            name: "TangleTrainingTests",
            dependencies: ["TangleTraining", "TangleNetwork", "TangleData", "TangleModelStore"]),
    ],
    swiftLanguageModes: [.v6]
)
