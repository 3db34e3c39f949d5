import Foundation
import TangleData
import TangleDataSource
import TangleDetector
import TangleDigest
import TangleDkNN
import TangleImage
import TangleTensor
import TangleVerdict

/// Judges image files: reads each one (never following a symbolic link), hashes it, decodes and
/// preprocesses it to the model's input, runs the detector over a batch, applies the calibrated
/// verdict rule and makes the verdict records `tangle classify` prints and `tangle watch` logs.
public final class Judge: @unchecked Sendable {
    /// The opened, calibrated model.
    public let setup: DetectorSetup
    /// The verdict rule.
    public let rule: VerdictRule
    /// The decoder (with its limits).
    public let decoder: ImageDecoder
    /// The preprocessing to the model's input.
    public let preprocessor: Preprocessor
    private let layers: [String]
    private let model: VerdictRecord.Model

    /// Wraps a calibrated setup.
    /// - Throws: ``CalibrationError/missing(modelFolder:)`` when the setup was opened without its calibration.
    public init(setup: DetectorSetup, limits: DecodeLimits = DecodeLimits(), polarity: Polarity = .auto) throws {
        guard let rule = setup.rule else { throw CalibrationError.missing(modelFolder: setup.folder) }
        self.setup = setup
        self.rule = rule
        decoder = ImageDecoder(limits: limits)
        // Size, channels and polarity policy from the model card's data profile (`polarity` other than auto overrides it).
        preprocessor = DataSurvey.preprocessor(for: setup.card, polarity: polarity)
        layers = setup.detector.index.layers.map(\.name)
        model = .init(name: setup.card.name, sha256: setup.card.weightsSHA256)
    }

    /// An input ready to be scored.
    public struct Prepared: Sendable {
        /// The record's input part.
        public var input: VerdictRecord.Input
        /// The model-ready pixels.
        public var pixels: [Float]
        /// When reading started (for the latency).
        public var started: UInt64
        /// What the file looked like when it arrived (size, colour, brightness), for the arrival evidence.
        public var arrival: ArrivalStatistics?
    }

    /// Reads, hashes, decodes and preprocesses a file.
    /// - Returns: the prepared input, or the record of a rejected one.
    public func prepare(path: String, name: String? = nil) -> Result<Prepared, Rejection> {
        prepare(name: name ?? (path as NSString).lastPathComponent, path: path) {
            try decoder.readFile(path, followSymlinks: false)
        } size: {
            var info = stat()
            return lstat(path, &info) == 0 ? Int(info.st_size) : 0
        }
    }

    /// Reads (never following a symbolic link), hashes, decodes and preprocesses entry `entry` of the
    /// folder held by the descriptor `folder`; `name` and `path` are what the record shows.
    /// - Returns: the prepared input, or the record of a rejected one.
    public func prepare(entry: UnsafePointer<CChar>, in folder: Int32, name: String, path: String) -> Result<Prepared, Rejection> {
        prepare(name: name, path: path) {
            try decoder.readFile(entry: entry, in: folder, path: path)
        } size: {
            var info = stat()
            return fstatat(folder, entry, &info, AT_SYMLINK_NOFOLLOW) == 0 ? Int(info.st_size) : 0
        }
    }

    private func prepare(name fileName: String, path: String, read: () throws -> [UInt8], size: () -> Int) -> Result<Prepared, Rejection> {
        let started = DispatchTime.now().uptimeNanoseconds
        let bytes: [UInt8]
        do { bytes = try read() } catch {
            let size = size()
            let reason = (error as? ImageError).map { "\($0.kind.rawValue): \($0.at("").description)" } ?? "\(error)"
            let sha = size == 0 ? SHA256.hex(of: [UInt8]()) : ""
            return .failure(Rejection(name: fileName, path: path, bytes: size, sha256: sha, format: "unknown", error: reason, started: started))
        }
        return prepare(bytes: bytes, name: fileName, path: path, started: started)
    }

    /// Decodes and preprocesses bytes already read.
    public func prepare(bytes: [UInt8], name: String, path: String, started: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Result<Prepared, Rejection> {
        let sha = SHA256.hex(of: bytes)
        do {
            let image = try decoder.decode(bytes)
            let p = preprocessor.process(image)
            return .success(
                Prepared(
                    input: .init(
                        name: name, path: path, bytes: bytes.count, sha256: sha, format: image.formatName, width: image.width, height: image.height,
                        inverted: p.inverted),
                    pixels: p.pixels, started: started, arrival: .measure(image)))
        } catch let error as ImageError {
            let format = ImageFormat.detect(bytes)?.rawValue ?? "unknown"
            return .failure(Rejection(name: name, path: path, bytes: bytes.count, sha256: sha, format: format, error: "\(error.kind.rawValue): \(error.description)", started: started))
        } catch {
            return .failure(Rejection(name: name, path: path, bytes: bytes.count, sha256: sha, format: "unknown", error: "\(error)", started: started))
        }
    }

    /// An input that could not be judged, and why.
    public struct Rejection: Error, Sendable {
        /// The record's input part.
        public var input: VerdictRecord.Input
        /// The error, in words.
        public var error: String
        /// When reading started.
        public var started: UInt64

        /// A file that was not decoded (no width or height).
        init(name: String, path: String, bytes: Int, sha256: String, format: String, error: String, started: UInt64) {
            input = .init(name: name, path: path, bytes: bytes, sha256: sha256, format: format, width: 0, height: 0)
            self.error = error
            self.started = started
        }
    }

    /// Scores a batch of prepared inputs together and makes their records.
    public func judge(_ batch: [Prepared]) -> [VerdictRecord] {
        guard !batch.isEmpty else { return [] }
        let size = setup.network.inputShape.size
        let x = FloatBuffer(count: batch.count * size)
        for (i, p) in batch.enumerated() { (x.pointer + i * size).update(from: p.pixels, count: size) }
        let scores = setup.detector.scores(x.pointer, count: batch.count)
        let now = DispatchTime.now().uptimeNanoseconds
        return zip(batch, scores).map { p, s in
            var s = s
            s.arrival = p.arrival
            return VerdictRecord.judged(
                input: p.input, model: model, rule: rule, scores: InputScoresView(s, layers: layers, arrivals: rule.calibration.arrival), judgement: rule.judge(s),
                latencyMs: Double(now - p.started) / 1e6)
        }
    }

    /// The record of a rejected input.
    public func record(_ r: Rejection) -> VerdictRecord {
        VerdictRecord.rejected(
            input: r.input, model: model, calibration: rule.calibration.id, error: r.error,
            latencyMs: Double(DispatchTime.now().uptimeNanoseconds - r.started) / 1e6)
    }

    /// The rejection of a file that could not be taken at all (e.g. it cannot be claimed), for its record.
    public func rejection(name: String, path: String, bytes: Int, error: String) -> Rejection {
        Rejection(name: name, path: path, bytes: bytes, sha256: "", format: "unknown", error: error, started: DispatchTime.now().uptimeNanoseconds)
    }

    /// Prepares raw model-ready images (e.g. from an IDX file) without decoding.
    public func prepared(pixels: [Float], input: VerdictRecord.Input) -> Prepared {
        Prepared(input: input, pixels: pixels, started: DispatchTime.now().uptimeNanoseconds)
    }
}
