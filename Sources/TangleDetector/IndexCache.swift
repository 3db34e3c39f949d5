import Foundation
import TangleData
import TangleDigest
import TangleDkNN
import TangleNetwork

/// Where neighbour indexes are cached: `$TANGLE_CACHE`, else `$XDG_CACHE_HOME/tangle`, else
/// `~/.cache/tangle`. Index files are keyed by the SHA-256 of the weights, of the training data
/// files and of the index settings, so a stale index is never used: it is rebuilt.
public struct IndexCache: Sendable {
    /// The cache folder.
    public let directory: String

    /// The default folder, or `override` when given.
    public init(override: String? = nil) {
        let env = ProcessInfo.processInfo.environment
        if let override { directory = override } else if let t = env["TANGLE_CACHE"], !t.isEmpty { directory = t } else if let x = env["XDG_CACHE_HOME"], !x.isEmpty {
            directory = (x as NSString).appendingPathComponent("tangle")
        } else {
            directory = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/tangle")
        }
    }

    /// The key of an index: weights, data, settings and the revision of judging's kernels.
    public static func key(weightsSHA256: String, dataSHA256: [String], settings: NeighborIndex.Settings, trainCount: Int) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // a stable text, so the same settings give the same key
        let settingsJSON = (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return SHA256.hex(of: Array((["tangle-index-v1", "kernels-\(Arithmetic.kernelRevision)", weightsSHA256, settingsJSON, "\(trainCount)"] + dataSHA256).joined(separator: "\n").utf8))
    }

    /// The cached index for `key`, or a freshly built one (written to the cache).
    public func index(
        key: String, build: () throws -> NeighborIndex
    ) throws -> (index: NeighborIndex, built: Bool, seconds: Double) {
        let path = (directory as NSString).appendingPathComponent("index-\(key.prefix(24)).tidx")
        if FileManager.default.fileExists(atPath: path), let index = try? NeighborIndex.load(path: path, key: key) {
            return (index, false, 0)
        }
        let t0 = Date()
        let index = try build()
        let seconds = Date().timeIntervalSince(t0)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try index.write(to: path, key: key)
        return (try NeighborIndex.load(path: path, key: key), true, seconds)
    }
}
