import Foundation

/// A colour bar legend, shared by `Heatmap`, `AttentionOverlay` and `PositionSimilarity`:
/// the colormap as a 14-pixel strip (low end at the bottom, or at the left when horizontal),
/// round-number ticks with labels beside it, and an optional caption saying what the
/// colours mean.
///
/// Build it first to learn how much room it needs across the strip (`breadth`), then `draw`
/// it once the layout has placed the strip.
struct ColorBar {
    enum Orientation { case vertical, horizontal }

    /// The strip's thickness across the bar, in pixels.
    static let thickness = 14
    static let tickSize = 11.0
    static let captionSize = 12.0

    let low: Double, high: Double
    let orientation: Orientation
    let ticks: [Double]
    let labels: [String]
    let caption: String?
    let font: Font
    /// The widest tick label (vertical) or a label line's height (horizontal).
    private let labelExtent: Int
    private let captionHeight: Int

    /// - Parameters:
    ///   - low, high: the values at the strip's ends (`high > low`).
    ///   - length: the strip's length along the bar; about one tick per 60 pixels.
    ///   - caption: drawn along the bar, past the tick labels (rotated to read upward when
    ///     the bar is vertical).
    init(low: Double, high: Double, length: Int, orientation: Orientation = .vertical,
         caption: String? = nil, font: Font) {
        precondition(high > low, "ColorBar: empty range \(low)...\(high)")
        self.low = low; self.high = high
        self.orientation = orientation
        self.caption = caption
        self.font = font
        ticks = Ticks.linear(low, high, target: max(2, length / 60))
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : high - low
        labels = ticks.map { Ticks.label($0, step: step) }
        switch orientation {
        case .vertical:
            labelExtent = labels.map { font.measure($0, size: ColorBar.tickSize) }.max() ?? 0
        case .horizontal:
            let m = font.lineMetrics(size: ColorBar.tickSize)
            labelExtent = m.ascent + m.descent
        }
        let c = font.lineMetrics(size: ColorBar.captionSize)
        captionHeight = caption == nil ? 0 : c.ascent + c.descent
    }

    /// Pixels from the strip's near edge (left, or top when horizontal) to the far edge of
    /// the labels and caption.
    var breadth: Int {
        let base = ColorBar.thickness + 5 + labelExtent
        guard caption != nil else { return base }
        return base + (orientation == .vertical ? 6 : 4) + captionHeight
    }

    /// How far the tick labels may stick out past the strip's ends (half a label, for
    /// labels centred on the end ticks of a horizontal bar).
    var overhang: Int {
        orientation == .vertical ? font.lineMetrics(size: ColorBar.tickSize).ascent / 2
            : (labels.map { font.measure($0, size: ColorBar.tickSize) }.max() ?? 0) / 2
    }

    /// The caption's width along the bar.
    var captionLength: Int { caption.map { font.measure($0, size: ColorBar.captionSize) } ?? 0 }

    /// Draws the strip in `strip` (its length is the bar's; its thickness should be
    /// `ColorBar.thickness`), outlined in gray, with the ticks, labels and caption beside it.
    func draw(on canvas: inout Canvas, strip: PixelRect, colormap: Colormap) throws {
        switch orientation {
        case .vertical:
            for y in 0..<strip.height {
                let t = 1 - (Double(y) + 0.5) / Double(strip.height)
                canvas.fillRect(PixelRect(x: strip.x, y: strip.y + y, width: strip.width, height: 1), colormap.color(t))
            }
        case .horizontal:
            for x in 0..<strip.width {
                let t = (Double(x) + 0.5) / Double(strip.width)
                canvas.fillRect(PixelRect(x: strip.x + x, y: strip.y, width: 1, height: strip.height), colormap.color(t))
            }
        }
        canvas.strokeRect(strip, .gray)
        for (tick, label) in zip(ticks, labels) {
            let f = (tick - low) / (high - low)
            switch orientation {
            case .vertical:
                let y = Double(strip.maxY) - f * Double(strip.height)
                let yi = min(strip.maxY - 1, Int(y))
                canvas.fillRect(PixelRect(x: strip.maxX, y: yi, width: 3, height: 1), .gray)
                try canvas.drawText(label, x: Double(strip.maxX + 5), y: y, size: ColorBar.tickSize,
                                    align: .left, baseline: .middle, font: font)
            case .horizontal:
                let x = Double(strip.x) + f * Double(strip.width)
                let xi = min(strip.maxX - 1, Int(x))
                canvas.fillRect(PixelRect(x: xi, y: strip.maxY, width: 1, height: 3), .gray)
                try canvas.drawText(label, x: x, y: Double(strip.maxY + 4), size: ColorBar.tickSize,
                                    align: .center, baseline: .top, font: font)
            }
        }
        if let caption {
            switch orientation {
            case .vertical:
                try canvas.drawText(caption, x: Double(strip.maxX + 5 + labelExtent + 6), y: strip.midY,
                                    size: ColorBar.captionSize, align: .center, baseline: .top,
                                    rotation: .up, font: font)
            case .horizontal:
                try canvas.drawText(caption, x: strip.midX, y: Double(strip.maxY + 5 + labelExtent + 4),
                                    size: ColorBar.captionSize, align: .center, baseline: .top, font: font)
            }
        }
    }
}
