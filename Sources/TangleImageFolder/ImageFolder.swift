import Foundation
import TangleData
import TangleDigest
import TangleImage

/// Labelled images from a folder in the ImageFolder convention: `DIR/<class name>/*.png|jpg|jpeg`.
///
/// Class names are the subfolder names sorted by Unicode code points (label 0 is the first);
/// files may sit in nested folders inside a class folder. Every file goes through the same
/// ``TangleImage/ImageDecoder`` and ``TangleImage/Preprocessor`` as the daemon's inbox, so
/// training sees exactly what detection will. Hidden entries (`.name`), symbolic links (never
/// followed), other extensions and files that fail to decode are skipped and listed with a reason.
///
/// ```swift
/// let load = try ImageFolder.load("/data/shoes", preprocessor: Preprocessor(rows: 28, columns: 28))
/// print(load.classCounts, load.skipped.count)
/// ```
public enum ImageFolder {
    /// Loads every image of `directory`.
    /// - Parameters:
    ///   - directory: the folder holding one subfolder per class.
    ///   - preprocessor: turns each image into the model input (its size sets the images' size).
    ///   - decoder: decodes each file (production limits by default).
    /// - Returns: the images (bytes are `round(v * 255)` of the preprocessed values), what was
    ///   skipped and why, per-class counts, and the SHA-256 of every file read.
    /// - Throws: ``ImageFolderError`` when the folder cannot be listed, has no class folder, or
    ///   no file could be used.
    public static func load(_ directory: String, preprocessor: Preprocessor, decoder: ImageDecoder = ImageDecoder()) throws
        -> ImageFolderLoad
    {
        let scan = try FolderScan(root: directory)
        guard !scan.classes.isEmpty else { throw ImageFolderError.noClasses(directory) }
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        var skipped = scan.skipped
        var files: [FolderFile] = []
        var inverted = 0
        var arrivals: [ArrivalStatistics] = []
        for (label, rel) in scan.files {
            let path = directory + "/" + rel
            do {
                let bytes = try decoder.readFile(path, followSymlinks: false)
                files.append(FolderFile(path: rel, sha256: SHA256.hex(of: bytes), bytes: bytes.count))
                let image = try decoder.decode(bytes)
                let input = preprocessor.process(image)
                arrivals.append(.measure(image))
                pixels.append(contentsOf: input.bytes)
                labels.append(Int32(label))
                if input.inverted { inverted += 1 }
            } catch let error as ImageError {
                skipped.append(SkippedFile(path: rel, reason: error.description, kind: error.kind.rawValue))
            }
        }
        guard !labels.isEmpty else { throw ImageFolderError.noImages(directory, skipped: skipped.count) }
        var images = try LabelledImages(
            rows: preprocessor.rows, columns: preprocessor.columns, channels: preprocessor.channels, pixels: pixels, labels: labels,
            classNames: scan.classes)
        images.arrivals = arrivals
        return ImageFolderLoad(images: images, skipped: skipped, digest: FolderDigest(files: files), invertedCount: inverted, arrivals: arrivals)
    }

    /// What up to `sample` of the folder's images looked like as they arrived (spread evenly over its
    /// files in load order; undecodable ones left out): the survey that decides a new model's input
    /// size, channels and polarity policy before anything is loaded.
    /// - Throws: ``ImageFolderError`` when the folder cannot be listed or has no class folder.
    public static func survey(_ directory: String, sample: Int = 1000, decoder: ImageDecoder = ImageDecoder()) throws -> [ArrivalStatistics] {
        let scan = try FolderScan(root: directory)
        guard !scan.classes.isEmpty else { throw ImageFolderError.noClasses(directory) }
        let files = scan.files
        guard !files.isEmpty else { return [] }
        let n = min(sample, files.count)
        var out: [ArrivalStatistics] = []
        for i in 0..<n {
            let rel = files[i * files.count / n].path
            if let bytes = try? decoder.readFile(directory + "/" + rel, followSymlinks: false), let image = try? decoder.decode(bytes) {
                out.append(.measure(image))
            }
        }
        return out
    }

    /// The SHA-256 of every file the loader would read (image extensions inside class folders,
    /// no hidden entries, no symbolic links), without decoding them.
    /// - Throws: ``ImageFolderError/cannotList(_:_:)``, or ``TangleDigest/DigestError`` when a
    ///   file cannot be read.
    public static func digest(_ directory: String) throws -> FolderDigest {
        let scan = try FolderScan(root: directory)
        var files: [FolderFile] = []
        for (_, rel) in scan.files {
            let path = directory + "/" + rel
            var info = stat()
            guard lstat(path, &info) == 0 else { throw DigestError.cannotOpen(path) }
            files.append(FolderFile(path: rel, sha256: try SHA256.hex(ofFileAt: path), bytes: Int(info.st_size)))
        }
        return FolderDigest(files: files)
    }
}

/// What ``ImageFolder/load(_:preprocessor:decoder:)`` produced.
public struct ImageFolderLoad: Sendable {
    /// The images, labelled by class index.
    public let images: LabelledImages
    /// Files not used, with the reason.
    public let skipped: [SkippedFile]
    /// SHA-256 of every file that was read (decoded or not), and of the set.
    public let digest: FolderDigest
    /// How many images the preprocessor inverted (light background).
    public let invertedCount: Int
    /// What each loaded image looked like as it arrived, in load order.
    public let arrivals: [ArrivalStatistics]

    /// Class names with their number of loaded images, in label order.
    public var classCounts: [(name: String, count: Int)] {
        Array(zip(images.classNames, images.classCounts)).map { (name: $0.0, count: $0.1) }
    }
}
