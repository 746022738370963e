import Foundation

/// A line chart: training curves (loss and accuracy against step or epoch), with a title,
/// axis labels, round-number ticks, a light grid, a legend and an optional log y-axis.
///
///     var loss = LinePlot(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy")
///     loss.add("train", trainPoints)
///     loss.add("test", testPoints, markers: true)
///     try LinePlot.panels([loss, accuracy]).write(to: run + "/curves.png")
///
/// Readable by default: the axes show every point (a given range is a preferred view that
/// widens to the data, unless `clipsToRange`, and then the figure says what it hides); a
/// series of one point is a large marker with its value written beside it; the legend shows
/// each series as drawn (dashes, markers, band) and sits in a corner that covers no data, or
/// outside the plot when every corner would.
public struct LinePlot {
    /// The shape drawn at a series' points.
    public enum Marker: Sendable, CaseIterable {
        case circle, square, triangle, diamond
    }

    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Nil takes the next colour of `RGB.palette`.
        public var color: RGB?
        public var thickness: Double
        public var dashed: Bool
        /// A marker at every point (for sparse evaluations). A series of one point always has one.
        public var markers: Bool
        public var marker: Marker
        /// A shaded band from `low` to `high` at each x (a spread over seeds), drawn under the line.
        public var band: [(x: Double, low: Double, high: Double)]

        public init(_ name: String, _ points: [(x: Double, y: Double)], color: RGB? = nil,
                    thickness: Double = 2, dashed: Bool = false, markers: Bool = false, marker: Marker = .circle,
                    band: [(x: Double, low: Double, high: Double)] = []) {
            self.name = name; self.points = points; self.color = color
            self.thickness = thickness; self.dashed = dashed; self.markers = markers; self.marker = marker
            self.band = band
        }

        /// Points with finite coordinates.
        var finitePoints: [(x: Double, y: Double)] { points.filter { $0.x.isFinite && $0.y.isFinite } }

        /// Whether markers are drawn: asked for, or the series is a single point (a lone dot
        /// of line width would be lost).
        public var drawsMarkers: Bool { markers || finitePoints.count == 1 }
    }

    public enum LegendPlacement: Sendable {
        /// The corner that covers no plotted data; outside the plot, to its right, when
        /// every corner would cover some.
        case auto
        case none, topRight, topLeft, bottomRight, bottomLeft
        /// To the right of the plot, which gets narrower.
        case outside
    }

    public var title: String
    /// A second, smaller title line: the run it shows (experiment, seeds, quick or not).
    public var subtitle: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Logarithmic y-axis; points with y <= 0 are left out (and the figure says how many).
    public var logY: Bool
    /// Preferred axis ranges: the axis is this range when it holds every point, else it is
    /// widened to hold them all. Nil: the data's range (padded).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Keep `xRange`/`yRange` exactly, cutting off data outside them; the figure then writes
    /// above the plot how many points it does not show.
    public var clipsToRange: Bool
    public var legend: LegendPlacement

    public init(title: String = "", subtitle: String = "", xLabel: String = "", yLabel: String = "",
                logY: Bool = false, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                clipsToRange: Bool = false, series: [Series] = [], legend: LegendPlacement = .auto) {
        self.title = title; self.subtitle = subtitle; self.xLabel = xLabel; self.yLabel = yLabel; self.logY = logY
        self.xRange = xRange; self.yRange = yRange; self.clipsToRange = clipsToRange
        self.series = series; self.legend = legend
    }

    public mutating func add(_ name: String, _ points: [(x: Double, y: Double)], color: RGB? = nil,
                             thickness: Double = 2, dashed: Bool = false, markers: Bool = false,
                             marker: Marker = .circle, band: [(x: Double, low: Double, high: Double)] = []) {
        series.append(Series(name, points, color: color, thickness: thickness, dashed: dashed, markers: markers,
                             marker: marker, band: band))
    }

    /// Adds a series from parallel x and y arrays.
    public mutating func add(_ name: String, x: [Double], y: [Double], color: RGB? = nil,
                             thickness: Double = 2, dashed: Bool = false, markers: Bool = false,
                             marker: Marker = .circle) {
        precondition(x.count == y.count, "LinePlot.add: \(x.count) x values, \(y.count) y values")
        add(name, Array(zip(x, y)).map { (x: $0.0, y: $0.1) }, color: color, thickness: thickness,
            dashed: dashed, markers: markers, marker: marker)
    }

    /// The colour series `i` is drawn in.
    func color(of i: Int) -> RGB { series[i].color ?? RGB.palette[i % RGB.palette.count] }

    /// The plot alone on a white canvas.
    public func render(width: Int = 640, height: Int = 440) throws -> Canvas {
        var canvas = Canvas(width: width, height: height)
        try draw(on: &canvas, in: canvas.bounds)
        return canvas
    }

    /// Several plots side by side (e.g. loss | accuracy), under an optional common title and
    /// subtitle; with `columns`, in rows of that many (left to right, then top to bottom).
    public static func panels(_ plots: [LinePlot], panelWidth: Int = 520, height: Int = 400,
                              title: String? = nil, subtitle: String? = nil, columns: Int? = nil) throws -> Canvas {
        precondition(!plots.isEmpty, "LinePlot.panels: no plots")
        let perRow = max(1, min(columns ?? plots.count, plots.count))
        let rows = (plots.count + perRow - 1) / perRow
        let font = try Font.dejaVuSans()
        func lineH(_ size: Double) -> Int { let m = font.lineMetrics(size: size); return m.ascent + m.descent }
        let titleH = (title == nil ? 0 : lineH(16) + 10) + (subtitle == nil ? 0 : lineH(subtitleSize) + 4)
        var canvas = Canvas(width: panelWidth * perRow, height: height * rows + titleH)
        if let title {
            try canvas.drawText(title, x: Double(canvas.width) / 2, y: 8, size: 16, align: .center,
                                baseline: .top, font: font)
        }
        if let subtitle {
            try canvas.drawText(subtitle, x: Double(canvas.width) / 2, y: Double(titleH - lineH(subtitleSize) - 2),
                                size: subtitleSize, color: subtitleColor, align: .center, baseline: .top, font: font)
        }
        for (i, plot) in plots.enumerated() {
            let rect = PixelRect(x: i % perRow * panelWidth, y: titleH + i / perRow * height, width: panelWidth, height: height)
            try plot.draw(on: &canvas, in: rect)
        }
        return canvas
    }
}
