import Foundation
import TangleTesting
import Testing

/// The daemon's page in a real browser (headless Chromium over the DevTools protocol): the seeded
/// verdicts appear with their thumbnails, a file dropped into the inbox appears without a reload, and
/// a file named like an HTML element shows as text, with no script run.
@Suite(
    .serialized, .enabled(if: WatchDaemon.available, WatchDaemon.skipMessage),
    .enabled(if: HeadlessBrowser.executable != nil, "needs chromium: run `scripts/setup.sh --dev`"))
struct BrowserTests {
    static let hostileName = "<img src=x onerror=alert(1)>.png"

    @Test("The page lists the seeded verdicts with thumbnails, shows a dropped file live, and renders a hostile name as text")
    func pageShowsRecordsLive() throws {
        let root = WatchFixtures.temporaryRoot("browser")
        defer { WatchFixtures.remove(root) }
        let d = try WatchDaemon(root: root, extra: ["--http-port", "0"], seed: true)
        let port = try #require(d.httpPort(), "no port: \(d.stderr)")
        #expect(d.waitReady(), "\(d.stderr)")
        // The records are written before the files move: wait for both.
        #expect(waitUntil(timeout: 60) { WatchFixtures.records(root).count >= 12 && WatchFixtures.destinations(root).count >= 12 }, "\(d.stderr)")
        let seeded = WatchFixtures.records(root)

        let browser = try HeadlessBrowser()
        defer { browser.close() }
        try browser.open("http://127.0.0.1:\(port)/")
        #expect(try browser.waitFor("document.querySelectorAll('#records li').length >= \(seeded.count)"), "\((try? browser.dom()) ?? "")")
        for r in seeded {
            #expect(try browser.evaluate("document.querySelector('#records li[data-id=\"\(r.id)\"]') !== null") as? Bool == true, "\(r.input.name)")
        }
        // Every thumbnail loaded (the image bytes came back and decoded).
        #expect(
            try browser.waitFor("Array.from(document.querySelectorAll('#records li img.thumb')).every(i => i.complete && i.naturalWidth > 0)"),
            "\((try? browser.dom()) ?? "")")
        #expect(try browser.waitFor("document.getElementById('count-in-distribution').textContent !== '0'"))
        #expect(try browser.evaluate("document.querySelector('#status').textContent") as? String == "ready")
        // Mark this document: a reload would lose the mark.
        _ = try browser.evaluate("window.__mark = 'same document'")

        // A file with a hostile name, dropped now, appears without a reload, as text.
        let png = try Data(contentsOf: URL(fileURLWithPath: try #require(seeded.first?.input.path)))
        try WatchFixtures.drop([UInt8](png), name: Self.hostileName, root: root)
        let shown = "Array.from(document.querySelectorAll('#records .name')).some(e => e.textContent === \(Self.jsString(Self.hostileName)))"
        #expect(try browser.waitFor(shown, timeout: 10), "\((try? browser.dom()) ?? "")")
        #expect(try browser.evaluate("window.__mark") as? String == "same document")
        #expect(try browser.evaluate("document.querySelectorAll('img[src=\"x\"]').length") as? Int == 0)
        #expect(try browser.evaluate("window.__dialogs.length") as? Int == 0)
        #expect(try browser.dom().contains("&lt;img src=x onerror=alert(1)&gt;.png"))
        d.signal(SIGTERM)
        d.expectCleanExit()
    }

    /// A JavaScript string literal.
    static func jsString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast().description
    }
}
