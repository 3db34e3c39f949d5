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
        abstract: "Write white-box adversarial images (FGSM or BIM on the model's own gradient) as PNG files.",
        discussion: "Files are named <index>-<true class>-<method>-<eps>.png; drop them into the inbox to see how they are judged.")

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the training data (default: where the model finds it).")
    var data: String?

    @Option(help: "The images attacked: a class folder (<class>/*.png|jpg) or a folder with an IDX image + label pair (default: Fashion-MNIST's test set, for Fashion-MNIST models). `calibration` attacks the model's own calibration split (design data).")
    var test: String?

    @Option(help: "fgsm or bim.")
    var method = "fgsm"

    @Option(help: "L-infinity radius in [0, 1] pixel units.")
    var eps: Float = 0.1

    @Option(help: "BIM steps (step size eps / steps).")
    var steps = 10

    @Option(help: "Test images to attack.")
    var count = 100

    @Option(help: "Index of the first test image.")
    var first = 0

    @Option(help: "Folder to write the PNG files into (created if missing).")
    var out: String

    func run() throws {
        guard let m = Attack.Method(rawValue: method) else { throw ValidationError("--method must be fgsm or bim") }
        guard eps >= 0, eps <= 1 else { throw ValidationError("--eps must be within [0, 1]") }
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        let test = try EvaluationInputs.test(card: card, path: self.test, data: data)
        guard first >= 0, first < test.count else { throw ValidationError("--first must be below \(test.count)") }
        let n = min(count, test.count - first)
        let size = network.inputShape.size
        let x = FloatBuffer(count: n * size)
        test.copyImages(first..<(first + n), into: x.pointer)
        let labels = Array(test.labels[first..<(first + n)])
        let attack = Attack(method: m, eps: eps, steps: steps, stepSize: eps / Float(max(steps, 1)))
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
        print(String(format: "wrote %d %@ images (eps %g) to %@; model accuracy %.1f%% before, %.1f%% after", n, attack.description, eps, out, 100 * before, 100 * after))
    }
}

extension Float {
    func clamped(to r: ClosedRange<Float>) -> Float { Swift.min(Swift.max(self, r.lowerBound), r.upperBound) }
}
