import Foundation

/// How alike a ViT's learned position embeddings are (the ViT paper's Figure 7, centre): a
/// gh×gw grid of tiles, one per input patch; tile (i, j) is itself a gh×gw heat map of the
/// cosine similarity between patch (i, j)'s embedding and every patch's. A model that has
/// learned the 2-D layout shows each tile brightest at its own position (cos = 1) and bright
/// along its row and column.
///
/// Colours span −1...1 on the colormap, whatever the data's range, so figures compare. An
/// embedding of norm 0 has no direction: its similarities are drawn light gray.
public struct PositionSimilarity {
    public let canvas: Canvas
    public let gridHeight: Int
    public let gridWidth: Int
    /// Pixels per cell inside a tile.
    public let cellSize: Int
    /// Where the tile of patch (i, j) landed: `tiles[i * gridWidth + j]`.
    public let tiles: [PixelRect]
    /// The cosine similarities, `[P, P]` with P = gridHeight · gridWidth (NaN for a zero
    /// embedding).
    public let similarities: Tensor

    /// The cell of tile (`row`, `col`) that shows the similarity to patch (`i`, `j`).
    public func cellRect(tileRow row: Int, tileCol col: Int, i: Int, j: Int) -> PixelRect {
        let tile = tiles[row * gridWidth + col]
        return PixelRect(x: tile.x + j * cellSize, y: tile.y + i * cellSize, width: cellSize, height: cellSize)
    }

    /// - Parameters:
    ///   - embeddings: `[gridHeight · gridWidth, D]`, the patch tokens' position embeddings
    ///     in row-major patch order (the caller leaves out the class token's).
    ///   - cellSize: pixels per cell; default fits the figure in about 440 pixels.
    public init(_ embeddings: Tensor, gridHeight: Int, gridWidth: Int,
                title: String? = "Position embedding similarity (each tile: one patch against all)", colormap: Colormap = .viridis,
                cellSize: Int? = nil) throws {
        let s = embeddings.shape
        let p = gridHeight * gridWidth
        precondition(gridHeight > 0 && gridWidth > 0, "positionSimilarity: empty grid \(gridHeight)×\(gridWidth)")
        precondition(s.count == 2 && s[0] == p && s[1] > 0,
                     "positionSimilarity: want embeddings [\(p), D] for a \(gridHeight)×\(gridWidth) grid, got \(s)")
        let sim = PositionSimilarity.cosineSimilarities(embeddings)

        let font = try Font.dejaVuSans()
        let titleSize = 15.0, axisSize = 13.0, tickSize = 11.0
        func lineHeight(_ size: Double) -> Int { let m = font.lineMetrics(size: size); return m.ascent + m.descent }
        let cell = cellSize ?? max(1, min(24, 440 / (max(gridHeight, gridWidth) * max(gridHeight, gridWidth))))
        let gap = 2, pad = 12
        let tileW = gridWidth * cell, tileH = gridHeight * cell
        let gridW = gridWidth * tileW + (gridWidth - 1) * gap
        let gridH = gridHeight * tileH + (gridHeight - 1) * gap
        let bar = ColorBar(low: -1, high: 1, length: gridH, caption: "cosine similarity", font: font)

        let titleH = title == nil ? 0 : lineHeight(titleSize) + 8
        let tickLabelW = font.measure(String(gridHeight), size: tickSize)
        let left = pad + lineHeight(axisSize) + 6 + tickLabelW + 5
        let top = pad + titleH
        let contentW = left + gridW + 16 + bar.breadth + pad
        let titleW = title.map { font.measure($0, size: titleSize) + 2 * pad } ?? 0
        let width = max(contentW, titleW)
        let shift = (width - contentW) / 2
        let gx = left + shift, gy = top
        let height = gy + gridH + 4 + lineHeight(tickSize) + 6 + lineHeight(axisSize) + pad
        var canvas = Canvas(width: width, height: height)

        var tiles: [PixelRect] = []
        let v = sim.data
        for r in 0..<gridHeight {
            for c in 0..<gridWidth {
                let tile = PixelRect(x: gx + c * (tileW + gap), y: gy + r * (tileH + gap), width: tileW, height: tileH)
                let row = r * gridWidth + c
                for i in 0..<gridHeight {
                    for j in 0..<gridWidth {
                        let x = v[row * p + i * gridWidth + j]
                        canvas.fillRect(PixelRect(x: tile.x + j * cell, y: tile.y + i * cell, width: cell, height: cell),
                                        x.isFinite ? colormap.color(Double(x), low: -1, high: 1) : .lightGray)
                    }
                }
                tiles.append(tile)
            }
        }
        // Patch numbers 1… along both axes, as in the paper, and the axis titles.
        for r in 0..<gridHeight {
            try canvas.drawText(String(r + 1), x: Double(gx - 5), y: Double(gy + r * (tileH + gap)) + Double(tileH) / 2,
                                size: tickSize, align: .right, baseline: .middle, font: font)
        }
        let gridBottom = gy + gridH
        for c in 0..<gridWidth {
            try canvas.drawText(String(c + 1), x: Double(gx + c * (tileW + gap)) + Double(tileW) / 2,
                                y: Double(gridBottom + 4), size: tickSize, align: .center, baseline: .top, font: font)
        }
        try canvas.drawText("input patch column", x: Double(gx) + Double(gridW) / 2, y: Double(height - pad),
                            size: axisSize, align: .center, baseline: .bottom, font: font)
        try canvas.drawText("input patch row", x: Double(pad + shift), y: Double(gy) + Double(gridH) / 2,
                            size: axisSize, align: .center, baseline: .top, rotation: .up, font: font)
        if let title {
            try canvas.drawText(title, x: Double(width) / 2, y: Double(pad), size: titleSize,
                                align: .center, baseline: .top, font: font)
        }
        try bar.draw(on: &canvas, strip: PixelRect(x: gx + gridW + 16, y: gy, width: ColorBar.thickness, height: gridH),
                     colormap: colormap)

        self.canvas = canvas
        self.gridHeight = gridHeight
        self.gridWidth = gridWidth
        self.cellSize = cell
        self.tiles = tiles
        self.similarities = sim
    }

    /// Cosine similarity between every pair of rows of `[P, D]`, in double precision:
    /// `[P, P]`, NaN where a row has norm 0.
    static func cosineSimilarities(_ e: Tensor) -> Tensor {
        let p = e.shape[0], d = e.shape[1]
        let rows = (0..<p).map { i in (0..<d).map { Double(e.data[i * d + $0]) } }
        let norms = rows.map { r in r.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let out = Tensor(uninitializedShape: [p, p])
        for i in 0..<p {
            for j in 0..<p {
                var dot = 0.0
                for k in 0..<d { dot += rows[i][k] * rows[j][k] }
                let n = norms[i] * norms[j]
                out.data[i * p + j] = n > 0 ? Float(max(-1, min(1, dot / n))) : .nan
            }
        }
        return out
    }
}

/// A position-embedding similarity figure as a canvas; see `PositionSimilarity`.
public func positionSimilarity(_ embeddings: Tensor, gridHeight: Int, gridWidth: Int,
                               title: String? = "Position embedding similarity (each tile: one patch against all)",
                               colormap: Colormap = .viridis) throws -> Canvas {
    try PositionSimilarity(embeddings, gridHeight: gridHeight, gridWidth: gridWidth, title: title,
                           colormap: colormap).canvas
}
