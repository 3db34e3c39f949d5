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

    @Test(arguments: [
        Attack(method: .fgsm, eps: 0.05), Attack(method: .bim, eps: 0.05), Attack(method: .pgdLinf, eps: 0.05),
        Attack(method: .pgdL2, eps: 0.3), Attack(method: .pgdL2, eps: 0.3, randomStart: false),
    ])
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
            if attack.method.norm == .linf { #expect(abs(a - o) <= attack.eps + 1e-6) }
            #expect(a >= 0 && a <= 1)
        }
        if attack.method.norm == .l2 {
            for i in 0..<5 {
                let d = (0..<25).map { adv[i * 25 + $0] - x[i * 25 + $0] }
                let norm = d.map { $0 * $0 }.reduce(0, +).squareRoot()
                #expect(norm <= attack.eps * (1 + 1e-5), "image \(i): L2 \(norm) > \(attack.eps)")
                #expect(norm > attack.eps / 2, "20 steps of 2.5 eps / 20 reach near the ball's edge")
            }
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
        let pgd = Attack("pgd-linf:0.1")
        #expect(pgd?.steps == 20 && pgd?.randomStart == true && pgd.map { abs($0.stepSize - 0.0125) < 1e-7 } == true)
        #expect(Attack("pgd-l2:2")?.eps == 2 && Attack("pgd-l2:2")?.method.norm == .l2)
        #expect(Attack("pgd-l2:2")?.name == "pgd-l2:2", "a report's key is the spec as typed")
        #expect(Attack("bim:0.1")?.randomStart == false && Attack(method: .fgsm, eps: 0.1, randomStart: true).randomStart == false)
    }

    /// The random start is seeded per image: the same image is attacked alike in any batch size, a
    /// different seed moves it elsewhere.
    @Test func theRandomStartDependsOnTheImageNotTheBatch() throws {
        let net = try Network(architecture: arch, seed: 1)
        var rng = SeededGenerator(seed: 5)
        let labels: [Int32] = [0, 1, 2, 1, 0, 2, 2]
        let x = (0..<(7 * 25)).map { _ in rng.nextFloat(in: 0.2, 0.8) }
        func attacked(_ attack: Attack, capacity: Int) -> [Float] {
            var a = x
            let ws = Workspace(network: net, capacity: capacity, trainable: true, inputGradient: true)
            a.withUnsafeMutableBufferPointer { p in
                labels.withUnsafeBufferPointer { attack.perturb(p.baseAddress!, labels: $0.baseAddress!, count: 7, network: net, workspace: ws) }
            }
            return a
        }
        for method in [Attack.Method.pgdLinf, .pgdL2] {
            let attack = Attack(method: method, eps: method == .pgdL2 ? 0.5 : 0.05, steps: 1, stepSize: 1e-6)
            let whole = attacked(attack, capacity: 7)
            #expect(whole == attacked(attack, capacity: 3))
            #expect(whole != attacked(Attack(method: method, eps: attack.eps, steps: 1, stepSize: 1e-6, seed: 9), capacity: 7))
            #expect(whole != x, "the start moved the images")
        }
    }
}
