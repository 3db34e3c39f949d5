import Foundation
import Prometheus
import TangleVerdict

/// The daemon's Prometheus metrics: files judged per verdict, errors, the judging latency
/// histogram and the number of files waiting. Kept in a swift-prometheus registry, which renders
/// the text exposition format for ``MetricsServer``.
public final class WatchMetrics: Sendable {
    /// The registry (render it with `emit(into:)`).
    public let registry = PrometheusCollectorRegistry()
    private let files: [Verdict: Counter]
    private let replayed: Counter
    private let errors: Counter
    private let latency: ValueHistogram
    private let waiting: Gauge

    /// Creates the metrics.
    public init() {
        var f: [Verdict: Counter] = [:]
        for v in Verdict.allCases {
            f[v] = registry.makeCounter(
                descriptor: .init(namespace: "tangle", metricName: "files", unitName: "total", helpText: "Files judged, by verdict."),
                labels: [("verdict", v.rawValue)])
        }
        files = f
        replayed = registry.makeCounter(
            descriptor: .init(
                namespace: "tangle", metricName: "replayed_records", unitName: "total", helpText: "Records written again for files recovered after a crash."))
        errors = registry.makeCounter(
            descriptor: .init(
                namespace: "tangle", metricName: "errors", unitName: "total", helpText: "Errors: log writes that failed, files that could not be moved."))
        latency = registry.makeValueHistogram(
            descriptor: .init(namespace: "tangle", metricName: "judge_latency", unitName: "seconds", helpText: "Seconds from reading a file to its verdict."),
            buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5])
        waiting = registry.makeGauge(
            descriptor: .init(namespace: "tangle", metricName: "queue_depth", unitName: "", helpText: "Files waiting in the inbox (seen, not yet judged)."))
    }

    /// Counts one record.
    public func record(_ r: VerdictRecord) {
        files[r.verdict]?.increment()
        if r.replayed == true { replayed.increment() }
        latency.record(r.latencyMs / 1000)
    }

    /// Counts an error.
    public func error() { errors.increment() }

    /// Sets the number of files waiting.
    public func setWaiting(_ n: Int) { waiting.set(Double(n)) }

    /// The exposition text.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
