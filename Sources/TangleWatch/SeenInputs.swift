import Foundation
import Glibc

/// The (name, SHA-256) pairs that already have a record in the verdict logs: a recovered file found
/// here gets `replayed: true`, and in flag-only mode such a file is not judged again. Names are the
/// exact bytes (`input.name_base64` when a record has it). ``refresh(_:)`` reads only what was
/// appended to `verdicts.jsonl` since the last read, so daemons sharing a root see each other's records.
struct SeenInputs {
    struct Key: Hashable {
        var name: [UInt8]
        var sha256: String
    }

    private struct Line: Decodable {
        struct Input: Decodable {
            var name: String
            var nameBase64: String?
            var sha256: String
            enum CodingKeys: String, CodingKey {
                case name, sha256
                case nameBase64 = "name_base64"
            }
        }
        var input: Input
        /// `http` for an image posted to the server: not an inbox file.
        var source: String?
    }

    private(set) var keys: Set<Key> = []
    /// The current log's inode and the offset read up to (the end of its last complete line).
    private var inode: UInt = 0
    private var offset = 0

    /// Whether the input has a record.
    func contains(name: FileName, sha256: String) -> Bool { keys.contains(Key(name: name.bytes, sha256: sha256)) }

    /// Notes a record.
    mutating func insert(name: FileName, sha256: String) { keys.insert(Key(name: name.bytes, sha256: sha256)) }

    /// Reads every record of the root's logs (unreadable lines, such as a cut last one, are skipped).
    mutating func load(_ root: RootFolders) {
        for name in root.logNames() {
            guard let bytes = root.readRootFile(name) else { continue }
            let used = take(bytes)
            if name == RootFolders.log {
                inode = Self.inode(root)
                offset = used
            }
        }
    }

    /// Reads the records appended to `verdicts.jsonl` since the last read; everything again when it
    /// was rotated meanwhile.
    mutating func refresh(_ root: RootFolders) {
        let current = Self.inode(root)
        guard current == inode else {
            offset = 0
            load(root)
            return
        }
        guard let bytes = root.readRootFile(RootFolders.log, from: offset) else { return }
        offset += take(bytes)
    }

    /// Takes the complete lines of `bytes`. - Returns: how many bytes they span.
    private mutating func take(_ bytes: [UInt8]) -> Int {
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return 0 }
        let decoder = JSONDecoder()
        for line in bytes[...end].split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let l = try? decoder.decode(Line.self, from: Data(line)), l.source == nil else { continue }
            let name = l.input.nameBase64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? Array(l.input.name.utf8)
            keys.insert(Key(name: name, sha256: l.input.sha256))
        }
        return end + 1
    }

    private static func inode(_ root: RootFolders) -> UInt {
        var info = stat()
        return fstatat(root.rootFD, RootFolders.log, &info, AT_SYMLINK_NOFOLLOW) == 0 ? UInt(info.st_ino) : 0
    }
}
