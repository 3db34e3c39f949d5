import Foundation
import TangleDigest

/// One source file of a data set and its SHA-256, for the model card.
public struct DataFile: Codable, Sendable, Equatable {
    /// The absolute path read.
    public var path: String
    /// Hex SHA-256 of the file's bytes (as stored, compressed or not).
    public var sha256: String
}

/// Loads an IDX image/label pair, checking that they agree.
public enum IDXDataset {
    /// Reads `images` and `labels` into a ``LabelledImages``.
    /// - Throws: ``DataError`` for missing, damaged or mismatched files, or out-of-range labels.
    public static func load(images: String, labels: String, classNames: [String], missingHint: String) throws -> LabelledImages {
        let im = try IDX.readImages(at: images, missingHint: missingHint)
        let lb = try IDX.readLabels(at: labels, missingHint: missingHint)
        guard im.count == lb.count else {
            throw DataError.countMismatch(images: im.count, labels: lb.count, imagesPath: images, labelsPath: labels)
        }
        if let bad = lb.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DataError.labelOutOfRange(path: labels, index: bad, label: Int(lb[bad]), classes: classNames.count)
        }
        return try LabelledImages(
            rows: im.rows, columns: im.columns, pixels: im.pixels, labels: lb.map { Int32($0) }, classNames: classNames)
    }
}

/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 60,000 training and 10,000 test images of
/// clothing, 28x28 grey, ten classes. Debian's `dataset-fashion-mnist` installs it.
public struct FashionMNIST: Sendable {
    /// Where Debian's package installs the IDX files.
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"
    /// Where Fashion-MNIST is looked for: `$TANGLE_FASHION_MNIST` when set (another copy, or a
    /// folder that does not exist to check that nothing needs it), else ``debianDirectory``.
    public static var defaultDirectory: String {
        if let folder = ProcessInfo.processInfo.environment["TANGLE_FASHION_MNIST"], !folder.isEmpty { return folder }
        return debianDirectory
    }
    /// The ten class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// What to tell a user whose files are missing.
    public static let installHint =
        "install Debian's package dataset-fashion-mnist (scripts/setup.sh does), or pass --data with a folder holding the four IDX files"

    /// The folder the files are read from.
    public let directory: String

    /// Names the folder to read from (default: Debian's location).
    public init(directory: String = FashionMNIST.defaultDirectory) {
        self.directory = directory
    }

    private func path(_ stem: String) -> String {
        let plain = (directory as NSString).appendingPathComponent(stem)
        if FileManager.default.fileExists(atPath: plain) { return plain }
        return plain + ".gz"
    }

    /// The IDX files of one split: images then labels.
    public func files(test: Bool) -> (images: String, labels: String) {
        let prefix = test ? "t10k" : "train"
        return (path("\(prefix)-images-idx3-ubyte"), path("\(prefix)-labels-idx1-ubyte"))
    }

    /// Loads the 60,000 training images.
    public func training() throws -> LabelledImages { try load(test: false) }

    /// Loads the 10,000 test images.
    public func test() throws -> LabelledImages { try load(test: true) }

    private func load(test: Bool) throws -> LabelledImages {
        let f = files(test: test)
        return try IDXDataset.load(images: f.images, labels: f.labels, classNames: Self.classNames, missingHint: Self.installHint)
    }

    /// The training files with their SHA-256, for the model card.
    public func trainingProvenance() throws -> [DataFile] {
        let f = files(test: false)
        return try [f.images, f.labels].map { DataFile(path: $0, sha256: try SHA256.hex(ofFileAt: $0)) }
    }
}
