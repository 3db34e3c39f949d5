import Foundation

/// Finds the built `tangle` binary for tests that run it as a subprocess.
public enum BuiltBinary {
    /// The binary under `packageRoot`: `$TANGLE_BINARY`; else `.build/release/tangle` when it is newer than
    /// every source file (a release build judges ~10x faster); else `.build/debug/tangle`, which `swift
    /// test` builds; nil when none is built.
    public static func tangle(packageRoot: String) -> String? {
        let fm = FileManager.default
        if let b = ProcessInfo.processInfo.environment["TANGLE_BINARY"], fm.isExecutableFile(atPath: b) { return b }
        func mtime(_ p: String) -> Date { ((try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? .distantPast }
        let release = "\(packageRoot)/.build/release/tangle"
        let debug = "\(packageRoot)/.build/debug/tangle"
        if fm.isExecutableFile(atPath: release) {
            let sources = fm.enumerator(atPath: "\(packageRoot)/Sources")?.compactMap { $0 as? String } ?? []
            let newestSource = sources.map { mtime("\(packageRoot)/Sources/\($0)") }.max() ?? .distantPast
            if mtime(release) >= newestSource { return release }
        }
        return fm.isExecutableFile(atPath: debug) ? debug : nil
    }
}
