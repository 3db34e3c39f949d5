import ArgumentParser
import Foundation
import TangleWatchBench

struct BenchHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "The daemon's HTTP server under load: POST /v1/judge latency with one client, requests/s with several at once.",
        discussion: """
            Starts a real `tangle watch --http-port 0` (this binary unless --binary) on a temporary root, waits until /readyz \
            says 200 (a cold cache builds the neighbour index first, not measured), posts one PNG --warmup times, then \
            --requests times from one client on a kept connection, again with --idle idle connections open, then --per-client times from each of --clients clients at \
            once. Targets: median ≤ 15 ms with one client, ≥ 300 requests/s with 8 clients.
            """)

    @Option(help: "Model folder (calibrated).")
    var model = "models/fashion-mnist"

    @Option(help: "The image posted (default: the first in-distribution sample as a PNG: Fashion-MNIST's first test image for its models, else the first of the model's own calibration split).")
    var image: String?

    @Option(help: "Posts by the single client.")
    var requests = 300

    @Option(help: "Clients posting at once.")
    var clients = 8

    @Option(help: "Posts per concurrent client.")
    var perClient = 150

    @Option(help: "Posts before measuring.")
    var warmup = 100

    @Option(help: "Idle connections held open while one client posts again.")
    var idle = 200

    @Option(help: "The tangle binary to run as the daemon (default: this one).")
    var binary: String?

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Folder to make the temporary root in (default: the system's temporary folder).")
    var work: String?

    @Flag(help: "Keep the temporary root and the daemon's log.")
    var keep = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard requests > 0, clients > 0, perClient > 0, warmup >= 0, idle >= 0 else {
            throw ValidationError("--requests, --clients and --per-client must be at least 1, --warmup and --idle at least 0")
        }
    }

    func run() throws {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var bench = HTTPBenchmark(model: model, binary: binary ?? own)
        bench.image = image
        bench.requests = requests
        bench.clients = clients
        bench.perClient = perClient
        bench.warmup = warmup
        bench.idleConnections = idle
        bench.cache = cache
        bench.work = work
        bench.keep = keep
        bench.note = { FileHandle.standardError.write(Data("bench http: \($0)\n".utf8)) }
        let f = try bench.run()
        if json {
            try printJSON(f)
            return
        }
        func met(_ ok: Bool) -> String { ok ? "met" : "NOT met" }
        print(String(format: "one client, %d posts of a %d-byte PNG: median %.2f ms, p90 %.2f ms (target ≤ %.0f ms: %@)", f.requests, f.imageBytes,
                     f.latencyMsMedian, f.latencyMsP90, f.targets.latencyMsMedian, met(f.targets.latencyMet)))
        print(String(format: "the same with %d idle connections open: median %.2f ms (%+.2f ms)", f.idleConnections, f.latencyMsMedianWithIdleConnections,
                     f.latencyMsMedianWithIdleConnections - f.latencyMsMedian))
        print(String(format: "%d clients at once, %d posts: %.0f requests/s, median %.2f ms, p90 %.2f ms (target ≥ %.0f requests/s: %@)", f.clients,
                     f.concurrentRequests, f.requestsPerSecond, f.concurrentLatencyMsMedian, f.concurrentLatencyMsP90, f.targets.requestsPerSecond,
                     met(f.targets.requestsPerSecondMet)))
        print("answers: " + f.statuses.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
        print("BLAS kernel: \(f.blasKernel.summary)")
    }
}
