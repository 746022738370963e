import Foundation

/// A matrix drawn as coloured cells with labelled rows and columns and a colour bar:
/// attention maps (query tokens × key tokens) and confusion matrices (counts in the cells).
/// `cellRect(row:col:)` says where each cell landed.
public struct Heatmap {
    public let canvas: Canvas
    /// The matrix area: `cols` × `rows` cells of `cellSize` pixels.
    public let matrixRect: PixelRect
    public let rows: Int
    public let cols: Int
    public let cellSize: Int
    /// The value range the colormap spans.
    public let range: ClosedRange<Float>

    public func cellRect(row: Int, col: Int) -> PixelRect {
        PixelRect(x: matrixRect.x + col * cellSize, y: matrixRect.y + row * cellSize,
                  width: cellSize, height: cellSize)
    }

    /// - Parameters:
    ///   - values: `[rows, cols]`.
    ///   - rowLabels, colLabels: tick labels (tokens, class names); column labels turn
    ///     vertical when they do not fit across a cell.
    ///   - xLabel, yLabel: axis titles ("predicted", "true"; "key", "query").
    ///   - range: the values mapped to the colormap's ends; default the data's min and max.
    ///   - showValues: write each cell's value in it (integers as integers, else 2 decimals),
    ///     in black or white, whichever reads better on the cell.
    ///   - cellSize: pixels per cell; default fits the matrix in about 440 pixels.
    public init(_ values: Tensor, rowLabels: [String]? = nil, colLabels: [String]? = nil,
                title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                colormap: Colormap = .viridis, range: ClosedRange<Float>? = nil,
                showValues: Bool = false, cellSize: Int? = nil, colorbar: Bool = true) throws {
        precondition(values.rank == 2, "heatmap: want [rows, cols], got \(values.shape)")
        let rows = values.shape[0], cols = values.shape[1]
        precondition(rows > 0 && cols > 0, "heatmap: empty matrix \(values.shape)")
        if let rowLabels { precondition(rowLabels.count == rows, "heatmap: \(rowLabels.count) row labels for \(rows) rows") }
        if let colLabels { precondition(colLabels.count == cols, "heatmap: \(colLabels.count) column labels for \(cols) columns") }
        let font = try Font.dejaVuSans()
        let v = values.scalars

        var lo = range?.lowerBound ?? v.filter(\.isFinite).min() ?? 0
        var hi = range?.upperBound ?? v.filter(\.isFinite).max() ?? 1
        if !(hi > lo) { lo -= 0.5; hi += 0.5 }
        self.range = lo...hi

        // Cell text: integers stay integers (confusion counts), else two decimals.
        let allIntegers = v.allSatisfy { !$0.isFinite || ($0.rounded() == $0 && abs($0) < 1e7) }
        func format(_ x: Float) -> String {
            !x.isFinite ? "" : allIntegers ? String(Int(x)) : String(format: "%.2f", x)
        }

        // Labelled rows need room for a readable line of text.
        let minCell = rowLabels != nil || colLabels != nil ? 9 : 4
        var cell = cellSize ?? max(minCell, min(60, 440 / max(rows, cols)))
        let valueSize = 11.0
        if showValues && cellSize == nil {
            let widest = v.map { font.measure(format($0), size: valueSize) }.max() ?? 0
            cell = min(max(cell, widest + 8, 20), 90)
        }
        let labelSize = min(12, max(7, Double(cell) * 0.75))
        let axisSize = 13.0, titleSize = 15.0
        let labelLine = font.lineMetrics(size: labelSize)
        let labelH = labelLine.ascent + labelLine.descent
        let axisLine = font.lineMetrics(size: axisSize)
        let axisH = axisLine.ascent + axisLine.descent

        let rowLabelW = rowLabels.map { $0.map { font.measure($0, size: labelSize) }.max() ?? 0 } ?? 0
        let colLabelW = colLabels.map { $0.map { font.measure($0, size: labelSize) }.max() ?? 0 } ?? 0
        let colVertical = colLabelW > cell - 2
        let colLabelH = colLabels == nil ? 0 : colVertical ? colLabelW : labelH

        let bar = ColorBar(low: Double(lo), high: Double(hi), length: rows * cell, font: font)

        let pad = 12
        let titleH = title.map { _ in font.lineMetrics(size: titleSize) }.map { $0.ascent + $0.descent + 8 } ?? 0
        let left = pad + (yLabel == nil ? 0 : axisH + 8) + (rowLabels == nil ? 0 : rowLabelW + 6)
        let matrixW = cols * cell, matrixH = rows * cell
        let barW = colorbar ? 16 + bar.breadth : 0
        let contentW = left + matrixW + barW + pad
        let titleW = title.map { font.measure($0, size: titleSize) + 2 * pad } ?? 0
        let shift = max(0, (titleW - contentW) / 2)
        let width = max(contentW, titleW)
        let top = pad + titleH
        let height = top + matrixH + (colLabels == nil ? 0 : 6 + colLabelH)
            + (xLabel == nil ? 0 : 8 + axisH) + pad

        var canvas = Canvas(width: width, height: height)
        let mx = left + shift, my = top
        let matrix = PixelRect(x: mx, y: my, width: matrixW, height: matrixH)

        for r in 0..<rows {
            for c in 0..<cols {
                let x = v[r * cols + c]
                let rect = PixelRect(x: mx + c * cell, y: my + r * cell, width: cell, height: cell)
                let color = x.isFinite ? colormap.color(Double(x), low: Double(lo), high: Double(hi)) : .lightGray
                canvas.fillRect(rect, color)
                if showValues, cell >= 14, x.isFinite {
                    let ink: RGB = color.luminance > 0.45 ? .text : .white
                    try canvas.drawText(format(x), x: rect.midX, y: rect.midY, size: valueSize,
                                        color: ink, align: .center, baseline: .middle, font: font)
                }
            }
        }
        if let rowLabels {
            for (r, label) in rowLabels.enumerated() {
                try canvas.drawText(label, x: Double(mx - 6), y: Double(my) + (Double(r) + 0.5) * Double(cell),
                                    size: labelSize, align: .right, baseline: .middle, font: font)
            }
        }
        if let colLabels {
            for (c, label) in colLabels.enumerated() {
                let cx = Double(mx) + (Double(c) + 0.5) * Double(cell)
                if colVertical {
                    // Reads upward and ends just below the matrix, as in matplotlib's rotation=90.
                    try canvas.drawText(label, x: cx, y: Double(matrix.maxY + 6), size: labelSize,
                                        align: .right, baseline: .middle, rotation: .up, font: font)
                } else {
                    try canvas.drawText(label, x: cx, y: Double(matrix.maxY + 6), size: labelSize,
                                        align: .center, baseline: .top, font: font)
                }
            }
        }
        if let xLabel {
            try canvas.drawText(xLabel, x: matrix.midX, y: Double(height - pad), size: axisSize,
                                align: .center, baseline: .bottom, font: font)
        }
        if let yLabel {
            try canvas.drawText(yLabel, x: Double(pad + shift), y: matrix.midY, size: axisSize,
                                align: .center, baseline: .top, rotation: .up, font: font)
        }
        if let title {
            try canvas.drawText(title, x: Double(width) / 2, y: Double(pad), size: titleSize,
                                align: .center, baseline: .top, font: font)
        }
        if colorbar {
            try bar.draw(on: &canvas, strip: PixelRect(x: matrix.maxX + 16, y: my, width: ColorBar.thickness,
                                                       height: matrixH), colormap: colormap)
        }
        self.canvas = canvas
        self.matrixRect = matrix
        self.rows = rows
        self.cols = cols
        self.cellSize = cell
    }
}

/// A heatmap as a canvas; see `Heatmap` for the parameters and cell positions.
public func heatmap(_ values: Tensor, rowLabels: [String]? = nil, colLabels: [String]? = nil,
                    title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                    colormap: Colormap = .viridis, range: ClosedRange<Float>? = nil,
                    showValues: Bool = false) throws -> Canvas {
    try Heatmap(values, rowLabels: rowLabels, colLabels: colLabels, title: title, xLabel: xLabel,
                yLabel: yLabel, colormap: colormap, range: range, showValues: showValues).canvas
}
