import Foundation
import Glibc
import TangleAttacks
import TangleData
import TangleImage
import TangleNetwork
import TangleTensor

/// The images `tangle bench watch` drops: the model's in-distribution samples (Fashion-MNIST test
/// images, or its own calibration split), MNIST test images (when installed and the model takes 28x28
/// grey) and FGSM attacks made with the model's own network, as 8-bit grey or RGB PNGs.
struct BenchImages {
    /// Where an image came from.
    enum Source: String, Codable, Sendable, CaseIterable {
        case fashion, mnist, fgsm
    }

    /// One image to drop.
    struct Image {
        var name: String
        var source: Source
        var pixels: [UInt8]
    }

    /// The burst, in drop order (sources interleaved).
    var burst: [Image]
    /// The warm-up file, dropped once before the burst.
    var warmup: Image
    /// The files dropped one at a time.
    var singles: [Image]
    /// Image width and height.
    var width: Int, height: Int
    /// Channels: 1 (grey) or 3 (RGB).
    var channels: Int

    /// Makes the images in memory.
    /// - Parameters:
    ///   - count: the burst size: 50 % Fashion-MNIST, 30 % MNIST, 20 % FGSM with MNIST; else 70 % and 30 %.
    ///   - singles: how many single files.
    ///   - network: the model's network (FGSM gradients).
    ///   - fashion: the Fashion-MNIST test set.
    ///   - mnist: the MNIST test set, when installed (at the model's input size).
    ///   - eps: the FGSM strength.
    init(count: Int, singles: Int, network: Network, fashion: LabelledImages, mnist: LabelledImages?, eps: Float = 0.1) {
        let size = network.inputShape.size
        (width, height, channels) = (network.inputShape.width, network.inputShape.height, network.inputShape.channels)
        let mnistCount = mnist == nil ? 0 : count * 3 / 10
        let fgsmCount = mnist == nil ? count * 3 / 10 : count / 5
        let fashionCount = count - mnistCount - fgsmCount

        func bytes(_ set: LabelledImages, _ i: Int) -> [UInt8] {
            let j = i % set.count
            return Array(set.pixels[(j * set.imageSize)..<((j + 1) * set.imageSize)])
        }
        let plain = (0..<fashionCount).map { Image(name: String(format: "burst-fashion-%05d.png", $0), source: .fashion, pixels: bytes(fashion, $0)) }
        var digits: [Image] = []
        if let mnist {
            digits = (0..<mnistCount).map { Image(name: String(format: "burst-mnist-%05d.png", $0), source: .mnist, pixels: bytes(mnist, $0)) }
        }
        // FGSM on the last Fashion-MNIST test images (the plain ones start at the first).
        let x = FloatBuffer(count: max(fgsmCount, 1) * size)
        let first = (0..<fgsmCount).map { (fashion.count - 1 - $0 % fashion.count) }
        fashion.copyImages(first, into: x.pointer)
        let labels = first.map { fashion.labels[$0] }
        if fgsmCount > 0 {
            let workspace = Workspace(network: network, capacity: min(250, fgsmCount), trainable: true, inputGradient: true)
            labels.withUnsafeBufferPointer {
                Attack(method: .fgsm, eps: eps).perturb(x.pointer, labels: $0.baseAddress!, count: fgsmCount, network: network, workspace: workspace)
            }
        }
        let attacks = (0..<fgsmCount).map { i in
            Image(
                name: String(format: "burst-fgsm-%05d.png", i), source: .fgsm,
                pixels: (0..<size).map { UInt8(min(max((x[i * size + $0] * 255).rounded(), 0), 255)) })
        }
        // Interleave the sources so every batch holds a mix, as a real inbox would.
        var generator = SeededGenerator(seed: 42)
        var all = plain + digits + attacks
        all.shuffle(using: &generator)
        burst = all
        warmup = Image(name: "warmup.png", source: .fashion, pixels: bytes(fashion, fashion.count / 2))
        self.singles = (0..<singles).map {
            Image(name: String(format: "single-%04d.png", $0), source: .fashion, pixels: bytes(fashion, fashion.count / 2 + 1 + $0))
        }
    }

    /// Writes every image as a PNG into `folder` (created when missing).
    /// - Throws: ``WatchBenchError/file(path:reason:)`` and PNG errors.
    func write(to folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WatchBenchError.file(path: folder, reason: "\(error)")
        }
        for image in [warmup] + burst + singles {
            let path = (folder as NSString).appendingPathComponent(image.name)
            let bytes = try PNG.encode(image.pixels, width: width, height: height, layout: channels == 3 ? .rgb : .gray)
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            } catch {
                throw WatchBenchError.file(path: path, reason: "\(error)")
            }
        }
    }
}
