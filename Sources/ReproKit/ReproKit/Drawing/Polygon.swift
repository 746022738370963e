import Foundation

extension Canvas {
    /// Fills a polygon (its points in order; the last joins the first) with `color` at
    /// opacity `alpha`, anti-aliased: coverage is exact along x and sampled at four heights
    /// per pixel row. Even-odd rule; nothing is drawn outside `clip`. Plot markers (squares,
    /// triangles) and the shaded band of a series' spread over seeds are polygons.
    public mutating func fillPolygon(_ points: [(x: Double, y: Double)], color: RGB, alpha: Double = 1,
                                     clip: PixelRect? = nil) {
        let pts = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard pts.count >= 3, alpha > 0 else { return }
        let area = clip ?? bounds
        func c(_ v: Double) -> Int { Int(max(-1e6, min(1e6, v))) }
        let x0 = max(max(0, area.x), c(pts.map(\.x).min()!.rounded(.down)))
        let x1 = min(min(width, area.maxX), c(pts.map(\.x).max()!.rounded(.up)) + 1)
        let y0 = max(max(0, area.y), c(pts.map(\.y).min()!.rounded(.down)))
        let y1 = min(min(height, area.maxY), c(pts.map(\.y).max()!.rounded(.up)) + 1)
        guard x0 < x1, y0 < y1 else { return }
        var cover = CoverageBuffer(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        let samples = 4
        var crossings: [Double] = []
        for row in y0..<y1 {
            for s in 0..<samples {
                let sy = Double(row) + (Double(s) + 0.5) / Double(samples)
                crossings.removeAll(keepingCapacity: true)
                for k in pts.indices {
                    let a = pts[k], b = pts[(k + 1) % pts.count]
                    // Half-open in y, so that a vertex shared by two edges counts once.
                    guard (a.y <= sy && sy < b.y) || (b.y <= sy && sy < a.y) else { continue }
                    crossings.append(a.x + (sy - a.y) / (b.y - a.y) * (b.x - a.x))
                }
                crossings.sort()
                var k = 0
                while k + 1 < crossings.count {
                    cover.addSpan(row: row, from: crossings[k], to: crossings[k + 1], weight: 1 / Float(samples))
                    k += 2
                }
            }
        }
        if alpha < 1 { for i in cover.values.indices { cover.values[i] *= Float(alpha) } }
        composite(cover, color)
    }
}

extension CoverageBuffer {
    /// Adds `weight` times the part of each pixel of `row` that lies between x = `a` and `b`.
    mutating func addSpan(row: Int, from a: Double, to b: Double, weight: Float) {
        let j = row - y
        guard j >= 0, j < height, b > a else { return }
        let lo = max(a, Double(x)), hi = min(b, Double(x + width))
        guard hi > lo else { return }
        var px = Int(lo.rounded(.down))
        while Double(px) < hi {
            let covered = min(hi, Double(px + 1)) - max(lo, Double(px))
            let k = j * width + (px - x)
            values[k] = min(1, values[k] + weight * Float(covered))
            px += 1
        }
    }
}
