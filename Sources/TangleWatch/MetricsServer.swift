import Foundation
import Glibc

/// A minimal HTTP/1.1 responder for Prometheus scrapes: `GET /metrics` answers the text
/// exposition format, anything else 404. One connection at a time on its own thread (a scrape
/// every few seconds is all it serves); bound to loopback unless told otherwise.
public final class MetricsServer: @unchecked Sendable {
    private let socketFD: Int32
    private let render: @Sendable () -> [UInt8]
    private let stop = StopFlag()
    /// The port it listens on.
    public let port: Int

    /// Binds `address:port` (port 0 picks a free one) and starts serving.
    /// - Throws: ``WatchError`` when the address cannot be bound.
    public init(address: String = "127.0.0.1", port: Int, render: @escaping @Sendable () -> [UInt8]) throws {
        self.render = render
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw WatchError.metrics("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        guard let port16 = UInt16(exactly: port) else { throw WatchError.metrics("\(port) is not a TCP port: choose a --metrics-port from 1 to 65535") }
        addr.sin_port = in_port_t(port16.bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw WatchError.metrics("\(address) is not an IPv4 address: give one like 127.0.0.1 or 0.0.0.0")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WatchError.metrics("cannot listen on \(address):\(port) (\(message)): choose another --metrics-port")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socketFD = fd
        let thread = Thread { [self] in serve() }
        thread.name = "tangle-metrics"
        thread.start()
    }

    /// Stops serving and closes the socket.
    public func shutdown() {
        stop.set()
    }

    private func serve() {
        defer { close(socketFD) }
        while !stop.isSet {
            var p = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { continue }
            respond(client)
            close(client)
        }
    }

    private func respond(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4).elementsEqual("\r\n\r\n".utf8) { break }
        }
        let firstLine = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = firstLine.split(separator: " ")
        let ok = parts.count >= 2 && parts[0] == "GET" && (parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?"))
        let body = ok ? render() : Array("not found: scrape /metrics\n".utf8)
        let head = "HTTP/1.1 \(ok ? "200 OK" : "404 Not Found")\r\nContent-Type: \(ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }
}
