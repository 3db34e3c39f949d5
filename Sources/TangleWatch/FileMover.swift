import Foundation
import Glibc

/// Moves files without ever overwriting one: destination names are made unique with a suffix
/// (`name-1.png`, `name-2.png`, …) and a move is `linkat(2)` (which fails with `EEXIST` rather than
/// replace a file) followed by `unlinkat(2)` of the source; both relative to folder descriptors of the
/// root (see ``RootFolders``), never following a link.
enum FileMover {
    /// A name in the folder held by `folder` for `name` that no entry holds and that is not in
    /// `reserved[folder]`; it is added there.
    static func freeName(for name: FileName, in folder: Int32, reserved: inout [Int32: Set<FileName>]) -> FileName {
        var n = 0
        while true {
            let candidate = name.suffixed(n)
            var info = stat()
            if !reserved[folder, default: []].contains(candidate)
                && candidate.withCString({ fstatat(folder, $0, &info, AT_SYMLINK_NOFOLLOW) }) != 0 && errno == ENOENT
            {
                reserved[folder, default: []].insert(candidate)
                return candidate
            }
            n += 1
        }
    }

    /// An error moving a file.
    struct MoveError: Error, CustomStringConvertible {
        var source: String
        var code: Int32
        var description: String {
            "cannot move \(source) (\(WatchError.errnoText(code))): check the root's permissions; the file stays in processing/ and is recovered at the next start"
        }
    }

    /// Moves entry `source` of the folder held by `from` to `name` in the folder held by `to`, or to the
    /// next free suffixed name when that was taken meanwhile.
    /// - Parameter sourcePath: the source's path, for the error.
    /// - Returns: the name the file now has.
    static func move(_ source: FileName, in from: Int32, to folder: Int32, as name: FileName, sourcePath: String) throws(MoveError) -> FileName {
        var target = name
        var n = 0
        while source.withCString({ s in target.withCString { linkat(from, s, folder, $0, 0) } }) != 0 {
            guard errno == EEXIST else { throw MoveError(source: sourcePath, code: errno) }
            n += 1
            target = name.suffixed(n)
        }
        _ = source.withCString { unlinkat(from, $0, 0) }
        return target
    }

    /// Whether `name` is in the folder held by `folder`.
    static func exists(_ name: FileName, in folder: Int32) -> Bool {
        var info = stat()
        return name.withCString { fstatat(folder, $0, &info, AT_SYMLINK_NOFOLLOW) } == 0
    }
}
