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
                    ]),
                LineChart.Panel(
                    title: "accuracy", yLabel: "accuracy",
                    series: [
                        series("train", { $0.trainAccuracy }), series("calibration", { $0.calibrationAccuracy }),
                        series("test", { $0.testAccuracy }),
                    ]),
            ])
    }
}
