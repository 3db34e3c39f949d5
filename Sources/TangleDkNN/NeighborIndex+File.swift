import Foundation
import TangleNeighbors
import TangleTensor

/// Why an index file cannot be used; the index is then rebuilt.
public struct IndexFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong.
    public var reason: String
    public var description: String { "index file \(path) is unusable (\(reason)); it will be rebuilt" }
}

extension NeighborIndex {
    private static let magic = Array("TANGLEIX".utf8)

    private struct Header: Codable {
        struct Layer: Codable {
            var name: String
            var inputDimension: Int
            var dimension: Int
            var projected: Bool
            /// The stored features end with the residual coordinate (absent in older files).
            var residual: Bool?
            /// `int8` for a quantized layer, with its grid step (absent: float32).
            var storage: String?
            var scale: Float?
            var variances: [Double]
            var totalVariance: Double
            var meanOffset: Int
            var componentsOffset: Int
            var featuresOffset: Int
        }
        var key: String
        var count: Int
        var classes: Int
        var settings: Settings
        var layers: [Layer]
        var labelsOffset: Int
        var totalBytes: Int
    }

    /// Writes the index to `path` (atomically), tagged with `key` (what it was built from).
    public func write(to path: String, key: String) throws {
        var blobs: [Data] = []
        var offset = 0
        func place(_ data: Data) -> Int {
            let start = offset
            blobs.append(data)
            offset += (data.count + 63) / 64 * 64
            return start
        }
        func bytes(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
        var headerLayers: [Header.Layer] = []
        for l in layers {
            let featuresOffset: Int
            var scale: Float?
            if let q = l.neighbors as? QuantizedNeighbors {
                featuresOffset = place(Data(bytes: q.packed, count: q.packedBytes))
                scale = q.scale
            } else if let f = l.neighbors as? NearestNeighbors {
                featuresOffset = place(Data(bytes: f.reference, count: f.count * f.dimension * 4))
            } else {
                throw IndexFileError(path: path, reason: "layer \(l.name) has a storage the file format does not know")
            }
            let meanOffset = l.projection.map { place(bytes($0.mean)) } ?? -1
            let componentsOffset = l.projection.map { place(bytes($0.components)) } ?? -1
            headerLayers.append(
                Header.Layer(
                    name: l.name, inputDimension: l.inputDimension, dimension: l.dimension, projected: l.projection != nil,
                    residual: l.projection.map { l.dimension == $0.outputDimension + 1 },
                    storage: scale == nil ? nil : "int8", scale: scale,
                    variances: l.projection?.variances ?? [], totalVariance: l.projection?.totalVariance ?? 0,
                    meanOffset: meanOffset, componentsOffset: componentsOffset, featuresOffset: featuresOffset))
        }
        let labelsOffset = place(labels.withUnsafeBytes { Data($0) })
        let header = Header(
            key: key, count: labels.count, classes: classes, settings: settings, layers: headerLayers,
            labelsOffset: labelsOffset, totalBytes: offset)
        var headerData = try JSONEncoder().encode(header)
        while (16 + headerData.count) % 64 != 0 { headerData.append(0x20) }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let handle = FileHandle(forWritingAtPath: tmp) else {
            throw IndexFileError(path: path, reason: "cannot create \(tmp)")
        }
        do {
            try handle.write(contentsOf: Data(Self.magic))
            try handle.write(contentsOf: withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { Data($0) })
            try handle.write(contentsOf: headerData)
            for blob in blobs {
                try handle.write(contentsOf: blob)
                let padded = (blob.count + 63) / 64 * 64
                if padded > blob.count { try handle.write(contentsOf: Data(count: padded - blob.count)) }
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            unlink(tmp)
            throw IndexFileError(path: path, reason: "writing failed: \(error)")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw IndexFileError(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads an index written by ``write(to:key:)``, memory-mapped, checking that it was built from `key`.
    public static func load(path: String, key: String) throws -> NeighborIndex {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw IndexFileError(path: path, reason: "\(error)") }
        guard file.size >= 16, Array(UnsafeRawBufferPointer(start: file.bytes, count: 8)) == magic else {
            throw IndexFileError(path: path, reason: "not a Tangle index")
        }
        let headerLength = Int(UInt64(littleEndian: file.bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        guard headerLength > 0, 16 + headerLength <= file.size else { throw IndexFileError(path: path, reason: "bad header length") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes: file.bytes + 16, count: headerLength))
        } catch { throw IndexFileError(path: path, reason: "bad header: \(error)") }
        guard header.key == key else { throw IndexFileError(path: path, reason: "built for other weights or data") }
        let base = file.bytes + 16 + headerLength
        guard 16 + headerLength + header.totalBytes <= file.size else { throw IndexFileError(path: path, reason: "truncated") }
        func floats(_ offset: Int, _ count: Int) -> UnsafePointer<Float> {
            (base + offset).assumingMemoryBound(to: Float.self)
        }
        let layers = try header.layers.map { h -> Layer in
            let kept = h.dimension - (h.residual == true ? 1 : 0)
            let plain = h.projected
                ? Projection(
                    inputDimension: h.inputDimension, outputDimension: kept,
                    mean: Array(UnsafeBufferPointer(start: floats(h.meanOffset, h.inputDimension), count: h.inputDimension)),
                    components: Array(
                        UnsafeBufferPointer(start: floats(h.componentsOffset, h.inputDimension * kept), count: h.inputDimension * kept)),
                    variances: h.variances, totalVariance: h.totalVariance)
                : nil
            let projection = header.settings.arithmetic == .int8 ? plain?.quantized() : plain
            let search: any NeighborSearch
            switch h.storage {
            case nil:
                guard h.featuresOffset >= 0, h.featuresOffset + header.count * h.dimension * 4 <= header.totalBytes else {
                    throw IndexFileError(path: path, reason: "layer \(h.name) overruns the file")
                }
                search = NearestNeighbors(
                    borrowing: floats(h.featuresOffset, 0), count: header.count, dimension: h.dimension, owner: file,
                    directNarrow: header.settings.arithmetic == .int8)
            case "int8":
                guard h.dimension <= QuantizedNeighbors.maxDimension else {
                    throw IndexFileError(
                        path: path,
                        reason: "layer \(h.name) stores \(h.dimension) features in 8 bits: at most \(QuantizedNeighbors.maxDimension) fit the search's 32-bit distances")
                }
                let bytes = Int(QuantizedNeighbors.packedBytes(count: header.count, dimension: h.dimension))
                guard let scale = h.scale, scale > 0, h.featuresOffset >= 0, h.featuresOffset + bytes <= header.totalBytes else {
                    throw IndexFileError(path: path, reason: "layer \(h.name) has no grid step or overruns the file")
                }
                search = QuantizedNeighbors(
                    borrowing: UnsafePointer((base + h.featuresOffset).assumingMemoryBound(to: UInt8.self)), bytes: bytes,
                    count: header.count, dimension: h.dimension, scale: scale, owner: file)
            case let other?:
                throw IndexFileError(path: path, reason: "layer \(h.name) has unknown storage \(other)")
            }
            return Layer(name: h.name, inputDimension: h.inputDimension, projection: projection, neighbors: search)
        }
        let labels = Array(UnsafeBufferPointer(start: (base + header.labelsOffset).assumingMemoryBound(to: Int32.self), count: header.count))
        return NeighborIndex(layers: layers, labels: labels, classes: header.classes, settings: header.settings)
    }
}
