import Glibc

/// Memory figures of a running process, read from `/proc/<pid>/status`.
public struct ProcStatus: Sendable, Equatable {
    /// The resident set size now (`VmRSS`), KiB.
    public var rssKiB: Int
    /// The peak resident set size (`VmHWM`), KiB.
    public var peakRssKiB: Int

    /// Reads the figures of `pid`; nil when the process is gone or `/proc` is not mounted.
    public static func read(pid: pid_t) -> ProcStatus? {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses the text of a status file (`VmRSS:   1234 kB` lines).
    static func parse(_ text: String) -> ProcStatus? {
        var rss: Int?
        var peak: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let value = Int(parts[1]) else { continue }
            if parts[0] == "VmRSS:" { rss = value }
            if parts[0] == "VmHWM:" { peak = value }
        }
        guard let rss, let peak else { return nil }
        return ProcStatus(rssKiB: rss, peakRssKiB: peak)
    }
}
