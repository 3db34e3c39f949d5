import Foundation
import TangleDigest
import TangleFiles
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
        "entanglement.jsonl", "entanglement.svg", "reliability.svg", "resume.safetensors",
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

    /// The largest `model.json` read (64 MiB: a card lists every training file with its digest).
    public static let maximumCardBytes = 64 << 20

    /// The largest weights file read (2 GiB; the shipped models are a few MiB).
    public static let maximumWeightsBytes = 2 << 30

    /// Reads the card (a regular file of at most ``maximumCardBytes``; a FIFO is refused, not waited on).
    /// - Throws: ``ModelStoreError`` when it is missing or malformed.
    public func readCard() throws -> ModelCard {
        let data: Data
        do { data = Data(try RegularFile.read(cardPath, maxBytes: Self.maximumCardBytes)) } catch {
            if error.kind == .missing {
                throw ModelStoreError.missing(cardPath, "is \(path) a model folder? Train one with `tangle train --out \(path)`")
            }
            throw ModelStoreError.badCard(cardPath, error.reason)
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
        if let why = ModelCard.weightsFileProblem(fileName) { throw ModelStoreError.unsafeWeightsFile(card: cardPath, name: fileName, why: why) }
        let tensors = network.layout.entries.map { e in
            Safetensors.Tensor(
                name: e.name, shape: e.shape,
                values: Array(UnsafeBufferPointer(start: network.parameters.pointer + e.offset, count: e.count)))
        }
        let data = Safetensors.encode(tensors, metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        try ModelFolder.atomicWrite(data, to: file(fileName))
        return SHA256.hex(of: data)
    }

    /// Loads the card's weights into a new network built from the card's architecture, validating
    /// the model on the way (the rules are listed in `ModelValidation.swift`): the weights file name
    /// is checked before anything but the card is opened; the file must be a regular file inside
    /// the folder (opened with `O_NOFOLLOW`, never blocking), match the card's SHA-256, hold every
    /// tensor the architecture needs with its shape, and only finite values; the card's class
    /// names and representations must fit the network.
    /// - Throws: ``ModelStoreError`` when files are missing, malformed, unsafe or do not match.
    public func loadNetwork(card: ModelCard? = nil) throws -> (ModelCard, Network) {
        let card = try card ?? readCard()
        if let why = ModelCard.weightsFileProblem(card.weightsFile) {
            throw ModelStoreError.unsafeWeightsFile(card: cardPath, name: card.weightsFile, why: why)
        }
        let weightsPath = file(card.weightsFile)
        let data: Data
        do { data = Data(try RegularFile.read(weightsPath, maxBytes: Self.maximumWeightsBytes, followSymlinks: false)) } catch {
            switch error.kind {
            case .missing: throw ModelStoreError.missing(weightsPath, "the model card names this weights file; restore it or retrain")
            case .symbolicLink:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: weightsPath)).map { " to \($0)" } ?? ""
                throw ModelStoreError.unsafeWeightsFile(
                    card: cardPath, name: card.weightsFile, why: "it is a symbolic link\(target), and links in a model folder are not followed")
            case .notRegular: throw ModelStoreError.unsafeWeightsFile(card: cardPath, name: card.weightsFile, why: error.reason)
            case .tooLarge, .unreadable, .changed: throw ModelStoreError.badWeights(weightsPath, error.reason)
            }
        }
        let digest = SHA256.hex(of: data)
        if !card.weightsSHA256.isEmpty && digest != card.weightsSHA256 {
            throw ModelStoreError.mismatch("\(weightsPath) has SHA-256 \(digest), the card expects \(card.weightsSHA256)")
        }
        let network: Network
        do { network = try Network(architecture: card.architecture, seed: 0) } catch {
            throw ModelStoreError.badCard(cardPath, "\(error)")
        }
        if let why = card.networkProblem(network) { throw ModelStoreError.badCard(cardPath, why) }
        try ModelFolder.load(Safetensors.decode(data, source: weightsPath).tensors, into: network, source: weightsPath)
        return (card, network)
    }

    /// Copies named tensors into a network, checking that names and shapes match exactly and that
    /// every value is finite.
    /// - Parameter source: the file the tensors came from, for messages.
    /// - Throws: ``ModelStoreError/mismatch(_:)`` or ``ModelStoreError/nonFiniteWeights(path:tensor:nan:infinite:)``.
    public static func load(_ tensors: [Safetensors.Tensor], into network: Network, source: String = "the weights") throws {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for e in network.layout.entries {
            guard let t = byName[e.name] else { throw ModelStoreError.mismatch("tensor '\(e.name)' is missing") }
            guard t.shape == e.shape else {
                throw ModelStoreError.mismatch("tensor '\(e.name)' has shape \(t.shape), the architecture needs \(e.shape)")
            }
            let bad = t.nonFiniteCounts
            guard bad.nan == 0 && bad.infinite == 0 else {
                throw ModelStoreError.nonFiniteWeights(path: source, tensor: e.name, nan: bad.nan, infinite: bad.infinite)
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
