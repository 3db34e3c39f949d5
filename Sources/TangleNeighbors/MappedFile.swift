import Foundation

/// A read-only memory-mapped file. The mapping lives as long as the object.
public final class MappedFile: @unchecked Sendable {
    /// The first byte.
    public let bytes: UnsafeRawPointer
    /// The file's size.
    public let size: Int

    /// Maps `path` read-only.
    /// - Throws: ``MappedFileError`` when it cannot be opened or mapped.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MappedFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError(path: path, reason: String(cString: strerror(errno))) }
        size = Int(st.st_size)
        guard size > 0 else { throw MappedFileError(path: path, reason: "the file is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw MappedFileError(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes), size) }
}

/// Why a file could not be mapped.
public struct MappedFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The system's reason.
    public var reason: String
    public var description: String { "cannot map \(path) (\(reason)); delete it to have it rebuilt" }
}
