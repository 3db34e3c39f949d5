import Testing
import TangleNetwork
import TangleTensor
@testable import TangleAttacks

@Suite struct AttackTests {
    let arch = Architecture(
        input: Shape3(height: 5, width: 5, channels: 1),
        layers: [.conv2d("c", filters: 3, kernel: 3), .dense("logits", units: 3, activation: .linear)])

    func loss(_ net: Network, _ x: [Float], _ labels: [Int32]) -> Double {
        let ws = Workspace(network: net, capacity: labels.count, trainable: false)
        x.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: x.count) }
        net.forward(ws, count: labels.count)
        return labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.evaluate(logits: ws.logits.pointer, labels: $0.baseAddress!, count: labels.count, classes: 3).loss
        }
    }

    @Test(arguments: [Attack(method: .fgsm, eps: 0.05), Attack(method: .bim, eps: 0.05)])
    func raisesTheLossWithinTheBallAndTheImageRange(attack: Attack) throws {
        let net = try Network(architecture: arch, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let labels: [Int32] = [0, 1, 2, 1, 0]
        let x = (0..<(5 * 25)).map { _ in rng.nextFloat(in: 0, 1) }
        var adv = x
        let ws = Workspace(network: net, capacity: 2, trainable: true, inputGradient: true)
        adv.withUnsafeMutableBufferPointer { a in
            labels.withUnsafeBufferPointer { attack.perturb(a.baseAddress!, labels: $0.baseAddress!, count: 5, network: net, workspace: ws) }
        }
        #expect(loss(net, adv, labels) > loss(net, x, labels))
        for (a, o) in zip(adv, x) {
            #expect(abs(a - o) <= attack.eps + 1e-6)
            #expect(a >= 0 && a <= 1)
        }
        if attack.method == .fgsm {
            #expect(zip(adv, x).contains { abs(abs($0 - $1) - attack.eps) < 1e-6 })
        }
    }

    @Test func parsesTheCommandLineForm() {
        #expect(Attack("fgsm:0.1") == Attack(method: .fgsm, eps: 0.1))
        #expect(Attack("bim:0.2")?.steps == 10)
        #expect(Attack("pgd:0.1") == nil)
        #expect(Attack("fgsm:x") == nil)
    }
}
