import Foundation
import Testing

/// Documented figures are reproducible from the repository and the data it says how to get: no
/// default or document points at a folder beside the repository or at one machine's path.
@Suite struct ReproducibilityTests {
    /// The development machines keep benchmark data in a folder named `shared` beside the repository
    /// (and at one absolute path); a user has neither. The test reads nothing there: it only makes
    /// sure no source or document points at it.
    static let outsidePaths: [String] = {
        let folder = "shared"
        return ["/" + "work" + "/" + folder, "../" + folder]  // spelled in parts: this file is not itself such a path
    }()

    func texts(under folder: String, extensions: Set<String>) -> [(String, String)] {
        let root = TangleBinary.packageRoot
        let names = FileManager.default.enumerator(atPath: "\(root)/\(folder)")?.compactMap { $0 as? String } ?? []
        return names.filter { extensions.contains(($0 as NSString).pathExtension) }.compactMap { name in
            (try? String(contentsOfFile: "\(root)/\(folder)/\(name)", encoding: .utf8)).map { ("\(folder)/\(name)", $0) }
        }
    }

    /// Before: `tangle bench watch --mnist` defaulted to a data folder at one machine's absolute path,
    /// and docs/DETECTION.md told users to pass a folder beside the repository.
    @Test func sourcesAndDocsPointInsideTheRepository() {
        let files = texts(under: "Sources", extensions: ["swift"]) + texts(under: "docs", extensions: ["md"])
            + [("README.md", (try? String(contentsOfFile: TangleBinary.packageRoot + "/README.md", encoding: .utf8)) ?? "")]
        #expect(files.count > 50)
        for (name, text) in files {
            for outside in Self.outsidePaths { #expect(!text.contains(outside), "\(name) mentions \(outside)") }
        }
    }

    /// The data the docs name can be fetched with a script in the repository.
    @Test func theMNISTFetchScriptIsThere() throws {
        let script = try String(contentsOfFile: TangleBinary.packageRoot + "/scripts/fetch-mnist-test.sh", encoding: .utf8)
        #expect(script.contains("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"))
        #expect(FileManager.default.isExecutableFile(atPath: TangleBinary.packageRoot + "/scripts/fetch-mnist-test.sh"))
    }
}
