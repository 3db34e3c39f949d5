import Foundation
import TangleImage
import TangleVerdict

/// Temporary roots, input files and views of a root's results.
enum WatchFixtures {
    /// A fresh temporary folder for a root (not created: the daemon makes it).
    static func temporaryRoot(_ label: String) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(base)/tangle-watch-test-\(label)-\(UUID().uuidString.prefix(8))"
    }

    /// Removes a root and its daemon logs.
    static func remove(_ root: String) {
        let fm = FileManager.default
        try? fm.removeItem(atPath: root)
        let parent = (root as NSString).deletingLastPathComponent
        let stem = (root as NSString).lastPathComponent
        for name in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(stem + "-daemon-") {
            try? fm.removeItem(atPath: "\(parent)/\(name)")
        }
    }

    /// A 28x28 grey PNG whose pixels depend on `seed`.
    static func png(seed: Int) throws -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let pixels = (0..<(28 * 28)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        return try PNG.encode(pixels, width: 28, height: 28, layout: .gray)
    }

    /// Writes `bytes` under a temporary name in the root, then renames it into the inbox.
    static func drop(_ bytes: [UInt8], name: String, root: String) throws {
        let temporary = "\(root)/.incoming-\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, "\(root)/inbox/\(name)") == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    /// A PNG whose IHDR announces `width x height` grey pixels, with one tiny IDAT.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(crc32(body))
        }
        let ihdr = be32(width) + be32(height) + [8, 0, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    /// Every record in the root's logs (cut lines skipped).
    static func records(_ root: String) -> [VerdictRecord] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("verdicts") && $0.hasSuffix(".jsonl") }
        let decoder = VerdictRecord.decoder
        return names.sorted().flatMap { name -> [VerdictRecord] in
            guard let data = fm.contents(atPath: "\(root)/\(name)") else { return [] }
            return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(VerdictRecord.self, from: Data($0)) }
        }
    }

    /// The files in each verdict folder: name → the folders holding it.
    static func destinations(_ root: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for v in Verdict.allCases {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(v.rawValue)")) ?? [] {
                out[name, default: []].append(v.rawValue)
            }
        }
        return out
    }

    /// Visible files in the inbox.
    static func inbox(_ root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/inbox")) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// Files in every daemon's processing folder.
    static func processing(_ root: String) -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: "\(root)/processing")) ?? []).filter { !$0.hasSuffix(".lock") && !$0.hasPrefix(".") }.flatMap {
            (try? fm.contentsOfDirectory(atPath: "\(root)/processing/\($0)")) ?? []
        }
    }
}
