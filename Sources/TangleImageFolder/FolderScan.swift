import Foundation

/// A file the loader did not use, and why.
public struct SkippedFile: Sendable, Equatable, Codable {
    /// Path relative to the folder.
    public var path: String
    /// Why it was skipped, for a person.
    public var reason: String
    /// A short machine category: `"hidden"`, `"symlink"`, `"extension"`, `"not-regular"`,
    /// `"outside-class"`, or an ``TangleImage/ImageError/Kind`` raw value for files that failed
    /// to read or decode.
    public var kind: String

    /// Creates a record.
    public init(path: String, reason: String, kind: String) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }
}

/// The classes and candidate files of an ImageFolder-style directory, found without following
/// symbolic links.
struct FolderScan {
    /// Class names, sorted by Unicode code points (as Python's `sorted` does).
    var classes: [String] = []
    /// Candidate image files: class index and path relative to the root, in sorted order.
    var files: [(label: Int, path: String)] = []
    /// Entries that are not candidates.
    var skipped: [SkippedFile] = []

    /// File name extensions (lower-cased) the loader reads.
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    init(root: String) throws {
        let top = try Self.list(root)
        for name in top {
            let rel = name
            let full = root + "/" + name
            if name.hasPrefix(".") {
                skipped.append(SkippedFile(path: rel, reason: "hidden", kind: "hidden"))
                continue
            }
            switch Self.type(full) {
            case .directory: classes.append(name)
            case .symlink: skipped.append(SkippedFile(path: rel, reason: "symbolic link, not followed", kind: "symlink"))
            default: skipped.append(SkippedFile(path: rel, reason: "not inside a class folder", kind: "outside-class"))
            }
        }
        for (label, name) in classes.enumerated() {
            try walk(root: root, relative: name, label: label)
        }
    }

    private mutating func walk(root: String, relative: String, label: Int) throws {
        for name in try Self.list(root + "/" + relative) {
            let rel = relative + "/" + name
            if name.hasPrefix(".") {
                skipped.append(SkippedFile(path: rel, reason: "hidden", kind: "hidden"))
                continue
            }
            switch Self.type(root + "/" + rel) {
            case .directory: try walk(root: root, relative: rel, label: label)
            case .symlink: skipped.append(SkippedFile(path: rel, reason: "symbolic link, not followed", kind: "symlink"))
            case .regular:
                let ext = (name as NSString).pathExtension.lowercased()
                if Self.extensions.contains(ext) {
                    files.append((label, rel))
                } else {
                    let what = ext.isEmpty ? "no extension" : "extension .\(ext)"
                    skipped.append(SkippedFile(path: rel, reason: "\(what) is not .png, .jpg or .jpeg", kind: "extension"))
                }
            case .other: skipped.append(SkippedFile(path: rel, reason: "not a regular file", kind: "not-regular"))
            }
        }
    }

    enum EntryType { case directory, regular, symlink, other }

    /// The entry's own type (`lstat`: a link is a link, never its target).
    static func type(_ path: String) -> EntryType {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// Entry names of a directory, sorted by Unicode code points.
    static func list(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
                .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        } catch {
            throw ImageFolderError.cannotList(path, (error as NSError).localizedDescription)
        }
    }
}
