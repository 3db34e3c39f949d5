import Foundation
import TangleEntanglement
import TangleModelStore
import TangleReport

/// The charts written beside a model card.
public enum TrainingCharts {
    /// Loss and accuracy per epoch for the training, calibration and test sets (the paper's Figure 8).
    public static func curves(_ card: ModelCard) -> LineChart {
        let e = card.epochs
        func series(_ name: String, _ f: (EpochMetrics) -> Double?) -> LineChart.Series {
            LineChart.Series(name: name, points: e.compactMap { m in f(m).map { (Double(m.epoch), $0) } })
        }
        return LineChart(
            title: "\(card.name): training curves", xLabel: "epoch",
            panels: [
                LineChart.Panel(
                    title: "loss (cross-entropy)", yLabel: "loss",
                    series: [
                        series("train", { $0.trainLoss }), series("calibration", { $0.calibrationLoss }),
                        series("test", { $0.testLoss }),
                    ].filter { !$0.points.isEmpty }),
                LineChart.Panel(
                    title: "accuracy", yLabel: "accuracy",
                    series: [
                        series("train", { $0.trainAccuracy }), series("calibration", { $0.calibrationAccuracy }),
                        series("test", { $0.testAccuracy }),
                    ].filter { !$0.points.isEmpty }),
            ])
    }

    /// Entanglement of every hidden layer over training (the paper's Figures 3 and 15): SNNL at
    /// its minimum over temperatures, at the fixed temperature, at the training temperature, and
    /// the layer's median pairwise distance (log scale).
    public static func entanglement(_ name: String, _ records: [(step: Int, epoch: Double, layers: [EntanglementProbe.Layer])]) -> LineChart {
        let names = records.first?.layers.map(\.layer) ?? []
        func panel(_ title: String, _ y: String, _ f: (EntanglementProbe.Layer) -> Double?) -> LineChart.Panel {
            LineChart.Panel(
                title: title, yLabel: y,
                series: names.map { layer in
                    LineChart.Series(
                        name: layer,
                        points: records.compactMap { r in
                            r.layers.first { $0.layer == layer }.flatMap(f).map { (r.epoch, $0) }
                        })
                }.filter { !$0.points.isEmpty })
        }
        var panels = [
            panel("SNNL, minimum over temperatures", "SNNL", { $0.snnlMin }),
            panel("SNNL at T = 100", "SNNL", { $0.snnlFixed }),
        ]
        let training = panel("SNNL at the training temperature", "SNNL", { $0.snnlTraining })
        if !training.series.isEmpty { panels.append(training) }
        panels.append(panel("median pairwise squared distance", "log10 distance", { $0.medianDistance > 0 ? log10($0.medianDistance) : nil }))
        return LineChart(title: "\(name): entanglement per hidden layer (fixed calibration batch)", xLabel: "epoch", panels: panels)
    }
}
