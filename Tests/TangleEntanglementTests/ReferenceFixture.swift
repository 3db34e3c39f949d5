import Foundation

/// `Tests/Fixtures/reference.json`, the float64 reference values that
/// `scripts/fixtures/generate_reference.py` computes (Tests/Fixtures/README.md). It is part of the
/// repository: a missing or unreadable file fails the tests that read it. One file: the
/// ReferenceFixture.swift of TangleDkNNTests and TangleNeighborsTests are links to it.
enum ReferenceFixture {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference.json").path

    static func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }
}

func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
func matrix(_ any: Any?) -> [[Double]] { (any as? [Any] ?? []).map { doubles($0) } }
