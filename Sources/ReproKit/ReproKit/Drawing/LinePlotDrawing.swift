import Foundation

/// How a `LinePlot` is laid out and painted: axes fitted to the data, bands, lines, markers,
/// the values of single points, what a clipped view hides.
extension LinePlot {
    static let tickSize = 11.0, axisSize = 13.0, titleSize = 14.0, subtitleSize = 11.5, noteSize = 10.5
    /// Colour of the note saying what a clipped view hides.
    static let noteColor = RGB(170, 30, 30)
    static let subtitleColor = RGB(80, 80, 80)

    /// Where everything goes in one panel.
    struct Layout {
        var geometry: PlotGeometry
        var xTicks: [Double], yTicks: [Double], xLabels: [String], yLabels: [String]
        var plot: PixelRect { geometry.plotRect }
    }

    /// Draws the plot inside `rect` of `canvas` and says where its data area and legend went.
    @discardableResult
    public func draw(on canvas: inout Canvas, in rect: PixelRect) throws -> PlotGeometry {
        let font = try Font.dejaVuSans()
        let (xr, tr) = ranges()
        let notes = hiddenNote(xr, tr)
        let legendSize = legend == .none ? nil : legendBoxSize(font: font)
        var layout = self.layout(in: rect, xr: xr, tr: tr, reserveRight: 0, note: notes != nil, font: font)
        var legendBox: PixelRect?
        if let size = legendSize {
            let occupied = occupiedSamples(layout.geometry, font: font)
            legendBox = legendPlacement(size: size, plot: layout.plot, occupied: occupied)
            if legendBox == nil {
                let beside = self.layout(in: rect, xr: xr, tr: tr, reserveRight: size.width + 12, note: notes != nil, font: font)
                if legend == .outside || beside.plot.width >= layout.plot.width * 11 / 20 {
                    layout = beside
                    legendBox = PixelRect(x: layout.plot.maxX + 10, y: layout.plot.y, width: size.width, height: size.height)
                } else {
                    // Too narrow to give up the room: the corner that hides the least.
                    legendBox = leastCoveredCorner(size: size, plot: layout.plot, occupied: occupied)
                }
            }
        }
        try paint(on: &canvas, rect: rect, layout: layout, font: font)
        if let notes {
            try canvas.drawText(notes, x: Double(layout.plot.maxX), y: Double(layout.plot.y - 4), size: Self.noteSize,
                                color: Self.noteColor, align: .right, baseline: .bottom, font: font)
        }
        if let box = legendBox { try drawLegend(on: &canvas, box: box, font: font) }
        return PlotGeometry(plotRect: layout.plot, legendRect: legendBox, xRange: xr, yRange: tr, logY: logY)
    }

    /// The axes' ticks and the data area inside `rect`, leaving `reserveRight` pixels for an
    /// outside legend and a line above the plot for a note.
    func layout(in rect: PixelRect, xr: ClosedRange<Double>, tr: ClosedRange<Double>, reserveRight: Int,
                note: Bool, font: Font) -> Layout {
        func lineH(_ size: Double) -> Int { let m = font.lineMetrics(size: size); return m.ascent + m.descent }
        let tickH = lineH(Self.tickSize), axisH = lineH(Self.axisSize)
        let pad = 10, tickLen = 4
        // Ticks depend on the plot's size, which depends on the tick labels: estimate first.
        let yTicks = logY ? Ticks.log(pow(10, tr.lowerBound), pow(10, tr.upperBound), target: max(3, (rect.height - 90) / 55))
            : Ticks.linear(tr.lowerBound, tr.upperBound, target: max(3, (rect.height - 90) / 55))
        let xTicks = Ticks.linear(xr.lowerBound, xr.upperBound, target: max(3, (rect.width - reserveRight - 100) / 90))
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        let yLabels = yTicks.map { logY ? Ticks.logLabel($0) : Ticks.label($0, step: yStep) }
        let xLabels = xTicks.map { Ticks.label($0, step: xStep) }
        let yLabelW = yLabels.map { font.measure($0, size: Self.tickSize) }.max() ?? 0
        let lastXW = xLabels.last.map { font.measure($0, size: Self.tickSize) } ?? 0

        var head = title.isEmpty ? 0 : lineH(Self.titleSize) + 8
        head += subtitle.isEmpty ? 0 : lineH(Self.subtitleSize) + 4
        head += note ? lineH(Self.noteSize) + 4 : 0
        let left = rect.x + pad + (yLabel.isEmpty ? 0 : axisH + 8) + yLabelW + 4 + tickLen
        let top = rect.y + pad + max(head, tickH / 2)
        let right = rect.maxX - reserveRight - max(pad + 6, lastXW / 2 + 4)
        let bottom = rect.maxY - pad - (xLabel.isEmpty ? 0 : axisH + 6) - tickH - 3 - tickLen
        let plot = PixelRect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))
        return Layout(geometry: PlotGeometry(plotRect: plot, legendRect: nil, xRange: xr, yRange: tr, logY: logY),
                      xTicks: xTicks, yTicks: yTicks, xLabels: xLabels, yLabels: yLabels)
    }

    /// Grid, bands, lines and markers, the frame, ticks, axis labels, titles, single values.
    private func paint(on canvas: inout Canvas, rect: PixelRect, layout: Layout, font: Font) throws {
        let plot = layout.plot, g = layout.geometry
        canvas.fillRect(plot, .white)
        for v in layout.xTicks {
            let x = Int(g.position(x: v, y: 1).x)
            canvas.fillRect(PixelRect(x: min(x, plot.maxX - 1), y: plot.y, width: 1, height: plot.height), .gridLine)
        }
        for v in layout.yTicks {
            let y = Int(g.pixelY(logY ? log10(v) : v))
            canvas.fillRect(PixelRect(x: plot.x, y: min(y, plot.maxY - 1), width: plot.width, height: 1), .gridLine)
        }
        for (i, s) in series.enumerated() where !s.band.isEmpty {
            let upper = s.band.map { g.position(x: $0.x, y: $0.high) }
            let lower = s.band.reversed().map { g.position(x: $0.x, y: $0.low) }
            guard s.band.count == 1 else {
                canvas.fillPolygon(upper + lower, color: color(of: i), alpha: Self.bandAlpha, clip: plot)
                continue
            }
            // A band at one x is an error bar with caps.
            let (top, bottom) = (upper[0], lower[0])
            let strokes: [[(x: Double, y: Double)]] = [[top, bottom], [(top.x - 4, top.y), (top.x + 4, top.y)],
                                                       [(bottom.x - 4, bottom.y), (bottom.x + 4, bottom.y)]]
            for stroke in strokes { canvas.drawPolyline(stroke, color: color(of: i), thickness: 1.5, clip: plot) }
        }
        for (i, s) in series.enumerated() {
            let pts = pixelPoints(s, g)
            canvas.drawPolyline(pts, color: color(of: i), thickness: s.thickness,
                                dash: s.dashed ? Self.dash(s.thickness) : nil, clip: plot)
            if s.drawsMarkers {
                for p in pts where p.x.isFinite {
                    canvas.drawMarker(s.marker, at: p, radius: markerRadius(s), color: color(of: i), clip: plot)
                }
            }
        }
        let frame = RGB(90, 90, 90)
        canvas.strokeRect(PixelRect(x: plot.x - 1, y: plot.y - 1, width: plot.width + 2, height: plot.height + 2), frame)
        let tickLen = 4, pad = 10
        for (v, label) in zip(layout.xTicks, layout.xLabels) {
            let xi = min(Int(g.position(x: v, y: 1).x), plot.maxX - 1)
            canvas.fillRect(PixelRect(x: xi, y: plot.maxY + 1, width: 1, height: tickLen), frame)
            try canvas.drawText(label, x: Double(xi) + 0.5, y: Double(plot.maxY + 1 + tickLen + 2), size: Self.tickSize,
                                align: .center, baseline: .top, font: font)
        }
        for (v, label) in zip(layout.yTicks, layout.yLabels) {
            let yi = min(Int(g.pixelY(logY ? log10(v) : v)), plot.maxY - 1)
            canvas.fillRect(PixelRect(x: plot.x - 1 - tickLen, y: yi, width: tickLen, height: 1), frame)
            try canvas.drawText(label, x: Double(plot.x - 1 - tickLen - 3), y: Double(yi) + 0.5, size: Self.tickSize,
                                align: .right, baseline: .middle, font: font)
        }
        if !xLabel.isEmpty {
            try canvas.drawText(xLabel, x: plot.midX, y: Double(rect.maxY - pad), size: Self.axisSize,
                                align: .center, baseline: .bottom, font: font)
        }
        if !yLabel.isEmpty {
            try canvas.drawText(yLabel, x: Double(rect.x + pad), y: plot.midY, size: Self.axisSize,
                                align: .center, baseline: .top, rotation: .up, font: font)
        }
        var y = Double(rect.y + pad)
        if !title.isEmpty {
            let box = try canvas.drawText(title, x: plot.midX, y: y, size: Self.titleSize, align: .center,
                                          baseline: .top, font: font)
            y = Double(box.maxY + 4)
        }
        if !subtitle.isEmpty {
            try canvas.drawText(subtitle, x: plot.midX, y: y, size: Self.subtitleSize, color: Self.subtitleColor,
                                align: .center, baseline: .top, font: font)
        }
        for label in valueLabels(g, font: font) {
            canvas.fillRect(label.box, .white)
            try canvas.drawText(label.text, x: Double(label.box.x + 2), y: label.box.midY, size: Self.valueSize,
                                color: label.color, baseline: .middle, font: font)
        }
    }

    static let bandAlpha = 0.2, valueSize = 11.0

    /// Dash and gap lengths of a dashed line: long enough to read as dashes at any width.
    static func dash(_ thickness: Double) -> (on: Double, off: Double) { (5 + 2 * thickness, 3 + 1.5 * thickness) }

    func markerRadius(_ s: Series) -> Double { s.thickness + (s.finitePoints.count == 1 ? 3 : 1.5) }

    /// A series' points on the canvas; points the axis cannot show are NaN (breaks in the line).
    func pixelPoints(_ s: Series, _ g: PlotGeometry) -> [(x: Double, y: Double)] {
        s.points.map { p in
            guard p.x.isFinite, p.y.isFinite, !logY || p.y > 0 else { return (.nan, .nan) }
            return g.position(x: p.x, y: p.y)
        }
    }

    /// The value of each single-point series beside its marker, where it covers the fewest
    /// drawn lines and no earlier label (left of it first in the right half of the plot,
    /// right of it first in the left half, then above, below and diagonally, then further out).
    func valueLabels(_ g: PlotGeometry, font: Font) -> [(text: String, box: PixelRect, color: RGB)] {
        let m = font.lineMetrics(size: Self.valueSize)
        let h = m.ascent + m.descent + 2
        let plot = g.plotRect
        var lines: [(x: Double, y: Double)]?
        var labels: [(text: String, box: PixelRect, color: RGB)] = []
        for (i, s) in series.enumerated() {
            let pts = s.finitePoints
            guard pts.count == 1, !logY || pts[0].y > 0 else { continue }
            let p = g.position(x: pts[0].x, y: pts[0].y)
            guard PlotGeometry.inside(plot, p) else { continue }
            if lines == nil { lines = lineSamples(g) }
            let text = Self.valueText(pts[0].y)
            let w = font.measure(text, size: Self.valueSize) + 4
            let gap = Int(markerRadius(s)) + 3
            let px = Int(p.x), py = Int(p.y)
            let left = PixelRect(x: px - gap - w, y: py - h / 2, width: w, height: h)
            let right = PixelRect(x: px + gap, y: py - h / 2, width: w, height: h)
            let sides = p.x > plot.midX ? [left, right] : [right, left]
            let away = p.x > plot.midX ? -(w + 4) : w + 4
            // Beside, above and below the marker, then a line further each way, then further
            // out, each step away costing about as much as crossing a line: a crowd of single
            // points (four variants' final test errors) still finds room near each.
            var candidates = sides.map { ($0, 0) }
            for k in 0...2 {
                for dy in [-(gap + h / 2 + k * h), gap + h / 2 + k * h] {
                    candidates.append((PixelRect(x: px - w / 2, y: py - h / 2 + dy, width: w, height: h), 20 * k))
                    candidates += sides.map { (PixelRect(x: $0.x, y: $0.y + dy, width: w, height: h), 20 * k) }
                }
            }
            candidates += candidates.map { (PixelRect(x: $0.0.x + away, y: $0.0.y, width: w, height: h), $0.1 + 20) }
            func inPlot(_ r: PixelRect) -> Bool { r.x >= plot.x && r.y >= plot.y && r.maxX <= plot.maxX && r.maxY <= plot.maxY }
            func cost(_ r: PixelRect) -> Int {
                let grown = PixelRect(x: r.x - 1, y: r.y - 1, width: r.width + 2, height: r.height + 2)
                let overlapsLabel = labels.contains { $0.box.x < r.maxX && r.x < $0.box.maxX && $0.box.y < r.maxY && r.y < $0.box.maxY }
                return lines!.filter { PlotGeometry.inside(grown, $0) }.count + (overlapsLabel ? 100_000 : 0)
                    + (inPlot(r) ? 0 : 1_000_000)
            }
            let costs = candidates.map { cost($0.0) + $0.1 }
            let best = candidates[costs.indices.min { costs[$0] < costs[$1] }!].0
            labels.append((text, best, color(of: i).mixed(with: .black, 0.3)))
        }
        return labels
    }

    /// A value as a label: three significant digits, no exponent below a million.
    static func valueText(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 || (a < 1e-3 && a > 0) { return String(format: "%.2e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        return String(format: "%.3g", v)
    }

    /// The x range and the y range in plotted units (log10 of y on a log axis): the data's,
    /// padded, or the preferred range widened to hold the data (kept exactly when clipping).
    func ranges() -> (ClosedRange<Double>, ClosedRange<Double>) {
        var xs: [Double] = [], ts: [Double] = []
        for s in series {
            for p in s.finitePoints where !logY || p.y > 0 { xs.append(p.x); ts.append(logY ? log10(p.y) : p.y) }
            for b in s.band where b.x.isFinite {
                xs.append(b.x)
                for y in [b.low, b.high] where y.isFinite && (!logY || y > 0) { ts.append(logY ? log10(y) : y) }
            }
        }
        func t(_ y: Double) -> Double { logY ? log10(max(y, 1e-30)) : y }
        let x = Self.axis(data: xs.min().map { ($0, xs.max()!) }, preferred: xRange.map { ($0.lowerBound, $0.upperBound) },
                          clip: clipsToRange, pad: 0.03, logUnits: false)
        let y = Self.axis(data: ts.min().map { ($0, ts.max()!) },
                          preferred: yRange.map { (t($0.lowerBound), t($0.upperBound)) },
                          clip: clipsToRange, pad: 0.05, logUnits: logY)
        return (x, y)
    }

    /// One axis: the preferred range when it holds the data (or when clipping), else the
    /// union of both, padded by `pad` of the span on each side the data pushed out.
    static func axis(data: (Double, Double)?, preferred: (Double, Double)?, clip: Bool, pad: Double,
                     logUnits: Bool) -> ClosedRange<Double> {
        var lo: Double, hi: Double
        if let p = preferred, clip || data == nil {
            (lo, hi) = p
        } else if let d = data {
            lo = preferred.map { min($0.0, d.0) } ?? d.0
            hi = preferred.map { max($0.1, d.1) } ?? d.1
            let span = hi - lo
            if preferred == nil || d.0 < preferred!.0 { lo -= pad * span }
            if preferred == nil || d.1 > preferred!.1 { hi += pad * span }
        } else {
            (lo, hi) = (0, 1)
        }
        if !(hi > lo) { let d = logUnits ? 0.5 : (lo == 0 ? 1 : abs(lo) * 0.1); lo -= d; hi += d }
        return lo...hi
    }

    /// What the view leaves out, for a note above the plot; nil when it shows every point.
    func hiddenNote(_ xr: ClosedRange<Double>, _ tr: ClosedRange<Double>) -> String? {
        var above = 0, below = 0, sideways = 0, nonPositive = 0
        for s in series {
            for p in s.finitePoints {
                if logY && p.y <= 0 { nonPositive += 1; continue }
                let t = logY ? log10(p.y) : p.y
                if !xr.contains(p.x) { sideways += 1 } else if t > tr.upperBound { above += 1 } else if t < tr.lowerBound { below += 1 }
            }
        }
        func n(_ k: Int) -> String { k == 1 ? "1 point" : "\(k) points" }
        func y(_ t: Double) -> String { Self.valueText(logY ? pow(10, t) : t) }
        var parts: [String] = []
        if above > 0 { parts.append("\(n(above)) above \(y(tr.upperBound))") }
        if below > 0 { parts.append("\(n(below)) below \(y(tr.lowerBound))") }
        if sideways > 0 { parts.append("\(n(sideways)) outside x \(Self.valueText(xr.lowerBound))–\(Self.valueText(xr.upperBound))") }
        if nonPositive > 0 { parts.append("\(n(nonPositive)) ≤ 0 (log axis)") }
        return parts.isEmpty ? nil : "clipped: " + parts.joined(separator: ", ") + " not shown"
    }
}

extension Canvas {
    /// A filled plot marker of the given shape, about `radius` from its centre to its edge.
    public mutating func drawMarker(_ shape: LinePlot.Marker, at c: (x: Double, y: Double), radius r: Double,
                                    color: RGB, clip: PixelRect? = nil) {
        switch shape {
        case .circle: fillCircle(center: c, radius: r, color: color, clip: clip)
        case .square:
            let h = r * 0.9
            fillPolygon([(c.x - h, c.y - h), (c.x + h, c.y - h), (c.x + h, c.y + h), (c.x - h, c.y + h)], color: color, clip: clip)
        case .triangle:
            let h = r * 1.25
            fillPolygon([(c.x, c.y - h), (c.x + h * 0.95, c.y + h * 0.6), (c.x - h * 0.95, c.y + h * 0.6)], color: color, clip: clip)
        case .diamond:
            let h = r * 1.25
            fillPolygon([(c.x, c.y - h), (c.x + h, c.y), (c.x, c.y + h), (c.x - h, c.y)], color: color, clip: clip)
        }
    }
}
