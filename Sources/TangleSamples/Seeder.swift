import Foundation
import TangleAttacks
import TangleData
import TangleImage
import TangleNetwork
import TangleTensor
import TangleWatch

/// Sample images for a first start, so a new user sees every verdict at once: Fashion-MNIST test
/// images, inverted ones (dark on light, as product photos are: the preprocessing's polarity check
/// turns them back, so they are judged like the originals), pixel-shuffled ones (no object left:
/// outliers) and FGSM attacks (eps 0.1) made with the model's own network. Each is written under a temporary name in the root and renamed into the
/// inbox, so the watcher never sees half a file.
public enum Seeder {
    /// The seeder `tangle watch` gives its daemon: the samples below, made with `network`; nil for a
    /// model that does not take 28x28 grey images (its samples would come from its own calibration
    /// split, which is not built yet).
    public static func inboxSeeder(network: Network, classNames: [String], dataDirectory: String) -> InboxSeeder? {
        guard network.inputShape.height == 28, network.inputShape.width == 28, network.inputShape.channels == 1 else { return nil }
        let model = SendableNetwork(network)
        return InboxSeeder(description: "4 Fashion-MNIST test images, 2 inverted, 3 pixel-shuffled, 3 FGSM eps 0.1") { layout in
            try seed(layout, network: model.network, classNames: classNames, dataDirectory: dataDirectory)
        }
    }

    /// A network handed to the seeding closure, used on the daemon's thread only.
    private struct SendableNetwork: @unchecked Sendable {
        let network: Network
        init(_ network: Network) { self.network = network }
    }

    /// Writes the samples into `layout.inbox`.
    /// - Parameters:
    ///   - layout: the watched root.
    ///   - network: the model's network (for the attacks).
    ///   - classNames: the class names (in file names).
    ///   - dataDirectory: the Fashion-MNIST folder.
    ///   - plain: how many test images; `inverted`, `shuffled` and `attacked` likewise.
    /// - Returns: the names written.
    /// - Throws: data, image and file errors.
    public static func seed(
        _ layout: WatchLayout, network: Network, classNames: [String], dataDirectory: String, plain: Int = 4, inverted: Int = 2,
        shuffled: Int = 3, attacked: Int = 3
    ) throws -> [String] {
        let test = try FashionMNIST(directory: dataDirectory).test()
        let size = network.inputShape.size
        let (h, w) = (network.inputShape.height, network.inputShape.width)
        let n = plain + inverted + shuffled + attacked
        let x = FloatBuffer(count: n * size)
        test.copyImages(0..<n, into: x.pointer)
        let labels = Array(test.labels[0..<n])
        // Inverted: 1 − pixel.
        for i in plain..<(plain + inverted) { for j in 0..<size { x[i * size + j] = 1 - x[i * size + j] } }
        // Shuffled: the same pixels in a seeded random order.
        var rng = SeededGenerator(seed: 12)
        for i in (plain + inverted)..<(plain + inverted + shuffled) {
            let order = rng.permutation(size)
            let original = (0..<size).map { x[i * size + $0] }
            for j in 0..<size { x[i * size + j] = original[order[j]] }
        }
        // FGSM at eps 0.1 on the model's own gradient.
        let first = plain + inverted + shuffled
        let attack = Attack(method: .fgsm, eps: 0.1)
        let workspace = Workspace(network: network, capacity: attacked, trainable: true, inputGradient: true)
        labels.withUnsafeBufferPointer {
            attack.perturb(x.pointer + first * size, labels: $0.baseAddress! + first, count: attacked, network: network, workspace: workspace)
        }
        var names: [String] = []
        for i in 0..<n {
            let pixels = (0..<size).map { UInt8(min(max((x[i * size + $0] * 255).rounded(), 0), 255)) }
            let label = Int(labels[i]) < classNames.count ? classNames[Int(labels[i])] : "class\(labels[i])"
            let kind = i < plain ? "test" : i < plain + inverted ? "inverted" : i < first ? "shuffled" : "fgsm-0.1"
            let clean = label.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "-")
            let name = String(format: "sample-%02d-%@-%@.png", i + 1, kind, clean)
            let temporary = layout.path(".seed-\(name).tmp")
            try PNG.writeGray(pixels, width: w, height: h, to: temporary)
            let target = (layout.inbox as NSString).appendingPathComponent(name)
            guard rename(temporary, target) == 0 else {
                throw WatchError.cannotCreate(path: target, reason: String(cString: strerror(errno)))
            }
            names.append(name)
        }
        return names
    }
}
