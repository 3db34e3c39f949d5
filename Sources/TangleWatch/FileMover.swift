import Foundation
import Glibc

/// Moves files without ever overwriting one: destination names are made unique with a suffix
/// (`name-1.png`, `name-2.png`, …) and a move is `link(2)` (which fails with `EEXIST` rather than
/// replace a file) followed by `unlink(2)` of the source.
enum FileMover {
    /// `name` with `-n` before its extension (`shirt.png` → `shirt-2.png`).
    static func suffixed(_ name: String, _ n: Int) -> String {
        guard n > 0 else { return name }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot])-\(n)\(name[dot...])"
        }
        return "\(name)-\(n)"
    }

    /// A path in `folder` for `name` that no file holds and that is not in `reserved`; it is added to `reserved`.
    static func freePath(for name: String, in folder: String, reserved: inout Set<String>) -> String {
        var n = 0
        while true {
            let path = (folder as NSString).appendingPathComponent(suffixed(name, n))
            var info = stat()
            if !reserved.contains(path) && lstat(path, &info) != 0 && errno == ENOENT {
                reserved.insert(path)
                return path
            }
            n += 1
        }
    }

    /// An error moving a file.
    struct MoveError: Error, CustomStringConvertible {
        var source: String
        var reason: String
        var description: String { "cannot move \(source) (\(reason)): check the root's permissions; the file stays in processing/ and is recovered at the next start" }
    }

    /// Moves `source` to `destination`, or to the next free suffixed name when it was taken meanwhile.
    /// - Returns: the path the file now has.
    static func move(_ source: String, to destination: String) throws(MoveError) -> String {
        var target = destination
        var n = 0
        let folder = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        while link(source, target) != 0 {
            guard errno == EEXIST else { throw MoveError(source: source, reason: WatchError.errnoText()) }
            n += 1
            target = (folder as NSString).appendingPathComponent(suffixed(name, n))
        }
        unlink(source)
        return target
    }
}
