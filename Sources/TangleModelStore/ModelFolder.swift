import Foundation
import TangleDigest
import TangleNetwork

/// A model folder: `model.json` (the card) and the safetensors weights beside it.
///
/// Writes are atomic (temporary file, fsync, rename), so a crash or Ctrl-C never leaves a
/// half-written card or weights file.
public struct ModelFolder: Sendable {
    /// The folder's path.
    public let path: String

    /// Names a folder (it need not exist yet).
    public init(path: String) { self.path = path }

    /// The card's path.
    public var cardPath: String { (path as NSString).appendingPathComponent("model.json") }

    /// A file inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The files training, calibration and evaluation write into a model folder: the card, the weights,
    /// the calibration and the charts and logs that describe them.
    public static let modelFiles = [
        "model.json", "model.safetensors", "calibration.json", "calibration.svg", "training-log.jsonl", "training.svg",
        "entanglement.jsonl", "entanglement.svg", "reliability.svg",
    ]

    /// Which of ``modelFiles`` the folder holds (empty when it holds no model, or does not exist).
    public func existingModelFiles() -> [String] {
        Self.modelFiles.filter { FileManager.default.fileExists(atPath: file($0)) }
    }

    /// Removes ``modelFiles`` before a new model is written here, so no calibration, chart or weights
    /// of the old model stays beside the new one. Other files are left alone.
    public func removeModelFiles() throws {
        for name in existingModelFiles() { try FileManager.default.removeItem(atPath: file(name)) }
    }

    /// Reads the card.
    /// - Throws: ``ModelStoreError`` when it is missing or malformed.
    public func readCard() throws -> ModelCard {
        guard FileManager.default.fileExists(atPath: cardPath) else {
            throw ModelStoreError.missing(cardPath, "is \(path) a model folder? Train one with `tangle train --out \(path)`")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: cardPath)) } catch {
            throw ModelStoreError.badCard(cardPath, "\(error.localizedDescription)")
        }
        do { return try ModelFolder.decoder.decode(ModelCard.self, from: data) } catch {
            throw ModelStoreError.badCard(cardPath, "\(error)")
        }
    }

    /// Writes the card atomically.
    public func writeCard(_ card: ModelCard) throws {
        let data = try ModelFolder.encoder.encode(card)
        try ModelFolder.atomicWrite(data + Data("\n".utf8), to: cardPath)
    }

    /// Saves the network's parameters as safetensors and returns the file's SHA-256.
    @discardableResult
    public func writeWeights(_ network: Network, fileName: String = "model.safetensors", metadata: [String: String] = [:]) throws -> String {
        let tensors = network.layout.entries.map { e in
            Safetensors.Tensor(
                name: e.name, shape: e.shape,
                values: Array(UnsafeBufferPointer(start: network.parameters.pointer + e.offset, count: e.count)))
        }
        let data = Safetensors.encode(tensors, metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        try ModelFolder.atomicWrite(data, to: file(fileName))
        return SHA256.hex(of: data)
    }

    /// Loads the card's weights into a new network built from the card's architecture, checking
    /// the file's SHA-256 against the card.
    /// - Throws: ``ModelStoreError`` when files are missing, malformed or do not match.
    public func loadNetwork(card: ModelCard? = nil) throws -> (ModelCard, Network) {
        let card = try card ?? readCard()
        let weightsPath = file(card.weightsFile)
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw ModelStoreError.missing(weightsPath, "the model card names this weights file; restore it or retrain")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: weightsPath)) } catch {
            throw ModelStoreError.badWeights(weightsPath, error.localizedDescription)
        }
        let digest = SHA256.hex(of: data)
        if !card.weightsSHA256.isEmpty && digest != card.weightsSHA256 {
            throw ModelStoreError.mismatch("\(weightsPath) has SHA-256 \(digest), the card expects \(card.weightsSHA256)")
        }
        let network: Network
        do { network = try Network(architecture: card.architecture, seed: 0) } catch {
            throw ModelStoreError.badCard(cardPath, "\(error)")
        }
        try ModelFolder.load(Safetensors.decode(data, source: weightsPath).tensors, into: network)
        return (card, network)
    }

    /// Copies named tensors into a network, checking that names and shapes match exactly.
    public static func load(_ tensors: [Safetensors.Tensor], into network: Network) throws {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for e in network.layout.entries {
            guard let t = byName[e.name] else { throw ModelStoreError.mismatch("tensor '\(e.name)' is missing") }
            guard t.shape == e.shape else {
                throw ModelStoreError.mismatch("tensor '\(e.name)' has shape \(t.shape), the architecture needs \(e.shape)")
            }
            t.values.withUnsafeBufferPointer { (network.parameters.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
        let extra = Set(byName.keys).subtracting(network.layout.entries.map(\.name))
        guard extra.isEmpty else { throw ModelStoreError.mismatch("unexpected tensors \(extra.sorted())") }
    }

    /// Writes `data` to `path` through a temporary file, fsync and rename.
    public static func atomicWrite(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        } catch { throw ModelStoreError.writeFailed(dir, error.localizedDescription) }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw ModelStoreError.writeFailed(path, "cannot create \(tmp)")
        }
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw ModelStoreError.writeFailed(path, why)
        }
    }

    /// The JSON encoder for cards: snake_case keys, sorted, pretty.
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The JSON decoder for cards.
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
}
