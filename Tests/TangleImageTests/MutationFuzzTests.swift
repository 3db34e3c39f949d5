import Foundation
import Testing
import TangleImage

/// Seeded mutation fuzzing of the decoder. `TANGLE_FUZZ_COUNT` sets the number of inputs
/// (default 5,000); `TANGLE_FUZZ_SEED` the seed (default 20240601).
@Suite struct MutationFuzzTests {
    static func seeds() throws -> [[UInt8]] {
        let colormap: [UInt8] = [0, 0, 0, 255, 255, 255, 200, 30, 30, 10, 200, 90]
        let indices = (0..<(12 * 10)).map { UInt8($0 % 4) }
        let sixteen = (0..<(9 * 7)).map { UInt16($0 * 1000) }
        return [
            Fixtures.png8(Fixtures.gradient(width: 16, height: 12, channels: 1), width: 16, height: 12, format: 0),
            Fixtures.png8(Fixtures.gradient(width: 12, height: 10, channels: 2), width: 12, height: 10, format: 1),
            Fixtures.png8(Fixtures.gradient(width: 12, height: 10, channels: 4), width: 12, height: 10, format: 3),
            indices.withUnsafeBytes { Fixtures.png($0, width: 12, height: 10, format: 2 | 8, colormap: colormap, entries: 4) },
            sixteen.withUnsafeBytes { Fixtures.png($0, width: 9, height: 7, format: 4) },
            Fixtures.interlacedRGB,
            try JPEG.encode(Fixtures.gradient(width: 16, height: 16, channels: 1), width: 16, height: 16, channels: 1),
            try JPEG.encode(Fixtures.gradient(width: 24, height: 16, channels: 3), width: 24, height: 16, channels: 3),
            try JPEG.encode(Fixtures.gradient(width: 24, height: 16, channels: 3), width: 24, height: 16, channels: 3, progressive: true),
            try JPEG.encode(Fixtures.gradient(width: 8, height: 8, channels: 4), width: 8, height: 8, channels: 4),
        ]
    }

    @Test func seedsDecode() throws {
        for s in try Self.seeds() { _ = try ImageDecoder().decode(s) }
    }

    @Test func mutatedInputsAreImagesOrTypedErrors() throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["TANGLE_FUZZ_COUNT"].flatMap(Int.init) ?? 5_000
        let seed = env["TANGLE_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_240_601
        let fuzzer = MutationFuzzer(seeds: try Self.seeds(), seed: seed)
        let report = fuzzer.run(count: count)
        print("MutationFuzz seed \(seed)\n\(report.summary)")
        #expect(report.unexpected.isEmpty, "\(report.unexpected.prefix(5))")
        #expect(report.valid + report.errors.values.reduce(0, +) == count)
        #expect(Set(report.errors.keys).isSubset(of: Set(ImageError.Kind.allCases.map(\.rawValue))))
        // Steady growth after warm-up would be a leak. Under AddressSanitizer (scripts/sanitize.sh sets
        // TANGLE_SANITIZER) freed memory waits in its quarantine, so the resident size grows anyway;
        // LeakSanitizer checks for leaks there instead.
        if env["TANGLE_SANITIZER"] != "address" {
            #expect(report.rssAfterBytes - report.rssWarmBytes < 32 << 20, "\(report.summary)")
        }
        // No single decode of these small seeds may take long.
        #expect(report.slowestSeconds < 2, "\(report.slowestInput)")
    }

    @Test func inputsAreReproducible() throws {
        let fuzzer = MutationFuzzer(seeds: try Self.seeds(), seed: 7)
        #expect(fuzzer.input(123).bytes == fuzzer.input(123).bytes)
    }
}
