import Foundation
import Testing
import TangleData
import TangleModelStore
import TangleNetwork
@testable import TangleDataSource

@Suite struct DataLocationTests {
    func card(directory: String, name: String = "cifar10", subfolder: String? = "train") -> ModelCard {
        var profile = DataSurvey.profile(name: name, digest: String(repeating: "ab", count: 32), arrivals: [])
        profile.subfolder = subfolder
        var c = ModelCard.forIntake(input: Shape3(height: 32, width: 32, channels: 3), profile: profile)
        c.data = DataSource(kind: "image-folder", directory: directory, files: [], calibration: CalibrationSplit(rule: "stratified", count: 0))
        return c
    }

    @Test("A training folder called train is recorded under its parent's name")
    func names() {
        #expect(DataLocation.name(of: "/data/cifar10/train") == ("cifar10", "train"))
        #expect(DataLocation.name(of: "/data/shoes") == ("shoes", nil))
        #expect(DataLocation.name(of: "/data/x/Training") == ("x", "Training"))
    }

    @Test("--data, then $TANGLE_DATA, then $XDG_DATA_HOME/tangle/datasets, then the recorded folder; else an error with the command")
    func order() throws {
        let base = NSTemporaryDirectory() + "tangle-data-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let c = card(directory: "/nonexistent/trainer-machine/cifar10/train")
        let env = ["TANGLE_DATA": "\(base)/mine", "XDG_DATA_HOME": "\(base)/xdg", "HOME": "\(base)/home"]
        #expect(DataLocation.candidates(for: c, environment: env) == [
            "\(base)/mine/cifar10/train", "\(base)/xdg/tangle/datasets/cifar10/train", "/nonexistent/trainer-machine/cifar10/train",
        ])
        #expect(try DataLocation.resolve(card: c, override: "/given", environment: env) == "/given")
        do {
            _ = try DataLocation.resolve(card: c, override: nil, environment: env)
            Issue.record("a missing data set must be an error")
        } catch let e as DataError {
            #expect(e.description.contains("tar -xzf train.tar.gz -C \(base)/xdg/tangle/datasets/cifar10"), "\(e)")
        }
        try FileManager.default.createDirectory(atPath: "\(base)/xdg/tangle/datasets/cifar10/train", withIntermediateDirectories: true)
        #expect(try DataLocation.resolve(card: c, override: nil, environment: env) == "\(base)/xdg/tangle/datasets/cifar10/train")
        try FileManager.default.createDirectory(atPath: "\(base)/mine/cifar10/train", withIntermediateDirectories: true)
        #expect(try DataLocation.resolve(card: c, override: nil, environment: env) == "\(base)/mine/cifar10/train")
        // Without $XDG_DATA_HOME: under $HOME/.local/share.
        #expect(DataLocation.candidates(for: c, environment: ["HOME": "/h"])[0] == "/h/.local/share/tangle/datasets/cifar10/train")
        // Fashion-MNIST keeps its recorded (Debian) location.
        var f = c
        f.data.kind = "fashion-mnist"
        f.data.directory = "/usr/share/datasets/fashion-mnist"
        #expect(DataLocation.candidates(for: f, environment: env) == ["/usr/share/datasets/fashion-mnist"])
    }
}
