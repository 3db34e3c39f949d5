import Foundation

/// A small SVG line chart: one or more named series over a shared x axis.
///
/// Used for training curves and entanglement curves; the output is a self-contained SVG file a
/// browser or image viewer opens.
public struct LineChart: Sendable {
    /// One line.
    public struct Series: Sendable {
        /// The legend label.
        public var name: String
        /// Points `(x, y)`; non-finite values are skipped.
        public var points: [(Double, Double)]

        /// Creates a series.
        public init(name: String, points: [(Double, Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// One panel of the chart.
    public struct Panel: Sendable {
        /// The panel's title.
        public var title: String
        /// The y axis label.
        public var yLabel: String
        /// The lines.
        public var series: [Series]

        /// Creates a panel.
        public init(title: String, yLabel: String, series: [Series]) {
            self.title = title
            self.yLabel = yLabel
            self.series = series
        }
    }

    /// The chart's title.
    public var title: String
    /// The x axis label.
    public var xLabel: String
    /// Panels, drawn side by side.
    public var panels: [Panel]

    /// Creates a chart.
    public init(title: String, xLabel: String, panels: [Panel]) {
        self.title = title
        self.xLabel = xLabel
        self.panels = panels
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart as SVG text.
    public func svg() -> String {
        let pw = 420.0, ph = 300.0, ml = 60.0, mr = 20.0, mt = 50.0, mb = 50.0, legendH = 18.0
        let maxSeries = panels.map(\.series.count).max() ?? 0
        let width = Double(panels.count) * (pw + ml + mr)
        let height = mt + ph + mb + Double(maxSeries) * legendH + 10
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="20" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

            """
        for (pi, panel) in panels.enumerated() {
            let x0 = Double(pi) * (pw + ml + mr) + ml
            let pts = panel.series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
            var (xmin, xmax) = (pts.map(\.0).min() ?? 0, pts.map(\.0).max() ?? 1)
            var (ymin, ymax) = (pts.map(\.1).min() ?? 0, pts.map(\.1).max() ?? 1)
            if xmax <= xmin { xmax = xmin + 1 }
            if ymax <= ymin { ymax = ymin + 1; ymin -= 1 }
            let pad = (ymax - ymin) * 0.05
            ymin -= pad
            ymax += pad
            func px(_ x: Double) -> Double { x0 + (x - xmin) / (xmax - xmin) * pw }
            func py(_ y: Double) -> Double { mt + ph - (y - ymin) / (ymax - ymin) * ph }
            s += "<text x=\"\(x0 + pw / 2)\" y=\"\(mt - 10)\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
            s += "<rect x=\"\(x0)\" y=\"\(mt)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#888\"/>\n"
            for t in ticks(ymin, ymax) {
                s += "<line x1=\"\(x0)\" y1=\"\(py(t))\" x2=\"\(x0 + pw)\" y2=\"\(py(t))\" stroke=\"#eee\"/>"
                s += "<text x=\"\(x0 - 5)\" y=\"\(py(t) + 4)\" text-anchor=\"end\">\(fmt(t))</text>\n"
            }
            for t in ticks(xmin, xmax) {
                s += "<text x=\"\(px(t))\" y=\"\(mt + ph + 16)\" text-anchor=\"middle\">\(fmt(t))</text>\n"
            }
            s += "<text x=\"\(x0 + pw / 2)\" y=\"\(mt + ph + 34)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
            s += "<text transform=\"translate(\(x0 - 45),\(mt + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(panel.yLabel))</text>\n"
            for (si, series) in panel.series.enumerated() {
                let color = LineChart.palette[si % LineChart.palette.count]
                let path = series.points.filter { $0.0.isFinite && $0.1.isFinite }
                    .map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
                if !path.isEmpty {
                    s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(path)\"/>\n"
                }
                let ly = mt + ph + mb + Double(si) * legendH
                s += "<line x1=\"\(x0)\" y1=\"\(ly)\" x2=\"\(x0 + 24)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"3\"/>"
                s += "<text x=\"\(x0 + 30)\" y=\"\(ly + 4)\">\(escape(series.name))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    private func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let span = hi - lo
        let raw = span / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 && out.count < 20 {
            out.append(t)
            t += step
        }
        return out
    }

    private func fmt(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) < 0.01 ? "%.2g" : "%.3g", v)
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
