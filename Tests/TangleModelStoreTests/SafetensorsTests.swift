import Foundation
import Testing
@testable import TangleModelStore

@Suite struct SafetensorsTests {
    @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
        let tensors = [
            Safetensors.Tensor(name: "a.kernel", shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5]),
            Safetensors.Tensor(name: "a.bias", shape: [3], values: [0, .greatestFiniteMagnitude, -1e-30]),
        ]
        let data = Safetensors.encode(tensors, metadata: ["format": "pt", "note": "q\"uote"])
        let (back, meta) = try Safetensors.decode(data)
        #expect(back == tensors)
        #expect(meta == ["format": "pt", "note": "q\"uote"])
    }

    @Test func layoutIsTheStandardOne() throws {
        let data = Safetensors.encode([Safetensors.Tensor(name: "x", shape: [1], values: [1.5])])
        let n = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(n % 8 == 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        let x = header["x"] as! [String: Any]
        #expect(x["dtype"] as? String == "F32")
        #expect(x["data_offsets"] as? [Int] == [0, 4])
        #expect(Array(data.suffix(4)) == [0x00, 0x00, 0xC0, 0x3F])  // 1.5 little-endian
    }

    @Test(arguments: [
        Data(),
        Data([1, 2, 3]),
        Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B]),
        Data([2, 0, 0, 0, 0, 0, 0, 0]) + Data("[]".utf8),
        Data([32, 0, 0, 0, 0, 0, 0, 0]) + Data("{\"x\":{\"dtype\":\"F64\",\"shape\":[1]}".utf8),
    ])
    func malformedFilesAreRefused(_ data: Data) {
        #expect(throws: ModelStoreError.self) { try Safetensors.decode(data) }
    }

    @Test func offsetsOutsideTheFileAreRefused() {
        let header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [0, 0, 0, 0])
        #expect(throws: ModelStoreError.self) { try Safetensors.decode(data) }
    }
}
