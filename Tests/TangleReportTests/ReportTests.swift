import Testing
@testable import TangleReport

@Suite struct ReportTests {
    @Test func chartDrawsEverySeriesWithALegend() {
        let chart = LineChart(
            title: "t <1>", xLabel: "epoch",
            panels: [
                .init(title: "loss", yLabel: "l", series: [.init(name: "train", points: [(1, 2), (2, 1), (3, .nan)]), .init(name: "test", points: [(1, 3), (2, 2)])]),
                .init(title: "acc", yLabel: "a", series: [.init(name: "train", points: [(1, 0.5), (2, 0.9)])]),
            ])
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 3)
        #expect(svg.contains(">test</text>"))
        #expect(svg.contains("t &lt;1&gt;"))
        #expect(!svg.contains("nan"))
    }

}
