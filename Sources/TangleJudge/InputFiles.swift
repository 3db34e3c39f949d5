import Foundation
import TangleFiles

/// The files `tangle classify` judges for the paths it is given.
///
/// A file stands for itself. A folder stands for every visible file under it, recursively: its own
/// files and those of its subfolders (so a training layout `DIR/<class>/*.png` is judged whole),
/// depth first with names sorted in each folder. Hidden names (`.x`) are skipped, files and folders
/// alike, and symbolic links to folders are not followed.
///
/// A file named directly must be a regular file that can be read: it is opened without blocking
/// (``RegularFile``) and its first byte read, so a FIFO, a device or a file whose read fails
/// (`/proc/self/mem`) is refused at once, before the model is loaded. Files found inside folders
/// are checked when they are judged (a FIFO there becomes a rejected record).
public enum InputFiles {
    /// Why the paths hold nothing to judge.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// A path does not exist.
        case missing(String)
        /// The paths exist but hold no file.
        case nothingFound([String])
        /// A file named directly is not a regular file, or reading it fails.
        case unreadable(FileReadError)

        /// What went wrong and what to do.
        public var description: String {
            switch self {
            case .missing(let p): "\(p) does not exist: check the path"
            case .nothingFound(let paths):
                "no files to judge in \(paths.joined(separator: ", ")): folders are searched with their subfolders for visible "
                    + "files (PNG, JPEG or IDX images; names starting with '.' are skipped); pass image files or folders holding them"
            case .unreadable(let e):
                "cannot judge \(e.path): \(e.reason); pass PNG, JPEG or IDX image files (regular files that can be read) or folders holding them"
            }
        }
    }

    /// The files to judge, in the order given; folders expanded as the type describes.
    /// - Throws: ``Failure/missing(_:)`` for a path that does not exist, ``Failure/unreadable(_:)`` for a file
    ///   named directly that is not a readable regular file, ``Failure/nothingFound(_:)`` when no file is found.
    public static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw Failure.missing(p) }
            if isDir.boolValue {
                collect(p, into: &out)
            } else {
                do { _ = try RegularFile.readPrefix(p, count: 1) } catch { throw Failure.unreadable(error) }
                out.append(p)
            }
        }
        guard !out.isEmpty else { throw Failure.nothingFound(paths) }
        return out
    }

    private static func collect(_ folder: String, into out: inout [String]) {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
            if type == .typeDirectory {
                collect(path, into: &out)
            } else {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { out.append(path) }
            }
        }
    }
}
