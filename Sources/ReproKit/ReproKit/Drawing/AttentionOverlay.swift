import Foundation

/// How a coarse map (one value per patch) is enlarged to an image's size.
public enum MapUpsampling: Sendable, Equatable {
    /// Each map cell becomes a block: the patches the model saw stay visible.
    case nearest
    /// Bilinear between cell centres, with edges clamped (PyTorch's
    /// `interpolate(mode: "bilinear", align_corners: false)`): smoother, as in the ViT
    /// paper's Figure 6.
    case bilinear
}

/// Attention maps drawn over the images they attend to (the ViT paper's Figure 6): one row
/// per image, the image itself first, then each named map (per-head attention of the class
/// token, the rollout, …) enlarged to the image's size and laid over a gray copy of it.
///
/// Each map is scaled by its own maximum to 0...1 (negative values count as 0), so the
/// colours compare places within one map, not strengths between maps. A pixel of a map
/// tile is the colormap's colour alpha-blended over the gray image:
///
///     pixel = round((1 − alpha) · gray + alpha · colormap(value / max))   per channel
///
/// so the image shows through everywhere, also where the attention is 0 (there the
/// colormap's low end tints it). A horizontal colour bar under the grid says what the
/// colours mean. `imageTiles` and `mapTiles` say where everything landed.
public struct AttentionOverlay {
    /// One column of the figure: a name for its header and one map per image.
    public struct Map {
        /// The column header: "head 1", "rollout".
        public var name: String
        /// `[N, gh, gw]`: a map per image, any grid size (it is enlarged to the image).
        public var values: Tensor

        public init(_ name: String, _ values: Tensor) {
            self.name = name; self.values = values
        }

        /// One map per head from `[N, H, gh, gw]` (e.g. `classTokenAttentionMaps` of a
        /// layer's weights), named "head 1" … "head H".
        public static func heads(_ maps: Tensor, prefix: String = "head") -> [Map] {
            precondition(maps.rank == 4, "AttentionOverlay.Map.heads: want [N, H, gh, gw], got \(maps.shape)")
            let n = maps.shape[0], h = maps.shape[1], plane = maps.shape[2] * maps.shape[3]
            return (0..<h).map { head in
                let t = Tensor(uninitializedShape: [n, maps.shape[2], maps.shape[3]])
                for i in 0..<n { (t.data + i * plane).update(from: maps.data + (i * h + head) * plane, count: plane) }
                return Map("\(prefix) \(head + 1)", t)
            }
        }
    }

    public let canvas: Canvas
    /// Where image `i` was drawn (already scaled): the first column.
    public let imageTiles: [PixelRect]
    /// `mapTiles[i][m]`: where map `m` of image `i` was drawn, same size as the image tile.
    public let mapTiles: [[PixelRect]]
    /// The colour bar's strip (value 0 at its left end, 1 at its right end).
    public let colorbarRect: PixelRect
    /// The opacity the colormap was laid over the gray image with.
    public let alpha: Double

    /// - Parameters:
    ///   - images: `[N, C, H, W]` with C = 1 (gray) or 3 (RGB), or `[N, H, W]`.
    ///   - maps: the columns after the image, each with a map per image.
    ///   - labels: a caption per image, under it (a class name, "true/pred").
    ///   - scale: each image pixel becomes a `scale`×`scale` block; 28×28 images want about 4.
    ///   - normalize: how image values become gray levels, as in `ImageGrid`; `.range(0, 1)`
    ///     for pixels already in 0...1.
    ///   - alpha: the colormap's opacity over the gray image, in 0...1.
    ///   - upsampling: how a map is enlarged to the image's size.
    ///   - legend: what the colours mean, under the colour bar; the opacity is appended.
    public init(images: Tensor, maps: [Map], labels: [String]? = nil, title: String? = nil,
                scale: Int = 4, normalize: ImageNormalization = .perImage,
                colormap: Colormap = .viridis, alpha: Double = 0.5,
                upsampling: MapUpsampling = .nearest,
                legend: String = "attention (per map, scaled to its max)") throws {
        let s = images.shape
        precondition(s.count == 4 || s.count == 3, "attentionOverlay: want images [N, C, H, W] or [N, H, W], got \(s)")
        let n = s[0], h = s[s.count - 2], w = s[s.count - 1]
        precondition(!maps.isEmpty, "attentionOverlay: no maps")
        for m in maps {
            precondition(m.values.rank == 3 && m.values.shape[0] == n && m.values.shape[1] > 0 && m.values.shape[2] > 0,
                         "attentionOverlay: map '\(m.name)' has shape \(m.values.shape), want [\(n), gh, gw]")
        }
        precondition(scale >= 1, "attentionOverlay: scale \(scale) < 1")
        precondition(alpha >= 0 && alpha <= 1, "attentionOverlay: alpha \(alpha) not in 0...1")
        if let labels { precondition(labels.count == n, "attentionOverlay: \(labels.count) labels for \(n) images") }

        // The images as displayed, by ImageGrid itself (same normalisation, gray or RGB).
        let column = try ImageGrid(images, columns: 1, scale: 1, normalize: normalize, padding: 0)

        let font = try Font.dejaVuSans()
        let titleSize = 15.0, headerSize = 12.0, labelSize = 11.0
        func lineHeight(_ size: Double) -> Int { let m = font.lineMetrics(size: size); return m.ascent + m.descent }
        let pad = 12, gap = 6, imageGap = 14
        let tileW = w * scale, tileH = h * scale
        let labelH = labels?.contains { !$0.isEmpty } == true ? lineHeight(labelSize) + 2 : 0
        let headerH = lineHeight(headerSize)
        let gridW = (maps.count + 1) * tileW + (maps.count - 1) * gap + imageGap
        let gridH = n * (tileH + labelH) + (n - 1) * gap

        let opacity = Int((alpha * 100).rounded())
        let barLen = min(320, max(160, gridW))
        let bar = ColorBar(low: 0, high: 1, length: barLen, orientation: .horizontal,
                           caption: "\(legend), at \(opacity)% opacity over the gray image", font: font)
        let titleW = title.map { font.measure($0, size: titleSize) } ?? 0
        let contentW = max(gridW, titleW, bar.captionLength, barLen + 2 * bar.overhang)
        let width = contentW + 2 * pad
        let titleH = title == nil ? 0 : lineHeight(titleSize) + 8
        let gridTop = pad + titleH + headerH + 4
        let barTop = gridTop + gridH + 14
        let height = barTop + bar.breadth + pad
        var canvas = Canvas(width: width, height: height)
        let gx = (width - gridW) / 2

        if let title {
            try canvas.drawText(title, x: Double(width) / 2, y: Double(pad), size: titleSize,
                                align: .center, baseline: .top, font: font)
        }
        func columnX(_ c: Int) -> Int { c == 0 ? gx : gx + tileW + imageGap + (c - 1) * (tileW + gap) }
        for (c, name) in (["image"] + maps.map(\.name)).enumerated() {
            let text = ImageGrid.fit(name, width: tileW + gap, font: font, size: headerSize)
            try canvas.drawText(text, x: Double(columnX(c)) + Double(tileW) / 2, y: Double(gridTop - 4),
                                size: headerSize, align: .center, baseline: .bottom, font: font)
        }

        var imageTiles: [PixelRect] = [], mapTiles: [[PixelRect]] = []
        for i in 0..<n {
            let y = gridTop + i * (tileH + labelH + gap)
            let source = column.tiles[i]
            // The displayed image, and its gray levels (Rec. 709 luminance for colour).
            var gray = [UInt8](repeating: 0, count: h * w)
            let imageTile = PixelRect(x: columnX(0), y: y, width: tileW, height: tileH)
            for py in 0..<h {
                for px in 0..<w {
                    let color = column.canvas[source.x + px, source.y + py]
                    gray[py * w + px] = UInt8((color.luminance * 255).rounded())
                    canvas.fillRect(PixelRect(x: imageTile.x + px * scale, y: y + py * scale,
                                              width: scale, height: scale), color)
                }
            }
            imageTiles.append(imageTile)
            if let labels, !labels[i].isEmpty {
                let text = ImageGrid.fit(labels[i], width: tileW + imageGap, font: font, size: labelSize)
                try canvas.drawText(text, x: imageTile.midX, y: Double(imageTile.maxY + 1), size: labelSize,
                                    align: .center, baseline: .top, font: font)
            }
            var row: [PixelRect] = []
            for (m, map) in maps.enumerated() {
                let tile = PixelRect(x: columnX(m + 1), y: y, width: tileW, height: tileH)
                let values = AttentionOverlay.upsample(AttentionOverlay.scaledToMax(map.values, image: i),
                                                       gh: map.values.shape[1], gw: map.values.shape[2],
                                                       height: tileH, width: tileW, upsampling)
                for ty in 0..<tileH {
                    for tx in 0..<tileW {
                        let g = gray[(ty / scale) * w + tx / scale]
                        canvas[tile.x + tx, tile.y + ty] = RGB(g, g, g).mixed(with: colormap.color(values[ty * tileW + tx]), alpha)
                    }
                }
                row.append(tile)
            }
            mapTiles.append(row)
        }

        let strip = PixelRect(x: (width - barLen) / 2, y: barTop, width: barLen, height: ColorBar.thickness)
        try bar.draw(on: &canvas, strip: strip, colormap: colormap)
        self.canvas = canvas
        self.imageTiles = imageTiles
        self.mapTiles = mapTiles
        self.colorbarRect = strip
        self.alpha = alpha
    }

    /// Map `i` of `[N, gh, gw]` divided by its maximum: 0...1, with negative and non-finite
    /// values as 0, and an all-zero map all 0.
    static func scaledToMax(_ maps: Tensor, image i: Int) -> [Double] {
        let plane = maps.shape[1] * maps.shape[2]
        let v = (0..<plane).map { k -> Double in
            let x = Double(maps.data[i * plane + k])
            return x.isFinite ? max(0, x) : 0
        }
        let top = v.max() ?? 0
        return top > 0 ? v.map { $0 / top } : v
    }

    /// A `gh`×`gw` grid (row-major) enlarged to `height`×`width`.
    static func upsample(_ v: [Double], gh: Int, gw: Int, height: Int, width: Int,
                         _ mode: MapUpsampling) -> [Double] {
        var out = [Double](repeating: 0, count: height * width)
        switch mode {
        case .nearest:
            for y in 0..<height {
                let sy = min(gh - 1, y * gh / height)
                for x in 0..<width { out[y * width + x] = v[sy * gw + min(gw - 1, x * gw / width)] }
            }
        case .bilinear:
            // Source coordinate of a pixel centre, clamped to the outer cells' centres.
            func source(_ p: Int, _ n: Int, _ size: Int) -> (Int, Int, Double) {
                let s = min(Double(n - 1), max(0, (Double(p) + 0.5) * Double(n) / Double(size) - 0.5))
                let lo = Int(s.rounded(.down))
                return (lo, min(n - 1, lo + 1), s - Double(lo))
            }
            for y in 0..<height {
                let (y0, y1, fy) = source(y, gh, height)
                for x in 0..<width {
                    let (x0, x1, fx) = source(x, gw, width)
                    let top = v[y0 * gw + x0] * (1 - fx) + v[y0 * gw + x1] * fx
                    let bottom = v[y1 * gw + x0] * (1 - fx) + v[y1 * gw + x1] * fx
                    out[y * width + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }
}

/// An attention overlay as a canvas; see `AttentionOverlay` for the parameters, the blending
/// and the tile positions.
public func attentionOverlay(images: Tensor, maps: [AttentionOverlay.Map], labels: [String]? = nil,
                             title: String? = nil, scale: Int = 4, normalize: ImageNormalization = .perImage,
                             colormap: Colormap = .viridis, alpha: Double = 0.5,
                             upsampling: MapUpsampling = .nearest,
                             legend: String = "attention (per map, scaled to its max)") throws -> Canvas {
    try AttentionOverlay(images: images, maps: maps, labels: labels, title: title, scale: scale,
                         normalize: normalize, colormap: colormap, alpha: alpha, upsampling: upsampling,
                         legend: legend).canvas
}
