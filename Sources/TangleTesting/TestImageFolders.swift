import Foundation
import TangleImage

/// Image folders made for tests (`DIR/<class>/*.png`).
public enum TestImageFolders {
    /// A folder of two classes of colour photos-like images, 24 high and 32 wide, whose borders are
    /// noisy (mixed): reds with a blue square, greens with a yellow stripe; one grey image each.
    public static func colour(count: Int = 12) throws -> String {
        let root = NSTemporaryDirectory() + "tangle-colour-\(UUID().uuidString)"
        var state: UInt64 = 7
        func noise() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for (c, name) in ["red", "green"].enumerated() {
            let dir = root + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for i in 0..<count {
                var px = [UInt8](repeating: 0, count: 24 * 32 * 3)
                for y in 0..<24 {
                    for x in 0..<32 {
                        let p = (y * 32 + x) * 3
                        let n = noise()
                        if c == 0 {
                            px[p] = 150 &+ n / 3
                            if (8..<16).contains(y) && (12..<20).contains(x) { px[p + 2] = 220 }
                        } else {
                            px[p + 1] = 150 &+ n / 3
                            if (10..<14).contains(y) { px[p] = 200; px[p + 1] = 200 }
                        }
                    }
                }
                try Data(try PNG.encode(px, width: 32, height: 24, layout: .rgb)).write(to: URL(fileURLWithPath: "\(dir)/\(i).png"))
            }
            let grey = (0..<(24 * 32)).map { _ in noise() }
            try Data(try PNG.encode(grey, width: 32, height: 24, layout: .gray)).write(to: URL(fileURLWithPath: "\(dir)/grey.png"))
        }
        return root
    }
}
