import ArgumentParser
import Foundation
import TangleAttacks
import TangleData
import TangleEvaluation
import TangleImage
import TangleModelStore
import TangleNetwork
import TangleTensor
import TangleTraining

struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Write white-box adversarial images (FGSM, BIM, PGD-L∞ or PGD-L2 on the model's own gradient) as PNG files.",
        discussion: """
            Files are named <index>-<true class>-<method>-<eps>.png; drop them into the inbox to see how they are judged, \
            or judge a whole folder made on one model with another (the black-box, transferred setting): \
            tangle evaluate --model OTHER --attack-set NAME=DIR.
            """)

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the training data (default: where the model finds it).")
    var data: String?

    @Option(help: "The images attacked: a class folder (<class>/*.png|jpg) or a folder with an IDX image + label pair (default: Fashion-MNIST's test set, for Fashion-MNIST models). `calibration` attacks the model's own calibration split (design data).")
    var test: String?

    @Option(help: "fgsm, bim, pgd-linf or pgd-l2.")
    var method = "fgsm"

    @Option(help: "The ball's radius in [0, 1] pixel units: per pixel (L∞: fgsm, bim, pgd-linf) or over the whole image (pgd-l2, e.g. 2.0).")
    var eps: Float = 0.1

    @Option(help: "Gradient steps (default: bim 10, pgd 20; fgsm takes one).")
    var steps: Int?

    @Option(help: "Step size (default: bim eps / steps, pgd 2.5 eps / steps; pgd-l2: the step's L2 length).")
    var stepSize: Float?

    @Flag(inversion: .prefixedNo, help: "Start from a random point in the ball (default: on for pgd, off for bim).")
    var randomStart: Bool?

    @Option(help: "Seed for the random start.")
    var seed: UInt64 = 0

    @Option(help: "Test images to attack.")
    var count = 100

    @Option(help: "Index of the first test image.")
    var first = 0

    @Option(help: "Folder to write the PNG files into (created if missing).")
    var out: String

    func run() throws {
        guard let m = Attack.Method(rawValue: method) else {
            throw ValidationError("--method must be one of \(Attack.Method.allCases.map(\.rawValue).joined(separator: ", ")) (got \(method))")
        }
        // An L2 radius may exceed 1 (the whole image is one vector: 28x28 grey spans up to 28).
        guard eps >= 0, eps.isFinite, m.norm == .l2 || eps <= 1 else {
            throw ValidationError("--eps must lie within [0, 1] for an L∞ attack, and be a non-negative number for pgd-l2 (got \(eps))")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let stepSize, !(stepSize > 0 && stepSize.isFinite) { throw ValidationError("--step-size must be a positive number") }
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        let test = try EvaluationInputs.test(card: card, path: self.test, data: data)
        guard first >= 0, first < test.count else { throw ValidationError("--first must be below \(test.count)") }
        let n = min(count, test.count - first)
        let size = network.inputShape.size
        let x = FloatBuffer(count: n * size)
        test.copyImages(first..<(first + n), into: x.pointer)
        let labels = Array(test.labels[first..<(first + n)])
        let attack = Attack(method: m, eps: eps, steps: steps, stepSize: stepSize, randomStart: randomStart, seed: seed)
        let ws = Workspace(network: network, capacity: min(250, n), trainable: true, inputGradient: true)
        labels.withUnsafeBufferPointer { attack.perturb(x.pointer, labels: $0.baseAddress!, count: n, network: network, workspace: ws) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let evaluator = Evaluator(network: network)
        let (h, w, c) = (network.inputShape.height, network.inputShape.width, network.inputShape.channels)
        var pixels = [UInt8](repeating: 0, count: size)
        for i in 0..<n {
            for j in 0..<size { pixels[j] = UInt8((x[i * size + j] * 255).rounded().clamped(to: 0...255)) }
            let label = card.classNames[Int(labels[i])].replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "-")
            let name = String(format: "%05d-%@-%@-%@.png", first + i, label, method, String(eps))
            try Data(try PNG.encode(pixels, width: w, height: h, layout: c == 3 ? .rgb : .gray)).write(
                to: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
        }
        // Accuracy on what was written (the 8-bit files), against the clean images.
        let written = try LabelledImages(
            rows: h, columns: w, channels: c,
            pixels: (0..<(n * size)).map { UInt8((x[$0] * 255).rounded().clamped(to: 0...255)) }, labels: labels,
            classNames: card.classNames)
        let before = evaluator.evaluate(test, indices: Array(first..<(first + n))).accuracy
        let after = evaluator.evaluate(written).accuracy
        print(String(
            format: "wrote %d %@ images (eps %g, %d steps of %g%@) to %@; model accuracy %.1f%% before, %.1f%% after", n, attack.description, eps,
            attack.steps, attack.stepSize, attack.randomStart ? ", random start" : "", out, 100 * before, 100 * after))
    }
}

extension Float {
    func clamped(to r: ClosedRange<Float>) -> Float { Swift.min(Swift.max(self, r.lowerBound), r.upperBound) }
}
