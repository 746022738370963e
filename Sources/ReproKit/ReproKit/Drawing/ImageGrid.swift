import Foundation

/// How image values become 0...255 in a grid.
public enum ImageNormalization: Sendable, Equatable {
    /// Each image stretched from its own min to its own max: shows the shape of every
    /// first-layer filter, whatever its scale.
    case perImage
    /// One min/max over the whole batch: keeps images comparable.
    case global
    /// A fixed range, e.g. (0, 1) for pixel data; values outside are clamped.
    case range(Float, Float)
}

/// Images laid out in a grid, with an optional caption under each: samples, misclassified
/// examples ("true/pred"), or learned filters. `tiles` says where each image landed.
public struct ImageGrid {
    public let canvas: Canvas
    /// Where image `i` was drawn (already scaled), in canvas pixels.
    public let tiles: [PixelRect]

    /// - Parameters:
    ///   - images: `[N, C, H, W]` with C = 1 (gray) or 3 (RGB), or `[N, H, W]` (gray).
    ///   - columns: tiles per row (fewer if N is smaller).
    ///   - scale: each image pixel becomes a `scale`×`scale` block (nearest neighbour).
    ///   - labels: one caption per image, drawn under it; `labelColors` colours them
    ///     (e.g. red for a wrong prediction).
    ///   - colormap: for gray images; nil draws them in gray.
    ///   - title: a line above the grid.
    public init(_ images: Tensor, columns: Int = 8, scale: Int = 2, labels: [String]? = nil,
                labelColors: [RGB]? = nil, normalize: ImageNormalization = .perImage,
                colormap: Colormap? = nil, title: String? = nil, padding: Int = 4) throws {
        let s = images.shape
        precondition(s.count == 4 || s.count == 3, "imageGrid: want [N, C, H, W] or [N, H, W], got \(s)")
        let n = s[0], c = s.count == 4 ? s[1] : 1, h = s[s.count - 2], w = s[s.count - 1]
        precondition(c == 1 || c == 3, "imageGrid: \(c) channels; want 1 (gray) or 3 (RGB)")
        precondition(n > 0 && h > 0 && w > 0, "imageGrid: empty batch \(s)")
        precondition(columns > 0 && scale > 0 && padding >= 0, "imageGrid: columns, scale must be > 0")
        if let labels { precondition(labels.count == n, "imageGrid: \(labels.count) labels for \(n) images") }

        let cols = min(columns, n), rows = (n + cols - 1) / cols
        let tileW = w * scale, tileH = h * scale
        let labelSize = 11.0
        var cellW = tileW, labelH = 0
        var font: Font?
        if let labels, labels.contains(where: { !$0.isEmpty }) {
            let f = try Font.dejaVuSans()
            font = f
            let widest = labels.map { f.measure($0, size: labelSize) }.max() ?? 0
            // Captions may widen a column, up to a limit past which they are cut short.
            cellW = max(tileW, min(widest + 4, max(tileW, 140)))
            let m = f.lineMetrics(size: labelSize)
            labelH = m.ascent + m.descent + 2
        }
        var top = padding
        var titleBitmap: TextBitmap?
        if let title, !title.isEmpty {
            let f = try font ?? Font.dejaVuSans()
            titleBitmap = f.render(title, size: 14)
            top += titleBitmap!.ascent + titleBitmap!.descent + 6
        }
        let gap = labelH > 0 ? padding + 2 : padding
        let width = max(2 * padding + cols * cellW + (cols - 1) * gap, (titleBitmap?.width ?? 0) + 2 * padding)
        let height = top + rows * (tileH + labelH) + (rows - 1) * gap + padding
        var canvas = Canvas(width: width, height: height)
        if let titleBitmap {
            canvas.drawText(titleBitmap, x: Double(width) / 2, y: Double(padding), align: .center, baseline: .top)
        }

        // Value range per image (or one for all).
        let plane = c * h * w
        func minMax(_ start: Int, _ count: Int) -> (Float, Float) {
            var lo = Float.infinity, hi = -Float.infinity
            let p = images.data
            for i in start..<start + count where p[i].isFinite { lo = min(lo, p[i]); hi = max(hi, p[i]) }
            return lo <= hi ? (lo, hi) : (0, 1)
        }
        let globalRange: (Float, Float)?
        switch normalize {
        case .perImage: globalRange = nil
        case .global: globalRange = minMax(0, n * plane)
        case let .range(lo, hi): globalRange = (lo, hi)
        }

        let xOffset = (width - (cols * cellW + (cols - 1) * gap)) / 2
        var tiles: [PixelRect] = []
        for i in 0..<n {
            let (lo, hi) = globalRange ?? minMax(i * plane, plane)
            let scaleV: Float = hi > lo ? 255 / (hi - lo) : 0
            var pixels = [UInt8](repeating: 0, count: h * w * c)
            let p = images.data + i * plane
            // Planar [C, H, W] in, interleaved [H, W, C] out.
            for ch in 0..<c {
                for k in 0..<h * w {
                    let v = p[ch * h * w + k]
                    let b: Float = !v.isFinite ? 0 : hi > lo ? (v - lo) * scaleV : 127.5
                    pixels[k * c + ch] = UInt8(max(0, min(255, b.rounded())))
                }
            }
            var image = PNGImage(width: w, height: h, format: c == 1 ? .gray : .rgb, pixels: pixels)
            if c == 1, let colormap {
                image = PNGImage(width: w, height: h, format: .rgb, pixels: pixels.flatMap { g -> [UInt8] in
                    let col = colormap.table[Int(g)]
                    return [col.r, col.g, col.b]
                })
            }
            let row = i / cols, col = i % cols
            let cellX = xOffset + col * (cellW + gap)
            let cellY = top + row * (tileH + labelH + gap)
            let tile = PixelRect(x: cellX + (cellW - tileW) / 2, y: cellY, width: tileW, height: tileH)
            canvas.drawImage(image, x: tile.x, y: tile.y, scale: scale)
            tiles.append(tile)
            if let font, let label = labels?[i], !label.isEmpty {
                let text = ImageGrid.fit(label, width: cellW, font: font, size: labelSize)
                let color = labelColors.map { $0[i % $0.count] } ?? .text
                canvas.drawText(font.render(text, size: labelSize), x: Double(cellX) + Double(cellW) / 2,
                                y: Double(tile.maxY + 1), color: color, align: .center, baseline: .top)
            }
        }
        self.canvas = canvas
        self.tiles = tiles
    }

    /// `text`, cut and ended with "…" if wider than `width`.
    static func fit(_ text: String, width: Int, font: Font, size: Double) -> String {
        if font.measure(text, size: size) <= width { return text }
        var t = text
        while !t.isEmpty && font.measure(t + "…", size: size) > width { t.removeLast() }
        return t + "…"
    }
}

/// An image grid as a canvas; see `ImageGrid` for the parameters and tile positions.
public func imageGrid(_ images: Tensor, columns: Int = 8, scale: Int = 2, labels: [String]? = nil,
                      labelColors: [RGB]? = nil, normalize: ImageNormalization = .perImage,
                      colormap: Colormap? = nil, title: String? = nil) throws -> Canvas {
    try ImageGrid(images, columns: columns, scale: scale, labels: labels, labelColors: labelColors,
                  normalize: normalize, colormap: colormap, title: title).canvas
}
