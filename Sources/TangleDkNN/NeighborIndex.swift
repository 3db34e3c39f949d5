import Foundation
import TangleData
import TangleNeighbors
import TangleNetwork
import TangleProgress
import TangleTensor

/// The Deep k-NN neighbour index: for each chosen layer, the representations of every training
/// point outside the calibration split, L2-normalised (all-zero vectors stay zero) and, when the
/// layer is wider than ``Settings/maxDimension``, reduced by PCA to that many dimensions.
///
/// Full-dimension float32 for `pool1` alone would be 54,000 x 6,272 x 4 B = 1.4 GB. Reduced to 768
/// dimensions and stored as 8-bit integers (``Settings/Storage/int8``, every layer wider than
/// ``Settings/narrowestQuantized``) every layer together takes about 0.1 GB. The index is written to
/// one file and read back memory-mapped.
public final class NeighborIndex: @unchecked Sendable {
    /// How the index is built.
    public struct Settings: Codable, Sendable, Equatable {
        /// The layers indexed.
        public var layers: [String]
        /// Layers wider than this are reduced by PCA to it.
        public var maxDimension: Int
        /// Training points the PCA is fitted on.
        public var pcaSample: Int
        /// Seed for the PCA sample and sketch.
        public var seed: UInt64
        /// Reduced layers keep the length of what the projection drops (see ``NeighborIndex``).
        public var residual: Bool
        /// How stored features are held.
        public var storage: Storage
        /// The forward pass's arithmetic: the index, its calibration and every judgement share it.
        public var arithmetic: Arithmetic

        /// Storage of the indexed features.
        public enum Storage: String, Codable, Sendable {
            /// 32-bit floats, searched by GEMM.
            case float32
            /// 8-bit integers on a per-layer grid, searched by integer dot products
            /// (``TangleNeighbors/QuantizedNeighbors``); layers of at most ``Settings/narrowestQuantized``
            /// features stay float32.
            case int8
        }

        /// Layers this narrow (the logits) stay float32 under ``Storage/int8``: they cost nothing to
        /// search, and a 10-value grid would be coarse.
        public static let narrowestQuantized = 16

        /// Creates settings (defaults: 768 dimensions, PCA on 10,000 points, 8-bit storage, 8-bit
        /// convolutions).
        public init(
            layers: [String], maxDimension: Int = 768, pcaSample: Int = 10_000, seed: UInt64 = 11, residual: Bool = true,
            storage: Storage = .int8, arithmetic: Arithmetic = .int8
        ) {
            self.arithmetic = arithmetic
            self.layers = layers
            self.maxDimension = maxDimension
            self.pcaSample = pcaSample
            self.seed = seed
            self.residual = residual
            self.storage = storage
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            layers = try c.decode([String].self, forKey: .layers)
            maxDimension = try c.decode(Int.self, forKey: .maxDimension)
            pcaSample = try c.decode(Int.self, forKey: .pcaSample)
            seed = try c.decode(UInt64.self, forKey: .seed)
            residual = try c.decodeIfPresent(Bool.self, forKey: .residual) ?? false
            storage = try c.decodeIfPresent(Storage.self, forKey: .storage) ?? .float32
            arithmetic = try c.decodeIfPresent(Arithmetic.self, forKey: .arithmetic) ?? .float32
        }
    }

    /// One layer's part of the index.
    public struct Layer: @unchecked Sendable {
        /// The representation's name.
        public let name: String
        /// The representation's width.
        public let inputDimension: Int
        /// The PCA applied after normalisation, if the layer was reduced.
        public let projection: Projection?
        /// Search over the stored features.
        public let neighbors: any NeighborSearch

        /// The width of the stored features.
        public var dimension: Int { neighbors.dimension }
    }

    /// The layers, in settings order.
    public let layers: [Layer]
    /// The label of each indexed training point.
    public let labels: [Int32]
    /// The number of classes.
    public let classes: Int
    /// The settings it was built with.
    public let settings: Settings

    init(layers: [Layer], labels: [Int32], classes: Int, settings: Settings) {
        self.layers = layers
        self.labels = labels
        self.classes = classes
        self.settings = settings
    }

    /// Bytes held by the stored features, projections and labels.
    public var bytes: Int {
        layers.reduce(labels.count * 4) { total, l in
            total + l.neighbors.storedBytes + (l.projection.map { ($0.components.count + $0.mean.count) * 4 + ($0.eightBit?.storedBytes ?? 0) } ?? 0)
        }
    }

    /// Turns raw representations of one layer (`[count, inputDimension]`) into the index's space:
    /// L2-normalised, then projected when the layer was reduced.
    ///
    /// For a layer stored with its residual coordinate, the query's residual coordinate is set to
    /// 0 and returned separately as `residual²`: the search's squared distance is then
    /// `‖Pq − Pp‖² + r_p²`, and adding `r_q²` gives `‖Pq − Pp‖² + r_q² + r_p²` — the full
    /// distance with the dropped parts of query and point taken as orthogonal to each other.
    public func embed(layer: Int, _ raw: UnsafePointer<Float>, count: Int) -> (features: FloatBuffer, residual: [Float]?) {
        let l = layers[layer]
        let normalized = FloatBuffer(copying: raw, count: count * l.inputDimension)
        l2Normalize(normalized.pointer, rows: count, dimension: l.inputDimension)
        guard let p = l.projection else { return (normalized, nil) }
        let out = FloatBuffer(count: count * l.dimension)
        guard l.dimension == p.outputDimension + 1 else {
            p.apply(normalized.pointer, count: count, into: out.pointer)
            return (out, nil)
        }
        p.applyWithResidual(normalized.pointer, count: count, into: out.pointer)
        var residual = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let r = out[i * l.dimension + p.outputDimension]
            residual[i] = r * r
            out[i * l.dimension + p.outputDimension] = 0
        }
        return (out, residual)
    }

    /// Builds the index over `indices` of `images`, with a progress line.
    public static func build(
        network: Network, images: LabelledImages, indices: [Int], settings: Settings, showProgress: Bool = true
    ) throws -> NeighborIndex {
        let reps = try settings.layers.map { try network.representationIndex($0) }
        let dims = try settings.layers.map { try network.representationSize($0) }
        let batch = 500
        let ws = Workspace(network: network, capacity: batch, trainable: false, arithmetic: settings.arithmetic, batchInvariant: true)
        // Pass 1: fit the projections on a sample.
        var projections = [Projection?](repeating: nil, count: reps.count)
        let wide = (0..<reps.count).filter { dims[$0] > settings.maxDimension }
        if !wide.isEmpty {
            var rng = SeededGenerator(seed: settings.seed)
            let sample = rng.permutation(indices.count).prefix(min(settings.pcaSample, indices.count)).map { indices[$0] }
            let buffers = wide.map { FloatBuffer(count: sample.count * dims[$0]) }
            try forEachBatch(network, ws, images, sample, batch: batch, label: showProgress ? "index: PCA sample" : nil) { start, n in
                for (w, l) in wide.enumerated() {
                    (buffers[w].pointer + start * dims[l]).update(from: ws.activation(reps[l]).pointer, count: n * dims[l])
                }
            }
            for (w, l) in wide.enumerated() {
                l2Normalize(buffers[w].pointer, rows: sample.count, dimension: dims[l])
                let p = try Projection.pca(
                    buffers[w].pointer, count: sample.count, dimension: dims[l], keep: settings.maxDimension, seed: settings.seed)
                projections[l] = settings.arithmetic == .int8 ? p.quantized() : p
            }
        }
        // Pass 2: every training point, normalised and projected.
        let outDims = (0..<reps.count).map { l in projections[l].map { $0.outputDimension + (settings.residual ? 1 : 0) } ?? dims[l] }
        let features = outDims.map { FloatBuffer(count: indices.count * $0) }
        try forEachBatch(network, ws, images, indices, batch: batch, label: showProgress ? "index: features" : nil) { start, n in
            for l in 0..<reps.count {
                let raw = FloatBuffer(count: n * dims[l])
                raw.pointer.update(from: ws.activation(reps[l]).pointer, count: n * dims[l])
                l2Normalize(raw.pointer, rows: n, dimension: dims[l])
                if let p = projections[l], settings.residual {
                    p.applyWithResidual(raw.pointer, count: n, into: features[l].pointer + start * outDims[l])
                } else if let p = projections[l] {
                    p.apply(raw.pointer, count: n, into: features[l].pointer + start * outDims[l])
                } else {
                    (features[l].pointer + start * outDims[l]).update(from: raw.pointer, count: n * dims[l])
                }
            }
        }
        let layers = (0..<reps.count).map { l -> Layer in
            let search: any NeighborSearch =
                // 8-bit storage where it pays and its 32-bit distances fit (a wider layer stays float32).
                settings.storage == .int8 && outDims[l] > Settings.narrowestQuantized && outDims[l] <= QuantizedNeighbors.maxDimension
                ? QuantizedNeighbors(quantizing: features[l].pointer, count: indices.count, dimension: outDims[l])
                : NearestNeighbors(
                    borrowing: UnsafePointer(features[l].pointer), count: indices.count, dimension: outDims[l], owner: features[l],
                    directNarrow: settings.arithmetic == .int8)
            return Layer(name: settings.layers[l], inputDimension: dims[l], projection: projections[l], neighbors: search)
        }
        return NeighborIndex(
            layers: layers, labels: indices.map { images.labels[$0] }, classes: network.classCount, settings: settings)
    }

    private static func forEachBatch(
        _ network: Network, _ ws: Workspace, _ images: LabelledImages, _ indices: [Int], batch: Int, label: String?,
        _ body: (Int, Int) throws -> Void
    ) throws {
        let progress = label.map { Progress(label: $0, total: indices.count) }
        var start = 0
        while start < indices.count {
            let n = min(batch, indices.count - start)
            images.copyImages(indices[start..<(start + n)], into: ws.input.pointer)
            network.forward(ws, count: n)
            try body(start, n)
            start += n
            progress?.update(done: start)
        }
        progress?.finish("\(indices.count) images")
    }
}
