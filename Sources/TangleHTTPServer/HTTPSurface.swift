import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization
import TangleFiles
import TangleVerdict
import TangleWatch

/// The daemon's HTTP server (Hummingbird 2 on SwiftNIO). It listens at once, before the model and
/// index are loaded, and serves:
///
/// | route | answer |
/// | --- | --- |
/// | `GET /healthz` | 200 while the process lives |
/// | `GET /readyz` | 200 once the model, calibration, index and log are ready; else 503 `{"reason": …}` |
/// | `GET /metrics` | the Prometheus metrics |
/// | `POST /v1/judge[?name=NAME]` | the verdict record of the posted PNG or JPEG (413, 415, 422, 429, 503) |
/// | `GET /v1/records?verdict=&since=&limit=` | `{"records": […]}`, newest first |
/// | `GET /v1/images/{id}` | the image a record judged |
/// | `GET /v1/summary` | counts, hours, scores, the model and calibration |
/// | `GET /v1/charts/{name}` | an SVG chart of the model folder |
/// | `GET /` | the page |
///
/// With a token (always off loopback), every route but `/healthz` and `/readyz` needs it.
public final class HTTPSurface: Sendable {
    /// How it listens.
    public let options: HTTPServerOptions
    let readiness: Readiness
    let queue: JudgingQueue
    let metrics: WatchMetrics?
    /// The followed log.
    public let records: RecordStore
    /// The images of records.
    public let images: JudgedImages
    private let model = Mutex<(summary: ModelSummary, folder: String)?>(nil)
    private let logger: Logger

    /// A server for the daemon on `root`.
    /// - Parameters:
    ///   - options: address, port, token, bounds (checked with ``HTTPServerOptions/validate()``).
    ///   - root: the watched root.
    ///   - readiness: what `/readyz` reports.
    ///   - queue: where posted images wait for the worker.
    ///   - metrics: what `/metrics` renders.
    ///   - logger: where the server logs.
    public init(options: HTTPServerOptions, root: String, readiness: Readiness, queue: JudgingQueue, metrics: WatchMetrics?, logger: Logger) {
        self.options = options
        self.readiness = readiness
        self.queue = queue
        self.metrics = metrics
        records = RecordStore(root: root)
        images = JudgedImages(root: root, maxBytes: max(options.maxBodyBytes, 64 << 20))
        self.logger = logger
    }

    /// Shows the model and calibration on the page, and serves the SVG charts of its folder.
    public func setModel(_ summary: ModelSummary, folder: String) { model.withLock { $0 = (summary, folder) } }

    /// Serves until cancelled; calls `listening` with the bound port once it listens.
    /// - Throws: ``HTTPServerError/bind(address:port:reason:)`` when it cannot listen.
    public func run(listening: @escaping @Sendable (Int) -> Void) async throws {
        try options.validate()
        let router = Router()
        router.add(middleware: Guard(token: options.token))
        addRoutes(router)
        var quietLogger = logger
        quietLogger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.idleTimeoutSeconds)))),
            configuration: .init(
                address: .hostname(options.address, port: options.port), serverName: "tangle", backlog: 256,
                availableConnectionsDelegate: MaximumAvailableConnections(options.maxConnections, logger: quietLogger)),
            onServerRunning: { channel in listening(channel.localAddress?.port ?? 0) },
            logger: quietLogger)
        do { try await app.run() } catch let error as IOError {
            throw HTTPServerError.bind(address: options.address, port: options.port, reason: error.description)
        }
    }

    // MARK: Routes

    private func addRoutes(_ router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in Self.json(.ok, #"{"status":"alive"}"#) }
        router.get("readyz") { [readiness] _, _ in
            if let reason = readiness.reason { return Self.json(.serviceUnavailable, Self.object(["reason": reason])) }
            return Self.json(.ok, #"{"status":"ready"}"#)
        }
        router.get("metrics") { [metrics] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics?.render() ?? [])))
        }
        router.post("v1/judge") { [self] request, _ in try await judge(request) }
        router.get("v1/records") { [self] request, _ in try listRecords(request) }
        router.get("v1/images/:id") { [self] _, context in
            let id = context.parameters.get("id") ?? ""
            guard JudgedImages.isRecordID(id), let entry = records.entry(id: id), let image = images.image(of: entry) else {
                return Self.json(.notFound, Self.object(["error": "no image for that record id: it is not among the recent records, or its file moved, changed or is not a PNG or JPEG"]))
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: image.mediaType, .cacheControl: "private, max-age=3600", .init("X-Content-Type-Options")!: "nosniff",
                    .contentSecurityPolicy: "default-src 'none'; sandbox",
                ], body: .init(byteBuffer: ByteBuffer(bytes: image.bytes)))
        }
        router.get("v1/summary") { [self] _, _ in try summary() }
        router.get("v1/charts/:name") { [self] _, context in chart(context.parameters.get("name") ?? "") }
        router.get("/") { _, _ in Self.asset(Page.html, type: "text/html; charset=utf-8") }
        router.get("page.js") { _, _ in Self.asset(Page.script, type: "text/javascript; charset=utf-8") }
        router.get("page.css") { _, _ in Self.asset(Page.style, type: "text/css; charset=utf-8") }
    }

    /// `POST /v1/judge`.
    private func judge(_ request: Request) async throws -> Response {
        if let reason = readiness.reason { return Self.json(.serviceUnavailable, Self.object(["reason": reason])) }
        let name = request.uri.queryParameters.get("name").map { String($0) } ?? "upload"
        guard Self.isAcceptableName(name) else {
            return Self.json(.badRequest, Self.object(["error": "name must be 1 to 255 bytes of UTF-8 without '/' or control characters"]))
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBodyBytes {
            return tooLarge()
        }
        let bytes: [UInt8]
        do {
            let body = request.body
            let limit = options.maxBodyBytes
            let buffer = try await Self.withDeadline(options.bodyTimeoutSeconds) { try await body.collect(upTo: limit) }
            bytes = Array(buffer.readableBytesView)
        } catch is DeadlinePassed {
            return Self.json(.requestTimeout, Self.object(["error": "the body did not arrive within \(Int(options.bodyTimeoutSeconds)) s"]))
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            return tooLarge()
        }
        guard JudgedImages.typed(bytes) != nil else {
            return Self.json(
                .unsupportedMediaType,
                Self.object(["error": bytes.isEmpty ? "the body is empty: post the image file's bytes" : "the body is neither a PNG nor a JPEG (by its first bytes)"]))
        }
        let outcome: JudgingQueue.Outcome? = try? await Self.withDeadline(options.verdictTimeoutSeconds) { [queue] in await queue.submit(bytes, name: name) }
        switch outcome {
        case .judged(let record, let line)?:
            images.remember(id: record.id, bytes: bytes)
            return Self.json(record.verdict == .rejected ? .unprocessableContent : .ok, line)
        case .full?:
            var r = Self.json(.tooManyRequests, Self.object(["error": "the judging queue is full (\(queue.capacity) images): retry shortly"]))
            r.headers[.retryAfter] = "1"
            return r
        case .stopped?:
            return Self.json(.serviceUnavailable, Self.object(["reason": "the daemon is stopping"]))
        case nil:
            return Self.json(
                .serviceUnavailable,
                Self.object(["reason": readiness.reason ?? "no verdict within \(Int(options.verdictTimeoutSeconds)) s; it may still be judged and logged"]))
        }
    }

    private func tooLarge() -> Response {
        Self.json(.contentTooLarge, Self.object(["error": "the body is over the limit of \(options.maxBodyBytes) bytes (--http-max-body-bytes)"]))
    }

    /// `GET /v1/records`.
    private func listRecords(_ request: Request) throws -> Response {
        let q = request.uri.queryParameters
        let verdict = q.get("verdict").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let verdict, Verdict(rawValue: verdict) == nil {
            return Self.json(.badRequest, Self.object(["error": "verdict takes in-distribution, outlier, adversarial or rejected"]))
        }
        let since = q.get("since").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let since, since.count > 40 || since.contains(where: { !($0.isASCII && ($0.isNumber || "-:.TZ+".contains($0))) }) {
            return Self.json(.badRequest, Self.object(["error": "since takes an RFC 3339 time such as 2026-12-02T10:00:00.000Z"]))
        }
        var limit = 100
        if let l = q.get("limit") {
            guard let n = Int(l), (1...1000).contains(n) else { return Self.json(.badRequest, Self.object(["error": "limit takes 1 to 1000"])) }
            limit = n
        }
        let lines = records.records(verdict: verdict, since: since, limit: limit).map(\.line)
        return Self.json(.ok, #"{"records":["# + lines.joined(separator: ",") + "]}")
    }

    /// `GET /v1/summary`.
    private func summary() throws -> Response {
        struct Body: Encodable {
            var ready: Bool
            var reason: String?
            var summary: RecordStore.Summary
            var model: ModelSummary?
        }
        let body = Body(ready: readiness.isReady, reason: readiness.reason, summary: records.summary(), model: model.withLock { $0?.summary })
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return Self.json(.ok, String(decoding: try encoder.encode(body), as: UTF8.self))
    }

    /// `GET /v1/charts/{name}`: an SVG the model summary lists, from the model folder.
    private func chart(_ name: String) -> Response {
        guard let (summary, folder) = model.withLock({ $0 }), summary.charts.contains(name),
            let bytes = try? RegularFile.read((folder as NSString).appendingPathComponent(name), maxBytes: 8 << 20, followSymlinks: false)
        else { return Self.json(.notFound, Self.object(["error": "no such chart"])) }
        return Response(
            status: .ok,
            headers: [
                .contentType: "image/svg+xml", .init("X-Content-Type-Options")!: "nosniff",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: Helpers

    /// Whether a posted name may stand in a record: 1–255 bytes, no `/`, no control characters.
    static func isAcceptableName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.unicodeScalars.contains { $0 == "/" || $0.properties.generalCategory == .control }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func object(_ fields: [String: String]) -> String {
        (try? JSONEncoder().encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-cache", .init("X-Content-Type-Options")!: "nosniff",
                .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    struct DeadlinePassed: Error {}

    /// Runs `work`, giving up after `seconds`.
    static func withDeadline<T: Sendable>(_ seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                throw DeadlinePassed()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// Asks for the token where one is set; `/healthz` and `/readyz` stay open.
struct Guard<Context: RequestContext>: RouterMiddleware {
    let token: AccessToken?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if let token, path != "/healthz", path != "/readyz", !token.accepts(authorization: request.headers[.authorization]) {
            var r = HTTPSurface.json(.unauthorized, HTTPSurface.object(["error": "this server needs its token: send Authorization: Bearer <token>"]))
            r.headers[values: .wwwAuthenticate] = [#"Basic realm="tangle", charset="UTF-8""#, #"Bearer realm="tangle""#]
            return r
        }
        return try await next(request, context)
    }
}
