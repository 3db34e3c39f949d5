import Foundation
import TangleVerdict
import Logging

/// Human logs on stderr: `time level message key=value …`, or one JSON object per line.
struct LineLogHandler: LogHandler {
    /// The output format.
    enum Format: String, Sendable {
        case text, json
    }

    let format: Format
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    init(label: String, format: Format) {
        self.format = format
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        let line: String
        switch format {
        case .text:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoted("\($0.value)"))" }
            line = ([time, "\(event.level)", "\(event.message)"] + pairs).joined(separator: " ")
        case .json:
            var object: [String: String] = ["time": time, "level": "\(event.level)", "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            line = (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }

    private static func timestamp() -> String { RFC3339.milliseconds() }
}
