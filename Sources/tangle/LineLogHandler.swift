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
            line = ([time, "\(event.level)", Self.escaped("\(event.message)")] + pairs).joined(separator: " ")
        case .json:
            var object: [String: String] = ["time": time, "level": "\(event.level)", "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            line = (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A value as one token: control characters (newlines, escape sequences) and backslashes escaped,
    /// and quoted when it holds a space, a quote, `=` or anything escaped, so a file name can never
    /// start a line of its own or move the terminal's cursor.
    static func quoted(_ value: String) -> String {
        let escaped = Self.escaped(value)
        let plain = escaped == value && !value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) && !value.isEmpty
        return plain ? value : "\"\(escaped.replacingOccurrences(of: "\"", with: "\\\""))\""
    }

    /// `value` with backslashes doubled and control characters (C0, DEL, C1, line and paragraph
    /// separators) written as `\n`, `\r`, `\t` or `\u{XX}`.
    static func escaped(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func timestamp() -> String { RFC3339.milliseconds() }
}
