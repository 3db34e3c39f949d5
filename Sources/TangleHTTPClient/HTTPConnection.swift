import Foundation
import Glibc

/// One HTTP/1.1 connection to a server on an IPv4 address, kept alive between requests, blocking,
/// with a deadline on every request: the client of `tangle bench http` and of the HTTP tests (no
/// client library, nothing that can wait forever).
///
/// ```swift
/// let c = try HTTPConnection(port: 8080)
/// let r = try c.request("POST", "/v1/judge?name=a.png", body: png)
/// print(r.status, r.text)
/// ```
public final class HTTPConnection {
    /// The address connected to.
    public let host: String
    /// The port.
    public let port: Int
    /// Seconds a request may take, from sending its first byte to reading its last.
    public var timeout: Double
    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host` (dotted IPv4; `localhost` is 127.0.0.1) at `port`.
    /// - Throws: ``HTTPClientError/connect(_:)`` when the connection cannot be made within `timeout` seconds.
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 10) throws(HTTPClientError) {
        self.host = host
        self.port = port
        self.timeout = timeout
        fd = try Self.connect(host: host, port: port, timeout: timeout)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Closes the connection (a later request reconnects).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        buffer = []
    }

    /// Sends one request and reads its response. `Host` and `Content-Length` are added; the connection
    /// is kept unless the server closes it, and made again (once) when a kept connection was closed
    /// by the server before the request.
    /// - Throws: ``HTTPClientError``.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws(HTTPClientError) -> HTTPResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        let reused = fd >= 0
        if fd < 0 { fd = try Self.connect(host: host, port: port, timeout: timeout) }
        do {
            return try exchange(bytes, method: method)
        } catch .closed where reused {
            close()
            fd = try Self.connect(host: host, port: port, timeout: timeout)
            return try exchange(bytes, method: method)
        }
    }

    private func exchange(_ bytes: [UInt8], method: String) throws(HTTPClientError) -> HTTPResponse {
        let deadline = HTTPClock.now() + timeout
        buffer = []
        try send(bytes, deadline: deadline)
        let headEnd = try readUntilHeadEnd(deadline: deadline)
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            close()
            throw .malformed("status line \(headText.prefix(80))")
        }
        var fields: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        var response = HTTPResponse(status: status, headers: fields, body: [])
        buffer.removeFirst(headEnd + 4)
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            // no body
        } else if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            response.body = try readChunked(deadline: deadline)
        } else if let length = response.header("content-length").flatMap({ Int($0) }), length >= 0 {
            try fill(to: length, deadline: deadline)
            response.body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
        } else {
            while try receive(deadline: deadline, endOK: true) {}
            response.body = buffer
            buffer = []
            close()
        }
        if response.header("connection")?.lowercased() == "close" { close() }
        return response
    }

    private func send(_ bytes: [UInt8], deadline: Double) throws(HTTPClientError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard HTTPClock.wait(fd, POLLOUT, until: deadline) else { throw .timeout }
            } else {
                throw .closed
            }
        }
    }

    /// Reads more bytes into the buffer; false at the end of the stream when `endOK`.
    private func receive(deadline: Double, endOK: Bool = false) throws(HTTPClientError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer += chunk[0..<n]
                return true
            }
            if n == 0 || (errno != EAGAIN && errno != EINTR) {
                if endOK { return false }
                throw .closed
            }
            guard HTTPClock.wait(fd, POLLIN, until: deadline) else { throw .timeout }
        }
    }

    private func readUntilHeadEnd(deadline: Double) throws(HTTPClientError) -> Int {
        var searched = 0
        while true {
            if buffer.count >= 4 {
                for i in max(0, searched - 3)...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    return i
                }
                searched = buffer.count
            }
            guard buffer.count < 1 << 20 else { throw .malformed("a response head over 1 MiB") }
            _ = try receive(deadline: deadline)
        }
    }

    private func fill(to count: Int, deadline: Double) throws(HTTPClientError) {
        while buffer.count < count { _ = try receive(deadline: deadline) }
    }

    private func readChunked(deadline: Double) throws(HTTPClientError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd: Int? = nil
            while lineEnd == nil {
                lineEnd = buffer.indices.dropLast().first { buffer[$0] == 13 && buffer[$0 + 1] == 10 }
                if lineEnd == nil { _ = try receive(deadline: deadline) }
            }
            let sizeText = String(decoding: buffer[..<lineEnd!], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { throw .malformed("chunk size \(sizeText)") }
            buffer.removeFirst(lineEnd! + 2)
            if size == 0 {
                // Trailers end with an empty line.
                while true {
                    if buffer.count >= 2, buffer[0] == 13, buffer[1] == 10 {
                        buffer.removeFirst(2)
                        return body
                    }
                    if let e = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                        buffer.removeFirst(e + 2)
                        continue
                    }
                    _ = try receive(deadline: deadline)
                }
            }
            try fill(to: size + 2, deadline: deadline)
            body += buffer[..<size]
            buffer.removeFirst(size + 2)
        }
    }

    /// A connected blocking-with-deadline (non-blocking) TCP socket.
    static func connect(host: String, port: Int, timeout: Double) throws(HTTPClientError) -> Int32 {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else {
            throw .connect("\(host) is not an IPv4 address: give one such as 127.0.0.1")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connect("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 && errno != EINPROGRESS {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .connect("\(host):\(port): \(text)")
        }
        guard HTTPClock.wait(fd, POLLOUT, until: HTTPClock.now() + timeout) else {
            Glibc.close(fd)
            throw .connect("\(host):\(port): no connection within \(timeout) s")
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else {
            Glibc.close(fd)
            throw .connect("\(host):\(port): \(String(cString: strerror(error)))")
        }
        return fd
    }
}

/// A response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields in order.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]

    /// A field's value (the first, case-insensitive name).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request failed.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection (the reason says why).
    case connect(String)
    /// The deadline passed.
    case timeout
    /// The server closed the connection before answering.
    case closed
    /// The response was not HTTP/1.x.
    case malformed(String)

    public var description: String {
        switch self {
        case .connect(let why): "cannot connect: \(why); is the server running on that address and port?"
        case .timeout: "no complete response within the deadline: the server is stuck or slow; raise the timeout to wait longer"
        case .closed: "the server closed the connection before answering"
        case .malformed(let what): "not an HTTP/1.1 response: \(what)"
        }
    }
}

/// A monotonic clock and a wait on a descriptor with a deadline.
public enum HTTPClock {
    /// Monotonic seconds.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes; whether it became ready.
    public static func wait(_ fd: Int32, _ events: Int32, until deadline: Double) -> Bool {
        while true {
            let left = deadline - now()
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: Int16(events), revents: 0)
            let r = poll(&p, 1, Int32(min(left * 1000, 1e9)) + 1)
            if r > 0 { return true }
            if r < 0 && errno != EINTR { return false }
        }
    }
}
