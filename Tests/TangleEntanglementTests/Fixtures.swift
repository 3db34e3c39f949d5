import Foundation

/// `../shared/fixtures/reference.json`, when the shared folder sits beside the repository.
enum Fixtures {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/reference.json").path
    }()

    static let available = FileManager.default.fileExists(atPath: path)

    nonisolated(unsafe) static let json: [String: Any] = {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }()

    static let skipMessage = "../shared/fixtures/reference.json is not present (it ships beside the repository in CI)"
}

func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
func matrix(_ any: Any?) -> [[Double]] { (any as? [Any] ?? []).map { doubles($0) } }
