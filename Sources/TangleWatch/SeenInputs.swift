import Foundation

/// The (name, SHA-256) pairs that already have a record in the verdict logs: a recovered file found
/// here gets `replayed: true`, and in flag-only mode such a file is not judged again.
struct SeenInputs {
    struct Key: Hashable {
        var name: String
        var sha256: String
    }

    private struct Line: Decodable {
        struct Input: Decodable {
            var name: String
            var sha256: String
        }
        var input: Input
    }

    private(set) var keys: Set<Key> = []

    /// Whether the input has a record.
    func contains(name: String, sha256: String) -> Bool { keys.contains(Key(name: name, sha256: sha256)) }

    /// Notes a record.
    mutating func insert(name: String, sha256: String) { keys.insert(Key(name: name, sha256: sha256)) }

    /// Reads every record of the logs (unreadable lines, such as a cut last one, are skipped).
    mutating func load(_ files: [String]) {
        let decoder = JSONDecoder()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                if let l = try? decoder.decode(Line.self, from: Data(line)) { insert(name: l.input.name, sha256: l.input.sha256) }
            }
        }
    }
}
