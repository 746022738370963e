import Foundation

/// A `LinePlot`'s legend: each named series drawn as on the plot (colour, width, dashes,
/// marker, band), in a corner that covers no data or else outside the plot.
extension LinePlot {
    static let legendSize = 11.5, legendSample = 34, legendInset = 8

    private var legendEntries: [(offset: Int, element: Series)] {
        series.enumerated().filter { !$0.element.name.isEmpty }.map { ($0.offset, $0.element) }
    }

    private func legendRowHeight(_ font: Font) -> Int {
        let line = font.lineMetrics(size: Self.legendSize)
        return max(line.ascent + line.descent + 3, 16)
    }

    /// The legend box's size; nil when no series has a name.
    func legendBoxSize(font: Font) -> (width: Int, height: Int)? {
        let entries = legendEntries
        guard !entries.isEmpty else { return nil }
        let nameW = entries.map { font.measure($0.element.name, size: Self.legendSize) }.max() ?? 0
        return (8 + Self.legendSample + 6 + nameW + 10, 6 + entries.count * legendRowHeight(font) + 4)
    }

    /// Points (on the canvas) where the plot shows something: every line sampled at about a
    /// pixel, each marker's extent, each value label's box.
    func occupiedSamples(_ g: PlotGeometry, font: Font) -> [(x: Double, y: Double)] {
        var out = lineSamples(g)
        for label in valueLabels(g, font: font) {
            let b = label.box
            for fx in stride(from: 0.0, through: 1, by: 0.25) {
                for fy in [0.0, 0.5, 1] { out.append((Double(b.x) + fx * Double(b.width), Double(b.y) + fy * Double(b.height))) }
            }
        }
        return out
    }

    /// Every line sampled at about a pixel, and each marker's extent.
    func lineSamples(_ g: PlotGeometry) -> [(x: Double, y: Double)] {
        var out: [(x: Double, y: Double)] = []
        for s in series {
            let pts = pixelPoints(s, g)
            for k in pts.indices {
                let a = pts[k], b = k + 1 < pts.count ? pts[k + 1] : pts[k]
                guard a.x.isFinite else { continue }
                guard b.x.isFinite else { out.append(a); continue }
                let n = max(1, Int(min(2000, hypot(b.x - a.x, b.y - a.y))))
                for j in 0..<n {
                    let t = Double(j) / Double(n)
                    out.append((a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
                }
            }
            if s.drawsMarkers {
                let r = markerRadius(s) + 1
                for p in pts where p.x.isFinite {
                    out += [(p.x - r, p.y - r), (p.x + r, p.y - r), (p.x - r, p.y + r), (p.x + r, p.y + r), p]
                }
            }
        }
        return out
    }

    /// The box of the legend inside the plot: the placement asked for, or with `.auto` the
    /// first corner (top right, top left, bottom right, bottom left) that covers none of
    /// `occupied`; nil means outside the plot.
    func legendPlacement(size: (width: Int, height: Int), plot: PixelRect,
                         occupied: [(x: Double, y: Double)]) -> PixelRect? {
        let inset = Self.legendInset
        func corner(_ p: LegendPlacement) -> PixelRect { Self.corner(p, size: size, plot: plot) }
        switch legend {
        case .none, .outside: return nil
        case .topRight, .topLeft, .bottomRight, .bottomLeft: return corner(legend)
        case .auto:
            // Too big for the plot: it would cover data wherever it went.
            guard size.width + 2 * inset <= plot.width, size.height + 2 * inset <= plot.height else { return nil }
            let corners = Self.corners.map(corner)
            return covered(corners, occupied).firstIndex(of: 0).map { corners[$0] }
        }
    }

    static let corners: [LegendPlacement] = [.topRight, .topLeft, .bottomRight, .bottomLeft]

    /// The legend box in corner `p` of `plot`, inset a little.
    static func corner(_ p: LegendPlacement, size: (width: Int, height: Int), plot: PixelRect) -> PixelRect {
        let x = p == .topLeft || p == .bottomLeft ? plot.x + legendInset : plot.maxX - legendInset - size.width
        let y = p == .topLeft || p == .topRight ? plot.y + legendInset : plot.maxY - legendInset - size.height
        return PixelRect(x: x, y: y, width: size.width, height: size.height)
    }

    /// How many of `occupied` each box covers, with a margin of a few pixels so that no line
    /// grazes a box.
    private func covered(_ boxes: [PixelRect], _ occupied: [(x: Double, y: Double)]) -> [Int] {
        boxes.map { r in
            let m = PixelRect(x: r.x - 3, y: r.y - 3, width: r.width + 6, height: r.height + 6)
            return occupied.filter { PlotGeometry.inside(m, $0) }.count
        }
    }

    /// The corner of `plot` whose legend box covers the least of `occupied`: where the legend
    /// goes when the plot has no free corner and is too narrow to give up room beside it.
    func leastCoveredCorner(size: (width: Int, height: Int), plot: PixelRect,
                            occupied: [(x: Double, y: Double)]) -> PixelRect {
        let corners = Self.corners.map { Self.corner($0, size: size, plot: plot) }
        let hits = covered(corners, occupied)
        return corners[hits.indices.min { hits[$0] < hits[$1] }!]
    }

    /// Draws the legend in `box`.
    func drawLegend(on canvas: inout Canvas, box: PixelRect, font: Font) throws {
        let rowH = legendRowHeight(font)
        canvas.fillRect(box, .white)
        canvas.strokeRect(box, .lightGray)
        for (row, (i, s)) in legendEntries.enumerated() {
            let color = color(of: i)
            let cy = Double(box.y + 6 + row * rowH) + Double(rowH - 3) / 2
            let x0 = Double(box.x + 8), x1 = x0 + Double(Self.legendSample)
            if !s.band.isEmpty {
                canvas.fillPolygon([(x0, cy - 6), (x1, cy - 6), (x1, cy + 6), (x0, cy + 6)], color: color, alpha: Self.bandAlpha)
            }
            // A single point is drawn as its marker alone, and so is its sample.
            if s.finitePoints.count != 1 {
                canvas.drawPolyline([(x0, cy), (x1, cy)], color: color, thickness: s.thickness,
                                    dash: s.dashed ? Self.dash(s.thickness) : nil)
            }
            if s.drawsMarkers {
                canvas.drawMarker(s.marker, at: ((x0 + x1) / 2, cy), radius: markerRadius(s), color: color)
            }
            try canvas.drawText(s.name, x: x1 + 6, y: cy, size: Self.legendSize, align: .left,
                                baseline: .middle, font: font)
        }
    }
}
