import Foundation
import Testing

/// The package's layout, read from `Package.swift`: the judging path (what `classify`, `watch` and the
/// HTTP server need) depends, directly or through others, on none of the lab's modules (training,
/// entanglement, attacks, separation, evaluation and calibration runs, reports, benchmarks).
@Suite struct PackageLayoutTests {
    static let manifest: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return (try? String(contentsOf: url.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? ""
    }()

    /// The targets declared in `text`, with the package-local targets they depend on.
    static func targets(in text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        var rest = Substring(text)
        while let start = rest.range(of: #"\.(target|executableTarget|testTarget)\("#, options: .regularExpression) {
            // The call's text up to its closing parenthesis.
            var depth = 0
            var end = start.upperBound
            var i = rest.index(before: start.upperBound)
            while i < rest.endIndex {
                if rest[i] == "(" { depth += 1 }
                if rest[i] == ")" {
                    depth -= 1
                    if depth == 0 {
                        end = rest.index(after: i)
                        break
                    }
                }
                i = rest.index(after: i)
            }
            let call = String(rest[start.lowerBound..<end])
            rest = rest[end...]
            guard let name = call.firstMatch(of: /name: "([A-Za-z0-9]+)"/)?.1 else { continue }
            var dependencies: [String] = []
            if let list = call.firstMatch(of: /dependencies: \[([^\]]*)\]/)?.1 {
                let local = String(list).replacing(/\.product\([^)]*\)/, with: "")
                dependencies = local.matches(of: /"([A-Za-z0-9]+)"/).map { String($0.1) }
            }
            out[String(name)] = dependencies
        }
        return out
    }

    /// The part of the manifest between two `// MARK:` lines starting with these words.
    static func section(_ from: String, to: String) -> String {
        guard let a = manifest.range(of: "// MARK: \(from)"), let b = manifest.range(of: "// MARK: \(to)", range: a.upperBound..<manifest.endIndex) else {
            return ""
        }
        return String(manifest[a.upperBound..<b.lowerBound])
    }

    @Test("The judging modules depend on no lab module, directly or not")
    func judgingPathIsApartFromTheLab() throws {
        let all = Self.targets(in: Self.manifest)
        let judging = Set(Self.targets(in: Self.section("The judging path", to: "The lab")).keys)
        let labText = String(Self.manifest[try #require(Self.manifest.range(of: "// MARK: The lab"))!.upperBound...])
        let lab = Set(Self.targets(in: labText).filter { !$0.key.hasSuffix("Tests") && $0.key != "tangle" }.keys)
        // The sections hold what they should (so the check below means something).
        #expect(judging.isSuperset(of: ["TangleImage", "TangleDkNN", "TangleVerdict", "TangleDetector", "TangleJudge", "TangleWatch", "TangleHTTPServer"]))
        #expect(lab.isSuperset(of: ["TangleTraining", "TangleEntanglement", "TangleAttacks", "TangleSeparation", "TangleEvaluation", "TangleReport", "TangleBench"]))
        #expect(judging.isDisjoint(with: lab))
        for module in judging.sorted() {
            var seen: Set<String> = []
            var stack = all[module] ?? []
            var path: [String: String] = [:]
            while let next = stack.popLast() {
                guard seen.insert(next).inserted else { continue }
                for d in all[next] ?? [] where path[d] == nil { path[d] = next }
                stack += all[next] ?? []
            }
            let reached = seen.intersection(lab)
            #expect(reached.isEmpty, "\(module) reaches the lab's \(reached.sorted()) (through \(reached.compactMap { path[$0] }))")
        }
    }

    @Test("No judging module's source imports a lab module (an undeclared import can build from a warm build folder)")
    func judgingSourcesImportNoLabModule() throws {
        let judging = Set(Self.targets(in: Self.section("The judging path", to: "The lab")).keys)
        let labText = String(Self.manifest[try #require(Self.manifest.range(of: "// MARK: The lab"))!.upperBound...])
        let lab = Set(Self.targets(in: labText).filter { !$0.key.hasSuffix("Tests") && $0.key != "tangle" }.keys)
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        var checked = 0
        for module in judging.sorted() {
            let folder = root.appendingPathComponent("Sources/\(module)")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                let imported = text.matches(of: /(?m)^(?:@testable )?import ([A-Za-z0-9]+)/).map { String($0.1) }
                #expect(Set(imported).isDisjoint(with: lab), "Sources/\(module)/\(name) imports \(Set(imported).intersection(lab).sorted())")
                checked += 1
            }
        }
        #expect(checked > 30)
    }

    @Test("The parser reads targets, their local dependencies, and skips products")
    func parser() {
        let text = """
            .target(name: "A", dependencies: ["B", .product(name: "Logging", package: "swift-log"), "C"]),
            .target(name: "B"),
            .executableTarget(name: "t", dependencies: ["A"], swiftSettings: [.unsafeFlags(["-O"])]),
            """
        let t = Self.targets(in: text)
        #expect(t["A"] == ["B", "C"])
        #expect(t["B"] == [])
        #expect(t["t"] == ["A"])
    }
}
