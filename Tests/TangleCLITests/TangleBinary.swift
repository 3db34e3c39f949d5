import Foundation
import TangleTesting
import Testing

/// Runs the built `tangle` binary as a subprocess, for the command-line tests.
enum TangleBinary {
    /// The package root, found from this file's path (Tests/TangleCLITests/TangleBinary.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built binary (see ``BuiltBinary/tangle(packageRoot:)``).
    static let path: String? = BuiltBinary.tangle(packageRoot: packageRoot)

    /// Where runs without a folder of their own start: an empty temporary folder.
    static let scratch = (try? TemporaryFolder.make("run")) ?? NSTemporaryDirectory()

    /// Whether the binary is built.
    static var available: Bool { path != nil }

    /// Why a test is skipped.
    static let skipMessage: Comment = "needs a built tangle binary (.build/debug/tangle: run `swift build` first)"

    /// What one run did.
    struct Outcome {
        /// The exit status.
        var status: Int32
        /// Standard output.
        var stdout: String
        /// Standard error.
        var stderr: String
    }

    /// Runs `tangle arguments` in `directory` (default: a fresh empty temporary folder, so nothing
    /// lands in the repository) with the environment changed by `environment` (nil values remove a
    /// variable); waits at most `timeout` seconds.
    static func run(
        _ arguments: [String], environment: [String: String?] = [:], directory: String? = nil, timeout: Double = 120
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_CORETYPE", "TANGLE_BLAS_REEXEC", "TANGLE_BLAS_TEST_PRETEND_CORE"] { env[name] = nil }
        for (name, value) in environment { env[name] = value }
        process.environment = env
        let work = directory ?? scratch
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        let out = work + "/.stdout-\(UUID().uuidString)", err = work + "/.stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return Outcome(
            status: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// Temporary folders for the tests (never inside the repository).
enum TemporaryFolder {
    /// Makes a new empty folder under the system's temporary folder.
    static func make(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "tangle-cli-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
