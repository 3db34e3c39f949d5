import Foundation
import TangleData
import TangleDataSource
import TangleAttacks
import TangleDigest
import TangleImage
import TangleImageFolder
import TangleModelStore

/// The inputs an evaluation or a calibration run reads, brought to a model's input through the same
/// intake a dropped file goes through (decode, the card's preprocessing): a 28x28 grey digit reaches
/// a 32x32x3 model the way a dropped PNG would.
public enum EvaluationInputs {
    /// The `--test` value that names the model's own calibration split (design data).
    public static let calibrationSplit = "calibration"

    /// A labelled test set for the model of `card`:
    /// - `path` a class folder (`<class>/*.png|jpg`, class names among the card's; its images dealt
    ///   out class by class, see `ClassDealing`), or a folder
    ///   holding an IDX pair (`t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]`);
    /// - `path` ``calibrationSplit`` (`"calibration"`): the model's own held-out calibration split —
    ///   design data, for choosing evidence on: the thresholds were set on it, so a false-flag rate
    ///   measured there is one by construction and is never a report;
    /// - without `path`, Fashion-MNIST's test set, for a model trained on Fashion-MNIST only.
    /// - Throws: ``EvaluationError/shape(_:)`` with what to pass, or data and image errors.
    public static func test(card: ModelCard, path: String?, data: String?) throws -> LabelledImages {
        let preprocessor = DataSurvey.preprocessor(for: card)
        guard let path else {
            guard card.data.kind == "fashion-mnist" else {
                throw EvaluationError.input(
                    "\(card.name) was trained on \(card.profile?.name ?? card.data.directory), which has no test split Tangle knows: pass --test with a class folder of test images (CIFAR-10: `tar -xzf test.tar.gz` gives test/<class>/*.jpg)")
            }
            let test = try FashionMNIST(directory: try DataLocation.resolve(card: card, override: data)).test()
            return try fitted(test, preprocessor: preprocessor)
        }
        if path == calibrationSplit {
            let set = try TrainingDataSource.open(card: card, override: data).set
            return set.images.subset(set.calibrationIndices)
        }
        if let pair = idxPair(path) {
            let images = try IDXDataset.load(images: pair.images, labels: pair.labels, classNames: card.classNames, missingHint: "give the IDX image and label files")
            return try fitted(images, preprocessor: preprocessor)
        }
        let load = try ImageFolder.load(path, preprocessor: preprocessor)
        // The folder's classes by name onto the model's labels.
        var map: [Int32] = []
        for name in load.images.classNames {
            guard let i = card.classNames.firstIndex(of: name) else {
                throw EvaluationError.input("\(path) has a class folder \(name) that the model does not know; its classes are \(card.classNames.joined(separator: ", "))")
            }
            map.append(Int32(i))
        }
        var mapped = try LabelledImages(
            rows: load.images.rows, columns: load.images.columns, channels: load.images.channels, pixels: load.images.pixels,
            labels: load.images.labels.map { map[Int($0)] }, classNames: card.classNames)
        mapped.arrivals = load.images.arrivals
        // A class folder is read class by class; dealt out class by class instead, the first N
        // images (the attacked ones, `--attack-count`) hold every class in proportion.
        return mapped.subset(ClassDealing.deal(labels: mapped.labels))
    }

    /// An outlier set at the model's input: an IDX image file, a folder holding
    /// `t10k-images-idx3-ubyte[.gz]`, or any folder of PNG/JPEG images (subfolders included;
    /// undecodable files left out). Labels are all 0.
    public static func outliers(_ path: String, card: ModelCard) throws -> LabelledImages {
        let preprocessor = DataSurvey.preprocessor(for: card)
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && !isFolder.boolValue || idxPair(path) != nil {
            let file = idxPair(path)?.images ?? path
            let im = try IDX.readImages(at: file, missingHint: "give an IDX image file, a folder holding t10k-images-idx3-ubyte[.gz], or a folder of images")
            let images = try LabelledImages(rows: im.rows, columns: im.columns, pixels: im.pixels, labels: [Int32](repeating: 0, count: im.count), classNames: ["?"])
            return try fitted(images, preprocessor: preprocessor)
        }
        guard exists else { throw DataError.missingFile(path: path, hint: "give an IDX image file or a folder of images") }
        let decoder = ImageDecoder()
        var pixels: [UInt8] = []
        var arrivals: [ArrivalStatistics] = []
        for file in allFiles(path) {
            guard let bytes = try? decoder.readFile(file, followSymlinks: false), let image = try? decoder.decode(bytes) else { continue }
            pixels += preprocessor.process(image).bytes
            arrivals.append(.measure(image))
        }
        guard !arrivals.isEmpty else { throw DataError.invalid("\(path) holds no PNG or JPEG image") }
        var images = try LabelledImages(
            rows: preprocessor.rows, columns: preprocessor.columns, channels: preprocessor.channels, pixels: pixels,
            labels: [Int32](repeating: 0, count: arrivals.count), classNames: ["?"])
        images.arrivals = arrivals
        return images
    }

    /// A folder written by `tangle attack` (possibly on another model: the black-box setting), at the
    /// model's input through the intake, each image labelled with the true class its name carries
    /// (`<index>-<class>-<method>-<eps>.png`, the class as `tangle attack` writes it: `/` and spaces
    /// as `-`).
    /// - Throws: ``EvaluationError/input(_:)`` for a file named otherwise, a class the model does not
    ///   know, an undecodable file or an empty folder.
    public static func attackSet(_ path: String, card: ModelCard) throws -> LabelledImages {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw EvaluationError.input("\(path) is not a folder: give a folder written by `tangle attack --out DIR`")
        }
        let classes = Dictionary(card.classNames.enumerated().map { (attackFileClass($1), Int32($0)) }, uniquingKeysWith: { a, _ in a })
        let preprocessor = DataSurvey.preprocessor(for: card)
        let decoder = ImageDecoder()
        var pixels: [UInt8] = [], labels: [Int32] = [], arrivals: [ArrivalStatistics] = []
        for file in allFiles(path) {
            let name = (file as NSString).lastPathComponent
            guard let label = attackFileLabel(name) else {
                throw EvaluationError.input(
                    "\(file) is not named as `tangle attack` names its files (<index>-<class>-<method>-<eps>.png): an attack set holds only those")
            }
            guard let y = classes[label] else {
                throw EvaluationError.input(
                    "\(file) is an attack on class \(label), which \(card.name) does not have (its classes: \(card.classNames.joined(separator: ", ")))")
            }
            let image: DecodedImage
            do { image = try decoder.decode(try decoder.readFile(file, followSymlinks: false)) } catch {
                throw EvaluationError.input("\(file) cannot be read as an image: \(error)")
            }
            pixels += preprocessor.process(image).bytes
            labels.append(y)
            arrivals.append(.measure(image))
        }
        guard !labels.isEmpty else { throw EvaluationError.input("\(path) holds no attack images: write some with `tangle attack --out \(path)`") }
        var images = try LabelledImages(
            rows: preprocessor.rows, columns: preprocessor.columns, channels: preprocessor.channels, pixels: pixels, labels: labels,
            classNames: card.classNames)
        images.arrivals = arrivals
        return images
    }

    /// A class name as `tangle attack` writes it into a file name.
    public static func attackFileClass(_ name: String) -> String {
        name.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "-")
    }

    /// The class part of `<index>-<class>-<method>-<eps>.png`, or `nil` for any other name.
    static func attackFileLabel(_ name: String) -> String? {
        guard name.hasSuffix(".png"), let dash = name.firstIndex(of: "-"), !name[..<dash].isEmpty, name[..<dash].allSatisfy(\.isNumber) else { return nil }
        let rest = name[name.index(after: dash)...].dropLast(4)
        // The method is the last one named; the class may hold dashes, and so may the method.
        var best: (String.Index, String.Index)?
        for m in Attack.Method.allCases {
            if let r = rest.range(of: "-\(m.rawValue)-", options: .backwards), best.map({ r.lowerBound > $0.0 }) ?? true {
                best = (r.lowerBound, r.upperBound)
            }
        }
        guard let (low, high) = best, Float(rest[high...]) != nil, low > rest.startIndex else { return nil }
        return String(rest[..<low])
    }

    /// Images brought to the model's input through the intake. An image already of that size and
    /// polarity comes out byte for byte as it went in, so this only changes what the daemon would.
    static func fitted(_ images: LabelledImages, preprocessor: Preprocessor) throws -> LabelledImages {
        try TrainingDataSource.reshaped(images, with: preprocessor)
    }

    /// The IDX image and label files a folder (or an image file beside its labels) holds, if any.
    static func idxPair(_ path: String) -> (images: String, labels: String)? {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return nil }
        for stem in ["t10k", "train"] {
            for ext in ["", ".gz"] {
                let images = "\(path)/\(stem)-images-idx3-ubyte\(ext)"
                let labels = "\(path)/\(stem)-labels-idx1-ubyte\(ext)"
                if fm.fileExists(atPath: images) && fm.fileExists(atPath: labels) { return (images, labels) }
                if fm.fileExists(atPath: images) { return (images, "") }
            }
        }
        return nil
    }

    /// Every visible file under `folder`, depth first, names sorted.
    static func allFiles(_ folder: String) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter({ !$0.hasPrefix(".") }).sorted() {
            let p = (folder as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue { out += allFiles(p) } else { out.append(p) }
        }
        return out
    }
}
