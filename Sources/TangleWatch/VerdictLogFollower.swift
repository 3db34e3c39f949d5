import Foundation
import Glibc
import TangleVerdict

/// Reads the records a running `tangle watch` appends to `<root>/verdicts.jsonl`, as they come:
/// the way to know when a file got its record (for tests and `tangle bench watch`).
///
/// A record is in the log once its batch was written and synced, just before the file is moved to its
/// destination folder. Rotation is followed: the rest of the old file is read before the new one.
///
/// ```swift
/// let follower = VerdictLogFollower(root: "watch")
/// let fresh = try follower.poll()   // records appended since the last call
/// ```
public final class VerdictLogFollower {
    /// The log followed.
    public let path: String
    private var fd: Int32 = -1
    private var inode: UInt = 0
    private var pending: [UInt8] = []
    /// Lines skipped so far because they are not verdict records (cut by a crash or edited by hand).
    public private(set) var damagedLines = 0

    /// Follows `<root>/verdicts.jsonl` from its start (pass `fromEnd: true` to skip what is there).
    public init(root: String, fromEnd: Bool = false) {
        path = WatchLayout(root: root).log
        if fromEnd, reopen() { lseek(fd, 0, SEEK_END) }
    }

    deinit { if fd >= 0 { close(fd) } }

    @discardableResult
    private func reopen() -> Bool {
        let f = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)  // never through a link, never blocking on a FIFO
        guard f >= 0 else { return false }
        var info = stat()
        guard fstat(f, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(f)
            return false
        }
        if fd >= 0 { close(fd) }
        fd = f
        inode = UInt(info.st_ino)
        pending = []
        return true
    }

    private func drain() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while fd >= 0 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// The records appended since the last call (complete lines only); a line that is not a verdict
    /// record is skipped and counted in ``damagedLines``.
    public func poll() throws -> [VerdictRecord] {
        if fd < 0 { reopen() }
        var bytes = pending + drain()
        var info = stat()
        if stat(path, &info) == 0, UInt(info.st_ino) != inode, reopen() {
            bytes += drain()  // rotated: the old file was read to its end above
        }
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            pending = bytes
            return []
        }
        pending = Array(bytes[(lastNewline + 1)...])
        let decoder = VerdictRecord.decoder
        var records: [VerdictRecord] = []
        for line in bytes[..<lastNewline].split(separator: UInt8(ascii: "\n")) {
            if let r = try? decoder.decode(VerdictRecord.self, from: Data(line)) { records.append(r) } else { damagedLines += 1 }
        }
        return records
    }
}
