import ArgumentParser
import Foundation
import TangleData
import TangleDetector
import TangleDigest
import TangleEvaluation
import TangleFiles
import TangleImage
import TangleJudge
import TangleVerdict

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Judge image files, folders of them, or IDX image files: one JSON verdict record per input on stdout.",
        discussion: """
            The record is the one `tangle watch` logs (see the README). A summary goes to stderr. A folder stands for every \
            visible file under it, subfolders included (a training layout DIR/<class>/*.png is judged whole), depth first with \
            names sorted; names starting with '.' are skipped. Finding no file is an error (exit 66), and so is a file named \
            directly that is not a readable regular file (a FIFO, a device, /proc/self/mem): it is refused at once, never waited on.
            """)

    @Argument(help: "PNG or JPEG files, folders holding them, or IDX image files.")
    var paths: [String]

    @Option(help: "Model folder (must be calibrated: see `tangle calibrate`).")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the training data (default: the one the model card names).")
    var data: String?

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Invert intensities: auto (as the model's data profile says: a light-bordered input to a model of dark-bordered images, never for photographs), never, always.")
    var polarity: String = "auto"

    @Option(help: "Inputs scored together.")
    var batch = 256

    @Option(help: "Largest image, in pixels (width x height), decoded; larger ones are rejected.")
    var maxPixels = DecodeLimits().maxPixels

    func validate() throws {
        guard Polarity(rawValue: polarity) != nil else { throw ValidationError("--polarity takes auto, never or always") }
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be at least 1") }
    }

    func run() throws {
        // Find the files before loading the model, so an empty folder is reported at once.
        let files: [String]
        do { files = try InputFiles.expand(paths) } catch let e as InputFiles.Failure {
            if case .missing = e { throw ValidationError(e.description) }
            throw failure(e.description, exitCode: ExitCodes.noInput)
        }
        let setup = try DetectorSetup(model: model, data: data, cache: cache, requireCalibration: true)
        let judge = try Judge(setup: setup, limits: DecodeLimits(maxPixels: maxPixels), polarity: Polarity(rawValue: polarity) ?? .auto)
        var counts: [Verdict: Int] = [:]
        // Inputs in the order given: prepared ones are scored together, rejected ones keep their place.
        var slots: [Result<Judge.Prepared, Judge.Rejection>] = []
        var pendingCount = 0
        func flush() throws {
            var judged = judge.judge(slots.compactMap { try? $0.get() }).makeIterator()
            for slot in slots {
                let r: VerdictRecord
                switch slot {
                case .success: r = judged.next()!
                case .failure(let rejection): r = judge.record(rejection)
                }
                counts[r.verdict, default: 0] += 1
                print(try r.jsonLine())
            }
            slots.removeAll(keepingCapacity: true)
            pendingCount = 0
        }
        func add(_ slot: Result<Judge.Prepared, Judge.Rejection>) throws {
            slots.append(slot)
            if case .success = slot { pendingCount += 1 }
            if pendingCount >= batch || slots.count >= 4 * batch { try flush() }
        }
        for path in files {
            if let images = try? idxImages(path) {
                let size = images.rows * images.columns
                let shape = setup.network.inputShape
                for i in 0..<images.count {
                    let bytes = Array(images.pixels[(i * size)..<((i + 1) * size)])
                    var input = VerdictRecord.Input(
                        name: "\((path as NSString).lastPathComponent)#\(i)", path: path, bytes: size, sha256: SHA256.hex(of: bytes),
                        format: "idx", width: images.columns, height: images.rows)
                    if images.rows == shape.height && images.columns == shape.width && shape.channels == 1 {
                        try add(.success(judge.prepared(pixels: bytes.map { Float($0) / 255 }, input: input)))
                    } else {
                        // Another size or a colour model: through the intake, as the same image dropped as a PNG would go.
                        let image = try DecodedImage(width: images.columns, height: images.rows, layout: .gray, format: .png, samples: bytes)
                        let p = judge.preprocessor.process(image)
                        input.inverted = p.inverted
                        try add(.success(judge.prepared(pixels: p.pixels, input: input)))
                    }
                }
                continue
            }
            try add(judge.prepare(path: path))
        }
        try flush()
        let summary = Verdict.allCases.compactMap { v in counts[v].map { "\($0) \(v.display)" } }.joined(separator: ", ")
        FileHandle.standardError.write(Data("judged \(counts.values.reduce(0, +)) inputs: \(summary.isEmpty ? "none" : summary) (calibration \(judge.rule.calibration.id))\n".utf8))
    }

    /// The images of an IDX image file (raw or gzip), or nil when it is not one (or cannot be read:
    /// the image reading then rejects it with its reason). The probe never blocks or traps: a FIFO or
    /// device is refused by ``RegularFile``, a failing read is an error.
    private func idxImages(_ path: String) throws -> IDX.Images? {
        guard let head = try? RegularFile.readPrefix(path, count: 4) else { return nil }
        let isIDX = head.count == 4 && head[0] == 0 && head[1] == 0 && head[2] == 8 && head[3] == 3
        let isGzip = head.count >= 2 && head[0] == 0x1f && head[1] == 0x8b
        guard isIDX || isGzip else { return nil }
        return try IDX.readImages(at: path)
    }
}
