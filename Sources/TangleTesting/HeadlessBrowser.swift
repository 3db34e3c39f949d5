import Foundation
import Glibc

/// A headless Chromium driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
/// JSON messages ending in NUL on descriptors 3 and 4), for tests that load the daemon's page in a
/// real browser: navigate, evaluate JavaScript in the page, read the DOM. No WebSocket, no driver.
///
/// ```swift
/// let browser = try HeadlessBrowser()
/// try browser.open("http://127.0.0.1:8080/")
/// let n = try browser.evaluate("document.querySelectorAll('#records li').length") as? Int
/// ```
public final class HeadlessBrowser {
    /// Why the browser failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What happened.
        public var description: String
    }

    /// The Chromium executable: `$TANGLE_CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`
    /// (Debian's package; `scripts/setup.sh --dev` installs it); nil when there is none.
    public static var executable: String? {
        let fm = FileManager.default
        if let c = ProcessInfo.processInfo.environment["TANGLE_CHROMIUM"], fm.isExecutableFile(atPath: c) { return c }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in path where fm.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        }
        return nil
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: String
    private var nextID = 0
    private var buffer: [UInt8] = []
    private var session: String?
    /// Events received while waiting for answers (method and parameters), oldest first.
    public private(set) var events: [(method: String, params: [String: Any])] = []

    /// Starts the browser.
    /// - Throws: ``Failure`` when there is no Chromium or it does not start.
    public init(executable: String? = HeadlessBrowser.executable) throws {
        guard let executable else { throw Failure(description: "no chromium: run `scripts/setup.sh --dev`") }
        profile = NSTemporaryDirectory() + "tangle-chromium-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var down: [Int32] = [-1, -1]  // we write, the browser reads (its fd 3)
        var up: [Int32] = [-1, -1]  // the browser writes (its fd 4), we read
        guard pipe(&down) == 0, pipe(&up) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, down[0], 3)
        posix_spawn_file_actions_adddup2(&actions, up[1], 4)
        let devnull = Glibc.open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devnull, 1)
        posix_spawn_file_actions_adddup2(&actions, devnull, 2)
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--user-data-dir=\(profile)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let r = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        Glibc.close(devnull)
        Glibc.close(down[0])
        Glibc.close(up[1])
        guard r == 0 else {
            Glibc.close(down[1])
            Glibc.close(up[0])
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(r)))")
        }
        pid = child
        toBrowser = down[1]
        fromBrowser = up[0]
        _ = fcntl(fromBrowser, F_SETFL, fcntl(fromBrowser, F_GETFL) | O_NONBLOCK)
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { close() }

    /// Stops the browser and removes its profile.
    public func close() {
        guard toBrowser >= 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(toBrowser)
        Glibc.close(fromBrowser)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Sends a command (to the attached page when there is one) and waits for its answer.
    /// - Throws: ``Failure`` on an error answer, a closed pipe or a time-out.
    @discardableResult
    public func send(_ method: String, _ params: [String: Any] = [:], toPage: Bool = true, timeout: Double = 15) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if toPage, let session { message["sessionId"] = session }
        var bytes = Array(try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "the browser closed its pipe") }
            sent += n
        }
        let deadline = Self.now() + timeout
        while true {
            while let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeFirst(end + 1)
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
                if let answerID = object["id"] as? Int, answerID == id {
                    if let error = object["error"] as? [String: Any] { throw Failure(description: "\(method): \(error)") }
                    return object["result"] as? [String: Any] ?? [:]
                }
                if let m = object["method"] as? String { events.append((m, object["params"] as? [String: Any] ?? [:])) }
            }
            let left = deadline - Self.now()
            guard left > 0 else { throw Failure(description: "\(method): no answer within \(timeout) s") }
            var p = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(left * 1000) + 1)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[0..<n]
            } else if n == 0 {
                throw Failure(description: "the browser exited")
            }
        }
    }

    /// Opens `url` in a new page and attaches to it. Before any script of the page runs, `alert`,
    /// `confirm` and `prompt` are replaced by functions that record their calls in `window.__dialogs`
    /// (so a test can tell whether injected script ran).
    public func open(_ url: String) throws {
        let target = try send("Target.createTarget", ["url": "about:blank"], toPage: false)
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target id") }
        let attached = try send("Target.attachToTarget", ["targetId": targetID, "flatten": true], toPage: false)
        session = attached["sessionId"] as? String
        try send("Page.enable")
        try send("Runtime.enable")
        try send(
            "Page.addScriptToEvaluateOnNewDocument",
            ["source": "window.__dialogs = []; for (const f of ['alert', 'confirm', 'prompt']) window[f] = (m) => { window.__dialogs.push(f + ':' + m); };"])
        try send("Page.navigate", ["url": url])
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value.
    public func evaluate(_ expression: String) throws -> Any? {
        let r = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = r["exceptionDetails"] { throw Failure(description: "\(expression): \(exception)") }
        return (r["result"] as? [String: Any])?["value"]
    }

    /// Evaluates `expression` until it is `true` or `timeout` seconds pass; whether it became true.
    public func waitFor(_ expression: String, timeout: Double = 15) throws -> Bool {
        let deadline = Self.now() + timeout
        while Self.now() < deadline {
            if (try? evaluate(expression)) as? Bool == true { return true }
            usleep(200_000)
        }
        return false
    }

    /// The page's DOM as HTML.
    public func dom() throws -> String { (try evaluate("document.documentElement.outerHTML") as? String) ?? "" }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
