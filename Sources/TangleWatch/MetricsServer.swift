import Foundation
import Glibc

/// A minimal HTTP/1.1 responder for Prometheus scrapes: `GET /metrics` (or `HEAD`) answers the
/// text exposition format, any other path 404, any other method 405. Bound to loopback unless told
/// otherwise.
///
/// One thread serves every connection at once: a `poll(2)` loop over the listening socket (accepted
/// without blocking), a wake-up pipe and each open connection, all non-blocking, so an idle or slow
/// client never delays another. Each connection has a deadline (see ``Limits``): it must send a
/// complete request head within ``Limits/headSeconds`` and take the whole response within
/// ``Limits/writeSeconds``, or it is closed (a partial request is answered 408 first, best effort).
/// A request head longer than ``Limits/maxHeadBytes`` is answered 431. The response is built at
/// once and written as the socket takes it; once written, the connection is shut for writing and
/// closed when the client closes its side (at most a second later). At most
/// ``Limits/maxConnections`` connections are open: a new one then closes an answered one, else the
/// oldest still waiting for its request, else the oldest. Every answer carries `Content-Length`
/// and `Connection: close`.
public final class MetricsServer: @unchecked Sendable {
    /// Bounds on what one connection may hold.
    public struct Limits: Sendable, Equatable {
        /// Seconds from the connection to a complete request head (5 by default).
        public var headSeconds: Double
        /// Seconds from the request to the last byte of the answer taken by the client (5 by default).
        public var writeSeconds: Double
        /// Bytes of a request head, terminating blank line included (8 KiB by default).
        public var maxHeadBytes: Int
        /// Connections open at once (256 by default); at least 1.
        public var maxConnections: Int

        /// The given bounds (each defaulted).
        public init(headSeconds: Double = 5, writeSeconds: Double = 5, maxHeadBytes: Int = 8192, maxConnections: Int = 256) {
            self.headSeconds = headSeconds
            self.writeSeconds = writeSeconds
            self.maxHeadBytes = maxHeadBytes
            self.maxConnections = max(1, maxConnections)
        }
    }

    private let socketFD: Int32
    /// The wake-up pipe: ``shutdown()`` writes to `wake[1]`, the loop polls `wake[0]`.
    private let wake: (read: Int32, write: Int32)
    private let render: @Sendable () -> [UInt8]
    private let stop = StopFlag()
    private let finished = DispatchSemaphore(value: 0)
    /// The port it listens on.
    public let port: Int
    /// The bounds it serves under.
    public let limits: Limits

    /// Binds `address:port` (port 0 picks a free one) and starts serving on its own thread.
    /// - Throws: ``WatchError`` when the address cannot be bound.
    public init(
        address: String = "127.0.0.1", port: Int, limits: Limits = Limits(), render: @escaping @Sendable () -> [UInt8]
    ) throws {
        self.render = render
        self.limits = limits
        guard let port16 = UInt16(exactly: port) else { throw WatchError.metrics("\(port) is not a TCP port: choose a --metrics-port from 1 to 65535") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw WatchError.metrics("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(port16.bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw WatchError.metrics("\(address) is not an IPv4 address: give one like 127.0.0.1 or 0.0.0.0")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WatchError.metrics("cannot listen on \(address):\(port) (\(message)): choose another --metrics-port")
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WatchError.metrics("cannot make a wake-up pipe: \(message)")
        }
        for p in pipeFDs { Self.makeNonBlocking(p) }
        wake = (pipeFDs[0], pipeFDs[1])
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socketFD = fd
        let thread = Thread { [self] in serve() }
        thread.name = "tangle-metrics"
        thread.start()
    }

    /// Stops serving: closes the listening socket and every open connection, and returns once the
    /// serving thread has done so (at most about a second). Calling it again does nothing.
    public func shutdown() {
        guard !stop.isSet else { return }
        stop.set()
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        _ = finished.wait(timeout: .now() + 1)
    }

    // MARK: - The loop (only the serving thread touches what follows)

    /// One open connection.
    private struct Connection {
        enum Phase {
            /// Collecting the request head.
            case reading
            /// Writing `response` from `sent` on.
            case writing
            /// Answered and shut for writing: reading (and dropping) what the client still sends
            /// until it closes, so closing does not reset the connection under the answer.
            case lingering
        }

        let fd: Int32
        let opened: UInt64
        var phase = Phase.reading
        var deadline: UInt64
        var request: [UInt8] = []
        var response: [UInt8] = []
        var sent = 0
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC` on a descriptor.
    private static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Monotonic nanoseconds.
    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    private func serve() {
        var connections: [Int32: Connection] = [:]
        defer {
            for fd in connections.keys { close(fd) }
            close(socketFD)
            close(wake.read)
            close(wake.write)
            finished.signal()
        }
        var fds: [pollfd] = []
        while !stop.isSet {
            let now = Self.now()
            // Deadlines first: a connection past its own is closed (a partial request hears 408).
            for (fd, c) in connections where c.deadline <= now {
                if c.phase == .reading && !c.request.isEmpty {
                    _ = Self.sendOnce(fd, Self.answer(status: "408 Request Timeout", body: "request head not complete in time\n"))
                }
                close(fd)
                connections[fd] = nil
            }
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0))
            var nearest = now + 1_000_000_000
            for (fd, c) in connections {
                fds.append(pollfd(fd: fd, events: Int16(c.phase == .writing ? POLLOUT : POLLIN), revents: 0))
                nearest = min(nearest, c.deadline)
            }
            let timeout = Int32(clamping: (nearest > now ? nearest - now : 0) / 1_000_000 + 1)
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { usleep(10_000) }
            guard ready > 0, !stop.isSet else { continue }
            for p in fds.dropFirst(2) where p.revents != 0 {
                guard var c = connections[p.fd] else { continue }
                let open: Bool
                switch c.phase {
                case .reading: open = receive(&c)
                case .writing: open = transmit(&c)
                case .lingering: open = drain(c)
                }
                if open {
                    connections[p.fd] = c
                } else {
                    close(p.fd)
                    connections[p.fd] = nil
                }
            }
            if fds[1].revents != 0 { acceptPending(into: &connections) }
        }
    }

    /// Accepts every pending connection, making room by closing the oldest when at the limit.
    private func acceptPending(into connections: inout [Int32: Connection]) {
        for _ in 0..<1024 {
            let fd = Glibc.accept(socketFD, nil, nil)
            guard fd >= 0 else { return }  // EAGAIN: none left; anything else (EMFILE...): try on the next round
            Self.makeNonBlocking(fd)
            if connections.count >= limits.maxConnections {
                // Answered ones first, then the oldest waiting for its request, then the oldest.
                let answered = connections.values.filter { $0.phase == .lingering }
                let waiting = connections.values.filter { $0.phase == .reading }
                let pool = !answered.isEmpty ? answered : (!waiting.isEmpty ? waiting : Array(connections.values))
                if let oldest = pool.min(by: { $0.opened < $1.opened }) {
                    close(oldest.fd)
                    connections[oldest.fd] = nil
                }
            }
            let now = Self.now()
            connections[fd] = Connection(fd: fd, opened: now, deadline: now + Self.nanoseconds(limits.headSeconds))
        }
    }

    /// Reads what the client sent; once the head is complete, builds the answer and starts writing.
    /// Returns whether the connection stays open.
    private func receive(_ c: inout Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            guard n > 0 else { return false }  // closed before a complete head, or an error
            let searchFrom = max(0, c.request.count - 3)
            c.request += chunk[0..<n]
            if let end = Self.headEnd(c.request, from: searchFrom) {
                guard end <= limits.maxHeadBytes else { return startAnswer(&c, Self.tooLarge(limits)) }
                return startAnswer(&c, respond(to: c.request[..<end]))
            }
            if c.request.count > limits.maxHeadBytes { return startAnswer(&c, Self.tooLarge(limits)) }
        }
    }

    /// Where the head ends (just past its blank line: CRLF CRLF, or LF LF from a lax client), searching from `from`.
    static func headEnd(_ bytes: [UInt8], from: Int) -> Int? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = max(from, 1)
        while i < bytes.count {
            if bytes[i] == lf {
                if bytes[i - 1] == lf { return i + 1 }
                if i >= 2 && bytes[i - 1] == cr && bytes[i - 2] == lf { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    private static func tooLarge(_ limits: Limits) -> [UInt8] {
        answer(status: "431 Request Header Fields Too Large", body: "request head longer than \(limits.maxHeadBytes) bytes\n")
    }

    private func startAnswer(_ c: inout Connection, _ bytes: [UInt8]) -> Bool {
        c.phase = .writing
        c.request = []
        c.response = bytes
        c.sent = 0
        c.deadline = Self.now() + Self.nanoseconds(limits.writeSeconds)
        return transmit(&c)
    }

    /// Writes as much of the answer as the socket takes, then lingers. Returns whether the connection stays open.
    private func transmit(_ c: inout Connection) -> Bool {
        while c.sent < c.response.count {
            let n = c.response[c.sent...].withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            guard n > 0 else { return false }
            c.sent += n
        }
        // All written: say so, and wait (briefly) for the client to close its side.
        Glibc.shutdown(c.fd, Int32(SHUT_WR))
        c.phase = .lingering
        c.response = []
        c.deadline = min(c.deadline, Self.now() + Self.lingerNanoseconds)
        return drain(c)
    }

    /// How long an answered connection waits for the client to close before it is closed anyway.
    private static let lingerNanoseconds: UInt64 = 1_000_000_000

    /// Reads and drops what an answered client sends. Returns whether it is still open.
    private func drain(_ c: Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
    }

    /// One non-blocking attempt to send `bytes` (for a parting 408).
    private static func sendOnce(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// The answer to a request head.
    func respond(to head: ArraySlice<UInt8>) -> [UInt8] {
        let firstLine = String(decoding: head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = firstLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return Self.answer(status: "400 Bad Request", body: "expected a request line like GET /metrics HTTP/1.1\n")
        }
        let method = parts[0], target = parts[1]
        let isMetrics = target == "/metrics" || target.hasPrefix("/metrics?")
        guard method == "GET" || method == "HEAD" else {
            return Self.answer(status: "405 Method Not Allowed", body: "only GET and HEAD are served\n", extra: "Allow: GET, HEAD\r\n")
        }
        let withBody = method == "GET"
        guard isMetrics else { return Self.answer(status: "404 Not Found", body: "not found: scrape /metrics\n", withBody: withBody) }
        return Self.answer(status: "200 OK", contentType: "text/plain; version=0.0.4; charset=utf-8", body: render(), withBody: withBody)
    }

    /// A complete HTTP/1.1 answer: status line, `Content-Type`, `Content-Length`, `Connection: close` and the body (unless `HEAD`).
    static func answer(
        status: String, contentType: String = "text/plain; charset=utf-8", body: String, extra: String = "", withBody: Bool = true
    ) -> [UInt8] {
        answer(status: status, contentType: contentType, body: Array(body.utf8), extra: extra, withBody: withBody)
    }

    static func answer(status: String, contentType: String, body: [UInt8], extra: String = "", withBody: Bool = true) -> [UInt8] {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\(extra)Connection: close\r\n\r\n"
        return withBody ? Array(head.utf8) + body : Array(head.utf8)
    }
}
