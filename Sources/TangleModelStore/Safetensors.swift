import Foundation

/// Reads and writes the safetensors format (float32 tensors only).
///
/// Layout: an 8-byte little-endian header length `N`; `N` bytes of JSON mapping each tensor
/// name to `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (offsets relative to
/// the end of the header) plus an optional `"__metadata__"` string map; then the raw
/// little-endian data. Any safetensors reader (Python's `safetensors`, `numpy`) loads the files
/// Tangle writes.
public enum Safetensors {
    /// One named tensor.
    public struct Tensor: Sendable, Equatable {
        /// The tensor's name.
        public var name: String
        /// Its shape.
        public var shape: [Int]
        /// Its values, row-major.
        public var values: [Float]

        /// Creates a tensor.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The largest header Tangle accepts (100 MB, as the reference implementation).
    public static let maximumHeaderBytes = 100_000_000

    /// Encodes tensors (in the given order) and metadata as a safetensors file.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) -> Data {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for t in tensors {
            t.values.withUnsafeBufferPointer { p in
                #if _endian(big)
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #else
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self), count: p.count * 4))
                #endif
            }
        }
        return data
    }

    /// Decodes a safetensors file.
    /// - Returns: the tensors in file order, and the metadata.
    /// - Throws: ``ModelStoreError/badWeights(_:_:)`` for anything malformed.
    public static func decode(_ data: Data, source: String = "weights") throws -> (tensors: [Tensor], metadata: [String: String]) {
        func bad(_ why: String) -> ModelStoreError { .badWeights(source, why) }
        guard data.count >= 8 else { throw bad("the file is shorter than the 8-byte header length") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(maximumHeaderBytes), Int(n) <= data.count - 8 else {
            throw bad("the header length \(n) is larger than the file or the \(maximumHeaderBytes)-byte limit")
        }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(n)))
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let body = data.subdata(in: (data.startIndex + 8 + Int(n))..<data.endIndex)
        var metadata: [String: String] = [:]
        if let meta = json["__metadata__"] {
            guard let m = meta as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
            metadata = m
        }
        var tensors: [(Int, Tensor)] = []
        for (name, value) in json where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard dtype == "F32" else { throw bad("tensor '\(name)' is \(dtype); Tangle reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("tensor '\(name)' has a negative dimension") }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= body.count,
                count < Int.max / 4, offsets[1] - offsets[0] == count * 4
            else { throw bad("tensor '\(name)' has data offsets \(offsets) that do not fit its shape \(shape) or the file") }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                body.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (body.startIndex + offsets[0])..<(body.startIndex + offsets[1]))
            }
            #if _endian(big)
            values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
            #endif
            tensors.append((offsets[0], Tensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.0 < $1.0 }.map(\.1), metadata)
    }

    private static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
