import Foundation

extension Canvas {
    /// Draws one line of text with DejaVu Sans (or `font`), anti-aliased, anchored at (x, y)
    /// by `align` and `baseline`. `.up` rotation turns the text 90° counter-clockwise
    /// around the anchor (y-axis labels, long column labels); alignment then runs along the
    /// text, so `.center` centres it vertically on y.
    ///
    /// Returns the text box (advance width × the font's ascent + descent) on the canvas.
    @discardableResult
    public mutating func drawText(_ text: String, x: Double, y: Double, size: Double = 12,
                                  color: RGB = .text, align: TextAlign = .left,
                                  baseline: TextBaseline = .alphabetic,
                                  rotation: TextRotation = .none, font: Font? = nil) throws -> PixelRect {
        let bitmap = try (font ?? Font.dejaVuSans()).render(text, size: size)
        return drawText(bitmap, x: x, y: y, color: color, align: align, baseline: baseline,
                        rotation: rotation)
    }

    /// Draws already rendered text (see `Font.render`); same placement as `drawText`.
    @discardableResult
    public mutating func drawText(_ bitmap: TextBitmap, x: Double, y: Double, color: RGB = .text,
                                  align: TextAlign = .left, baseline: TextBaseline = .alphabetic,
                                  rotation: TextRotation = .none) -> PixelRect {
        let alignOff: Int
        switch align {
        case .left: alignOff = 0
        case .center: alignOff = bitmap.advance / 2
        case .right: alignOff = bitmap.advance
        }
        // Where the baseline lies below the anchor.
        let baseShift: Int
        switch baseline {
        case .top: baseShift = bitmap.ascent
        case .middle: baseShift = (bitmap.ascent - bitmap.descent) / 2
        case .alphabetic: baseShift = 0
        case .bottom: baseShift = -bitmap.descent
        }
        let ax = Int(x.rounded()), ay = Int(y.rounded())
        // The bitmap's top-left corner in the text's own frame (u along the text, v down).
        let u0 = -alignOff - bitmap.originX, v0 = baseShift - bitmap.baseline
        let w = bitmap.width
        for j in 0..<bitmap.height {
            for i in 0..<w {
                let c = bitmap.coverage[j * w + i]
                guard c > 0 else { continue }
                let alpha = Double(c) / 255
                switch rotation {
                case .none: blend(x: ax + u0 + i, y: ay + v0 + j, color, alpha: alpha)
                // (u, v) -> (x + v, y - u): a quarter turn counter-clockwise.
                case .up: blend(x: ax + v0 + j, y: ay - u0 - 1 - i, color, alpha: alpha)
                }
            }
        }
        let lineHeight = bitmap.ascent + bitmap.descent
        switch rotation {
        case .none:
            return PixelRect(x: ax - alignOff, y: ay + baseShift - bitmap.ascent,
                             width: bitmap.advance, height: lineHeight)
        case .up:
            return PixelRect(x: ax + baseShift - bitmap.ascent, y: ay + alignOff - bitmap.advance,
                             width: lineHeight, height: bitmap.advance)
        }
    }
}
