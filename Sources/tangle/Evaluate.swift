import ArgumentParser
import Foundation
import TangleData
import TangleModelStore
import TangleTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's test accuracy and confusion matrix.")

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist-baseline"

    @Option(help: "Folder with the test IDX files (default: the one the model card names).")
    var data: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let folder = ModelFolder(path: model)
        let (card, network) = try folder.loadNetwork()
        let test = try FashionMNIST(directory: data ?? card.data.directory).test()
        let t0 = Date()
        let report = Evaluator(network: network).evaluate(test)
        let seconds = Date().timeIntervalSince(t0)
        if json {
            struct Output: Encodable {
                var model: String
                var accuracy: Double
                var loss: Double
                var count: Int
                var confusion: [[Int]]
                var classNames: [String]
                var seconds: Double
            }
            let e = JSONEncoder()
            e.keyEncodingStrategy = .convertToSnakeCase
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let out = Output(
                model: card.name, accuracy: report.accuracy, loss: report.loss, count: report.count,
                confusion: report.confusion, classNames: card.classNames, seconds: seconds)
            print(String(decoding: try e.encode(out), as: UTF8.self))
            return
        }
        print("model \(card.name) (\(model))")
        print(String(format: "test accuracy %.2f%% on %d images (loss %.4f, %.1f s)", 100 * report.accuracy, report.count, report.loss, seconds))
        print("\nconfusion matrix (rows: true class, columns: predicted)")
        let short = card.classNames.map { String($0.prefix(7)) }
        print("".padding(toLength: 12, withPad: " ", startingAt: 0) + short.map { $0.leftPad(8) }.joined())
        for (i, row) in report.confusion.enumerated() {
            print(card.classNames[i].padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String($0).leftPad(8) }.joined())
        }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
