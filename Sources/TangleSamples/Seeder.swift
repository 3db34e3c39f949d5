import Foundation
import TangleAttacks
import TangleData
import TangleImage
import TangleNetwork
import TangleTensor
import TangleWatch

/// Sample images for a first start, so a new user sees every verdict at once, taken from the
/// model's own calibration split (never trained on): images as they are, inverted ones (for a
/// Fashion-MNIST-like model the polarity check turns them back; for photographs they stay inverted
/// and are unlike the training data), pixel-shuffled ones (no object left: outliers) and FGSM
/// attacks (eps 0.1) made with the model's own network. Each is written under a temporary name in
/// the root and renamed into the inbox, so the watcher never sees half a file. Grey models get grey
/// PNGs, colour models colour ones, at the model's input size.
public enum Seeder {
    /// The seeder `tangle watch` gives its daemon: the samples below, from `calibration()` (the
    /// model's held-out split, loaded only when a first start asks for samples), made with `network`.
    public static func inboxSeeder(network: Network, classNames: [String], calibration: @escaping @Sendable () throws -> LabelledImages) -> InboxSeeder {
        let model = SendableNetwork(network)
        return InboxSeeder(description: "4 calibration-split images, 2 inverted, 3 pixel-shuffled, 3 FGSM eps 0.1") { layout in
            try seed(layout, network: model.network, classNames: classNames, images: try calibration())
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
    ///   - images: labelled images of the model's input shape (its calibration split).
    ///   - plain: how many images as they are; `inverted`, `shuffled` and `attacked` likewise.
    /// - Returns: the names written.
    /// - Throws: image and file errors, or a data error when `images` does not fit the network.
    public static func seed(
        _ layout: WatchLayout, network: Network, classNames: [String], images: LabelledImages, plain: Int = 4, inverted: Int = 2,
        shuffled: Int = 3, attacked: Int = 3
    ) throws -> [String] {
        let shape = network.inputShape
        let size = shape.size
        guard images.imageSize == size, images.channels == shape.channels else {
            throw DataError.invalid("the samples' images are \(images.rows)x\(images.columns)x\(images.channels); the model takes \(shape)")
        }
        let (h, w, c) = (shape.height, shape.width, shape.channels)
        let n = min(plain + inverted + shuffled + attacked, images.count)
        // Spread over the classes: one image per class in turn.
        var byClass: [Int32: [Int]] = [:]
        for (i, l) in images.labels.enumerated() { byClass[l, default: []].append(i) }
        let classes = byClass.keys.sorted()
        var picked: [Int] = []
        var round = 0
        while picked.count < n {
            var added = false
            for k in classes where round < byClass[k]!.count && picked.count < n {
                picked.append(byClass[k]![round])
                added = true
            }
            guard added else { break }
            round += 1
        }
        let x = FloatBuffer(count: max(1, picked.count) * size)
        images.copyImages(picked, into: x.pointer)
        let labels = picked.map { images.labels[$0] }
        let count = picked.count
        let inv = min(inverted, max(0, count - plain)), shuf = min(shuffled, max(0, count - plain - inv))
        let att = max(0, count - plain - inv - shuf)
        // Inverted: 1 − value.
        for i in plain..<(plain + inv) { for j in 0..<size { x[i * size + j] = 1 - x[i * size + j] } }
        // Shuffled: the same pixels (all channels of a pixel together) in a seeded random order.
        var rng = SeededGenerator(seed: 12)
        for i in (plain + inv)..<(plain + inv + shuf) {
            let order = rng.permutation(h * w)
            let original = (0..<size).map { x[i * size + $0] }
            for p in 0..<(h * w) { for k in 0..<c { x[i * size + p * c + k] = original[order[p] * c + k] } }
        }
        // FGSM at eps 0.1 on the model's own gradient.
        let first = plain + inv + shuf
        if att > 0 {
            let attack = Attack(method: .fgsm, eps: 0.1)
            let workspace = Workspace(network: network, capacity: att, trainable: true, inputGradient: true)
            labels.withUnsafeBufferPointer {
                attack.perturb(x.pointer + first * size, labels: $0.baseAddress! + first, count: att, network: network, workspace: workspace)
            }
        }
        var names: [String] = []
        for i in 0..<count {
            let pixels = (0..<size).map { UInt8(min(max((x[i * size + $0] * 255).rounded(), 0), 255)) }
            let label = Int(labels[i]) < classNames.count ? classNames[Int(labels[i])] : "class\(labels[i])"
            let kind = i < plain ? "clean" : i < plain + inv ? "inverted" : i < first ? "shuffled" : "fgsm-0.1"
            let clean = label.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "-")
            let name = String(format: "sample-%02d-%@-%@.png", i + 1, kind, clean)
            let temporary = layout.path(".seed-\(name).tmp")
            try Data(try PNG.encode(pixels, width: w, height: h, layout: c == 3 ? .rgb : .gray)).write(to: URL(fileURLWithPath: temporary))
            let target = (layout.inbox as NSString).appendingPathComponent(name)
            guard rename(temporary, target) == 0 else {
                throw WatchError.cannotCreate(path: target, reason: String(cString: strerror(errno)))
            }
            names.append(name)
        }
        return names
    }
}
