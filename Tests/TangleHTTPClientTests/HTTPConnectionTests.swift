import Foundation
import Glibc
import Testing

@testable import TangleHTTPClient

/// A one-connection server on a free loopback port that answers each request with the next canned
/// response (as raw bytes), on its own thread.
final class CannedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private var requests: [String] = []
    private let lock = NSLock()

    init(responses: [String]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            var pending: [UInt8] = []
            for response in responses {
                // Read one request head (and a Content-Length body).
                while true {
                    if let head = String(decoding: pending, as: UTF8.self).range(of: "\r\n\r\n") {
                        let text = String(decoding: pending, as: UTF8.self)
                        let headText = String(text[..<head.lowerBound])
                        let length = headText.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                        let total = headText.utf8.count + 4 + length
                        if pending.count >= total {
                            lock.withLock { requests.append(String(decoding: pending[..<total], as: UTF8.self)) }
                            pending.removeFirst(total)
                            break
                        }
                    }
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let n = recv(fd, &chunk, chunk.count, 0)
                    guard n > 0 else {
                        close(fd)
                        return
                    }
                    pending += chunk[0..<n]
                }
                if response == "SILENT" {
                    sleep(3)
                    break
                }
                _ = Array(response.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            close(fd)
        }.start()
    }

    deinit { close(listener) }

    var received: [String] { lock.withLock { requests } }
}

@Suite struct HTTPConnectionTests {
    @Test("Reads Content-Length and chunked bodies on one kept connection, and sends bodies with their length")
    func bodies() throws {
        let server = try CannedServer(responses: [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n",
            "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ])
        let c = try HTTPConnection(port: server.port, timeout: 5)
        let a = try c.request("GET", "/one")
        #expect(a.status == 200 && a.text == "hello" && a.header("x-a") == "b")
        let b = try c.request("POST", "/two", headers: [("X-T", "1")], body: Array("payload".utf8))
        #expect(b.status == 201 && b.text == "abcdefg")
        let d = try c.request("GET", "/three")
        #expect(d.status == 413 && d.body.isEmpty)
        let requests = server.received
        #expect(requests.count == 3)
        #expect(requests[1].hasPrefix("POST /two HTTP/1.1\r\n") && requests[1].contains("Content-Length: 7\r\n") && requests[1].hasSuffix("payload"))
    }

    @Test("A silent server times out; a closed port is a connection error that says what to check")
    func failures() throws {
        let server = try CannedServer(responses: ["SILENT"])
        let c = try HTTPConnection(port: server.port, timeout: 0.5)
        #expect(throws: HTTPClientError.timeout) { try c.request("GET", "/") }
        // A port nobody listens on: bound, then closed without listening.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let closedPort = Int(UInt16(bigEndian: addr.sin_port))
        close(fd)
        #expect(throws: HTTPClientError.self) { try HTTPConnection(port: closedPort, timeout: 1) }
        #expect(HTTPClientError.connect("x").description.contains("is the server running"))
        #expect(throws: HTTPClientError.connect("example.com is not an IPv4 address: give one such as 127.0.0.1")) {
            try HTTPConnection(host: "example.com", port: 80)
        }
    }
}
