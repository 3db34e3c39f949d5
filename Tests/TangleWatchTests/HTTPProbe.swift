import Foundation
import Glibc

/// Plain TCP clients for the metrics tests: idle and half-sent connections, and a GET with a deadline
/// (no client library, nothing that can wait forever).
enum HTTPProbe {
    /// What a GET brought back.
    struct Answer {
        /// Everything received (head and body), empty when nothing came.
        var text: String
        /// Seconds from the connect to the last byte (or to giving up).
        var seconds: Double
        /// Whether the server closed the connection after answering (rather than the deadline passing).
        var complete: Bool

        /// The status code of the first line, nil when there was none.
        var status: Int? {
            let first = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
            return first.count >= 2 && first[0].hasPrefix("HTTP/1.") ? Int(first[1]) : nil
        }

        /// The body (after the blank line).
        var body: String {
            guard let r = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[r.upperBound...])
        }

        /// A header's value (case-insensitive name).
        func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// A non-blocking TCP socket connecting to 127.0.0.1:`port` (the connect may still be in progress).
    static func startConnect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 && errno != EINPROGRESS {
            close(fd)
            return -1
        }
        return fd
    }

    /// Waits up to `timeout` seconds for `fd` to be ready for `events`; whether it became so.
    static func wait(_ fd: Int32, _ events: Int32, timeout: Double) -> Bool {
        let deadline = now() + timeout
        while true {
            let left = deadline - now()
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: Int16(events), revents: 0)
            let r = poll(&p, 1, Int32(left * 1000) + 1)
            if r > 0 { return true }
            if r < 0 && errno != EINTR { return false }
        }
    }

    /// Opens `count` connections that never send anything; waits (up to `settle` seconds overall) for
    /// them to be established. Returns the descriptors (the caller closes them).
    static func idleConnections(_ count: Int, port: Int, settle: Double = 3) -> [Int32] {
        let fds = (0..<count).map { _ in startConnect(port: port) }.filter { $0 >= 0 }
        let deadline = now() + settle
        for fd in fds { _ = wait(fd, POLLOUT, timeout: max(0, deadline - now())) }
        return fds
    }

    /// Sends all of `bytes` on a connected socket (giving up after `timeout` seconds).
    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8], timeout: Double = 5) -> Bool {
        var sent = 0
        let deadline = now() + timeout
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(fd, POLLOUT, timeout: deadline - now()) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// Reads until the server closes the connection or `timeout` seconds pass.
    static func readAll(_ fd: Int32, timeout: Double) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = now() + timeout
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                out += chunk[0..<n]
            } else if n == 0 {
                return (out, true)
            } else if errno == EAGAIN || errno == EINTR {
                guard wait(fd, POLLIN, timeout: deadline - now()) else { return (out, false) }
            } else {
                return (out, true)  // a reset also ends it
            }
        }
    }

    /// Sends `request` (by default `GET path HTTP/1.1`) on a new connection and reads the answer, all
    /// within `timeout` seconds.
    static func get(port: Int, path: String = "/metrics", request: String? = nil, timeout: Double = 5) -> Answer {
        let start = now()
        let fd = startConnect(port: port)
        guard fd >= 0 else { return Answer(text: "", seconds: now() - start, complete: false) }
        defer { close(fd) }
        guard wait(fd, POLLOUT, timeout: timeout) else { return Answer(text: "", seconds: now() - start, complete: false) }
        let text = request ?? "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: tangle-test\r\n\r\n"
        guard send(fd, Array(text.utf8), timeout: timeout - (now() - start)) else {
            return Answer(text: "", seconds: now() - start, complete: false)
        }
        let (bytes, closed) = readAll(fd, timeout: timeout - (now() - start))
        return Answer(text: String(decoding: bytes, as: UTF8.self), seconds: now() - start, complete: closed)
    }
}
