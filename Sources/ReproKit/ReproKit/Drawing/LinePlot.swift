import Foundation

/// A line chart: training curves (loss and accuracy against step or epoch), with a title,
/// axis labels, round-number ticks, a light grid, a legend and an optional log y-axis.
///
///     var loss = LinePlot(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy")
///     loss.add("train", trainPoints)
///     loss.add("test", testPoints, markers: true)
///     try LinePlot.panels([loss, accuracy]).write(to: run + "/curves.png")
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Nil takes the next colour of `RGB.palette`.
        public var color: RGB?
        public var thickness: Double
        public var dashed: Bool
        /// A dot at every point (for sparse evaluations).
        public var markers: Bool

        public init(_ name: String, _ points: [(x: Double, y: Double)], color: RGB? = nil,
                    thickness: Double = 2, dashed: Bool = false, markers: Bool = false) {
            self.name = name; self.points = points; self.color = color
            self.thickness = thickness; self.dashed = dashed; self.markers = markers
        }
    }

    public enum LegendPlacement: Sendable {
        /// The corner that covers the fewest plotted pixels.
        case auto
        case none, topRight, topLeft, bottomRight, bottomLeft
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Logarithmic y-axis; points with y <= 0 are left out.
    public var logY: Bool
    /// Fixed axis ranges; default the data's (y padded by 5%).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var legend: LegendPlacement

    public init(title: String = "", xLabel: String = "", yLabel: String = "", logY: Bool = false,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                series: [Series] = [], legend: LegendPlacement = .auto) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logY = logY
        self.xRange = xRange; self.yRange = yRange; self.series = series; self.legend = legend
    }

    public mutating func add(_ name: String, _ points: [(x: Double, y: Double)], color: RGB? = nil,
                             thickness: Double = 2, dashed: Bool = false, markers: Bool = false) {
        series.append(Series(name, points, color: color, thickness: thickness, dashed: dashed, markers: markers))
    }

    /// Adds a series from parallel x and y arrays.
    public mutating func add(_ name: String, x: [Double], y: [Double], color: RGB? = nil,
                             thickness: Double = 2, dashed: Bool = false, markers: Bool = false) {
        precondition(x.count == y.count, "LinePlot.add: \(x.count) x values, \(y.count) y values")
        add(name, Array(zip(x, y)).map { (x: $0.0, y: $0.1) }, color: color, thickness: thickness,
            dashed: dashed, markers: markers)
    }

    /// The plot alone on a white canvas.
    public func render(width: Int = 640, height: Int = 440) throws -> Canvas {
        var canvas = Canvas(width: width, height: height)
        try draw(on: &canvas, in: canvas.bounds)
        return canvas
    }

    /// Several plots side by side (e.g. loss | accuracy), under an optional common title;
    /// with `columns`, in rows of that many (left to right, then top to bottom).
    public static func panels(_ plots: [LinePlot], panelWidth: Int = 520, height: Int = 400,
                              title: String? = nil, columns: Int? = nil) throws -> Canvas {
        precondition(!plots.isEmpty, "LinePlot.panels: no plots")
        let perRow = max(1, min(columns ?? plots.count, plots.count))
        let rows = (plots.count + perRow - 1) / perRow
        let font = try Font.dejaVuSans()
        let titleH = title.map { _ in font.lineMetrics(size: 16) }.map { $0.ascent + $0.descent + 10 } ?? 0
        var canvas = Canvas(width: panelWidth * perRow, height: height * rows + titleH)
        if let title {
            try canvas.drawText(title, x: Double(canvas.width) / 2, y: 8, size: 16, align: .center,
                                baseline: .top, font: font)
        }
        for (i, plot) in plots.enumerated() {
            let rect = PixelRect(x: i % perRow * panelWidth, y: titleH + i / perRow * height, width: panelWidth, height: height)
            try plot.draw(on: &canvas, in: rect)
        }
        return canvas
    }

    /// Draws the plot inside `rect` of `canvas` and says where its data area and legend went.
    @discardableResult
    public func draw(on canvas: inout Canvas, in rect: PixelRect) throws -> PlotGeometry {
        let font = try Font.dejaVuSans()
        let tickSize = 11.0, axisSize = 13.0, titleSize = 14.0, legendSize = 11.5
        let tickLine = font.lineMetrics(size: tickSize), axisLine = font.lineMetrics(size: axisSize)
        let tickH = tickLine.ascent + tickLine.descent, axisH = axisLine.ascent + axisLine.descent
        let pad = 10, tickLen = 4

        let (xr, tr) = ranges()
        // Ticks depend on the plot's size, which depends on the tick labels: estimate first.
        let yTicks = logY ? Ticks.log(pow(10, tr.lowerBound), pow(10, tr.upperBound), target: max(3, (rect.height - 90) / 55))
            : Ticks.linear(tr.lowerBound, tr.upperBound, target: max(3, (rect.height - 90) / 55))
        let xTicks = Ticks.linear(xr.lowerBound, xr.upperBound, target: max(3, (rect.width - 100) / 90))
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        let yLabels = yTicks.map { logY ? Ticks.logLabel($0) : Ticks.label($0, step: yStep) }
        let xLabels = xTicks.map { Ticks.label($0, step: xStep) }
        let yLabelW = yLabels.map { font.measure($0, size: tickSize) }.max() ?? 0
        let lastXW = xLabels.last.map { font.measure($0, size: tickSize) } ?? 0

        let titleH = title.isEmpty ? 0 : font.lineMetrics(size: titleSize).ascent + font.lineMetrics(size: titleSize).descent + 8
        let left = rect.x + pad + (yLabel.isEmpty ? 0 : axisH + 8) + yLabelW + 4 + tickLen
        let top = rect.y + pad + max(titleH, tickH / 2)
        let right = rect.maxX - max(pad + 6, lastXW / 2 + 4)
        let bottom = rect.maxY - pad - (xLabel.isEmpty ? 0 : axisH + 6) - tickH - 3 - tickLen
        let plot = PixelRect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))
        let geometry0 = PlotGeometry(plotRect: plot, legendRect: nil, xRange: xr, yRange: tr, logY: logY)

        // Grid, then data, then the frame over the data's edges.
        canvas.fillRect(plot, .white)
        for v in xTicks {
            let x = Int(geometry0.position(x: v, y: 1).x)
            canvas.fillRect(PixelRect(x: min(x, plot.maxX - 1), y: plot.y, width: 1, height: plot.height), .gridLine)
        }
        for v in yTicks {
            let y = Int(geometry0.pixelY(logY ? log10(v) : v))
            canvas.fillRect(PixelRect(x: plot.x, y: min(y, plot.maxY - 1), width: plot.width, height: 1), .gridLine)
        }
        var drawn: [[(x: Double, y: Double)]] = []
        for (i, s) in series.enumerated() {
            let color = s.color ?? RGB.palette[i % RGB.palette.count]
            let pts = s.points.map { p -> (x: Double, y: Double) in
                guard p.x.isFinite, p.y.isFinite, !logY || p.y > 0 else { return (.nan, .nan) }
                return geometry0.position(x: p.x, y: p.y)
            }
            drawn.append(pts)
            let dash = s.dashed ? (on: 4 + 3 * s.thickness, off: 2 + 2 * s.thickness) : nil
            canvas.drawPolyline(pts, color: color, thickness: s.thickness, dash: dash, clip: plot)
            if s.markers || pts.count == 1 {
                for p in pts where p.x.isFinite && PlotGeometry.inside(plot, p) {
                    canvas.fillCircle(center: p, radius: s.thickness + 1.5, color: color, clip: plot)
                }
            }
        }
        let frame = RGB(90, 90, 90)
        canvas.strokeRect(PixelRect(x: plot.x - 1, y: plot.y - 1, width: plot.width + 2, height: plot.height + 2), frame)

        for (v, label) in zip(xTicks, xLabels) {
            let x = geometry0.position(x: v, y: 1).x
            let xi = min(Int(x), plot.maxX - 1)
            canvas.fillRect(PixelRect(x: xi, y: plot.maxY + 1, width: 1, height: tickLen), frame)
            try canvas.drawText(label, x: Double(xi) + 0.5, y: Double(plot.maxY + 1 + tickLen + 2), size: tickSize,
                                align: .center, baseline: .top, font: font)
        }
        for (v, label) in zip(yTicks, yLabels) {
            let y = geometry0.pixelY(logY ? log10(v) : v)
            let yi = min(Int(y), plot.maxY - 1)
            canvas.fillRect(PixelRect(x: plot.x - 1 - tickLen, y: yi, width: tickLen, height: 1), frame)
            try canvas.drawText(label, x: Double(plot.x - 1 - tickLen - 3), y: Double(yi) + 0.5, size: tickSize,
                                align: .right, baseline: .middle, font: font)
        }
        if !xLabel.isEmpty {
            try canvas.drawText(xLabel, x: plot.midX, y: Double(rect.maxY - pad), size: axisSize,
                                align: .center, baseline: .bottom, font: font)
        }
        if !yLabel.isEmpty {
            try canvas.drawText(yLabel, x: Double(rect.x + pad), y: plot.midY, size: axisSize,
                                align: .center, baseline: .top, rotation: .up, font: font)
        }
        if !title.isEmpty {
            try canvas.drawText(title, x: plot.midX, y: Double(rect.y + pad), size: titleSize,
                                align: .center, baseline: .top, font: font)
        }

        let legendRect = try drawLegend(on: &canvas, plot: plot, drawn: drawn, font: font, size: legendSize)
        return PlotGeometry(plotRect: plot, legendRect: legendRect, xRange: xr, yRange: tr, logY: logY)
    }

    /// The x range and the y range in plotted units (log10 of y on a log axis).
    private func ranges() -> (ClosedRange<Double>, ClosedRange<Double>) {
        var xs: [Double] = [], ts: [Double] = []
        for s in series {
            for p in s.points where p.x.isFinite && p.y.isFinite && (!logY || p.y > 0) {
                xs.append(p.x); ts.append(logY ? log10(p.y) : p.y)
            }
        }
        var x0 = xRange?.lowerBound ?? xs.min() ?? 0, x1 = xRange?.upperBound ?? xs.max() ?? 1
        if !(x1 > x0) { let d = x0 == 0 ? 1 : abs(x0) * 0.1; x0 -= d; x1 += d }
        var t0: Double, t1: Double
        if let yRange {
            t0 = logY ? log10(max(yRange.lowerBound, 1e-30)) : yRange.lowerBound
            t1 = logY ? log10(max(yRange.upperBound, 1e-30)) : yRange.upperBound
        } else {
            t0 = ts.min() ?? 0; t1 = ts.max() ?? 1
            let span = t1 - t0
            if span > 0 { t0 -= 0.05 * span; t1 += 0.05 * span }
        }
        if !(t1 > t0) { let d = logY ? 0.5 : (t0 == 0 ? 1 : abs(t0) * 0.1); t0 -= d; t1 += d }
        return (x0...x1, t0...t1)
    }

    private func drawLegend(on canvas: inout Canvas, plot: PixelRect, drawn: [[(x: Double, y: Double)]],
                            font: Font, size: Double) throws -> PixelRect? {
        let entries = series.enumerated().filter { !$0.element.name.isEmpty }
        guard legend != .none, !entries.isEmpty else { return nil }
        let line = font.lineMetrics(size: size)
        let rowH = line.ascent + line.descent + 3
        let sample = 26
        let nameW = entries.map { font.measure($0.element.name, size: size) }.max() ?? 0
        let w = 8 + sample + 6 + nameW + 10, h = 6 + entries.count * rowH + 4
        let inset = 8
        func corner(_ p: LegendPlacement) -> PixelRect {
            let x = p == .topLeft || p == .bottomLeft ? plot.x + inset : plot.maxX - inset - w
            let y = p == .topLeft || p == .topRight ? plot.y + inset : plot.maxY - inset - h
            return PixelRect(x: x, y: y, width: w, height: h)
        }
        var place = legend
        if place == .auto {
            // Count how much of the data each corner would hide, sampling every segment at
            // about one pixel; the first corner with the least wins.
            let candidates: [LegendPlacement] = [.topRight, .topLeft, .bottomRight, .bottomLeft]
            let scores = candidates.map { c -> Int in
                let r = corner(c)
                var hits = 0
                for pts in drawn {
                    for k in pts.indices {
                        let a = pts[k], b = k + 1 < pts.count ? pts[k + 1] : pts[k]
                        guard a.x.isFinite, b.x.isFinite else { continue }
                        let n = max(1, Int(min(2000, hypot(b.x - a.x, b.y - a.y))))
                        for j in 0..<n {
                            let t = Double(j) / Double(n)
                            if PlotGeometry.inside(r, (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)) { hits += 1 }
                        }
                    }
                }
                return hits
            }
            place = candidates[scores.indices.min { scores[$0] < scores[$1] }!]
        }
        let box = corner(place)
        canvas.fillRect(box, .white)
        canvas.strokeRect(box, .lightGray)
        for (row, (i, s)) in entries.enumerated() {
            let color = s.color ?? RGB.palette[i % RGB.palette.count]
            let cy = Double(box.y + 6 + row * rowH) + Double(rowH - 3) / 2
            let x0 = Double(box.x + 8)
            let dash = s.dashed ? (on: 4 + 3 * s.thickness, off: 2 + 2 * s.thickness) : nil
            canvas.drawPolyline([(x0, cy), (x0 + Double(sample), cy)], color: color,
                                thickness: s.thickness, dash: dash)
            if s.markers { canvas.fillCircle(center: (x0 + Double(sample) / 2, cy), radius: s.thickness + 1.5, color: color) }
            try canvas.drawText(s.name, x: x0 + Double(sample + 6), y: cy, size: size, align: .left,
                                baseline: .middle, font: font)
        }
        return box
    }
}

/// Where a plot's data went: its data area on the canvas and the mapping into it.
public struct PlotGeometry: Sendable {
    /// The data area (inside the frame).
    public let plotRect: PixelRect
    /// The legend box, if one was drawn.
    public let legendRect: PixelRect?
    public let xRange: ClosedRange<Double>
    /// The y range in plotted units: log10(y) on a log axis.
    public let yRange: ClosedRange<Double>
    public let logY: Bool

    /// The canvas position of data point (x, y), in continuous pixel coordinates.
    public func position(x: Double, y: Double) -> (x: Double, y: Double) {
        let px = Double(plotRect.x) + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(plotRect.width)
        return (px, pixelY(logY ? log10(y) : y))
    }

    /// Whether a continuous position lies in `r` (compared as Double: a point far off the
    /// axes must not overflow Int).
    static func inside(_ r: PixelRect, _ p: (x: Double, y: Double)) -> Bool {
        p.x >= Double(r.x) && p.x < Double(r.maxX) && p.y >= Double(r.y) && p.y < Double(r.maxY)
    }

    func pixelY(_ t: Double) -> Double {
        Double(plotRect.maxY) - (t - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(plotRect.height)
    }
}
