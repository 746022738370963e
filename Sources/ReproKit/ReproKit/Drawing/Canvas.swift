import Foundation

/// An 8-bit sRGB colour.
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// From 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    /// Dark gray for text and axes: softer than pure black, still high contrast.
    public static let text = RGB(34, 34, 34)
    public static let gridLine = RGB(225, 225, 225)
    public static let lightGray = RGB(200, 200, 200)
    public static let gray = RGB(128, 128, 128)
    public static let red = RGB(214, 39, 40)
    public static let green = RGB(44, 160, 44)

    /// The Okabe-Ito colours (Okabe & Ito 2008, "Color Universal Design"), told apart by
    /// readers with any common colour-vision deficiency: blue, vermillion, bluish green,
    /// reddish purple, orange, sky blue, black, and yellow last (faint on white).
    public static let palette: [RGB] = [
        0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000, 0xF0E442,
    ].map { RGB(hex: $0) }

    /// Relative luminance in 0...1 (Rec. 709 weights on the 8-bit values): picks black or
    /// white text on a coloured cell.
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    /// `self` mixed with `other`; `t` = 0 gives self, 1 gives other.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(a) + (Double(b) - Double(a)) * t).rounded())))
        }
        return RGB(m(r, other.r), m(g, other.g), m(b, other.b))
    }

    public var description: String { "RGB(\(r), \(g), \(b))" }
}

/// An axis-aligned rectangle of whole pixels: columns x..<x+width, rows y..<y+height.
public struct PixelRect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The centre in continuous pixel coordinates (pixel i spans i..<i+1).
    public var midX: Double { Double(x) + Double(width) / 2 }
    public var midY: Double { Double(y) + Double(height) / 2 }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }
}

/// An RGB raster to draw plots and image grids on, written out as PNG.
///
/// Coordinates are continuous with the origin at the top-left corner: pixel (i, j) covers
/// [i, i+1) × [j, j+1), so its centre is (i + 0.5, j + 0.5). Lines and circles are
/// anti-aliased by their exact coverage of each pixel's centre, smoothed over one pixel.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes, `width * height * 3`.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0, "Canvas: empty size \(width)x\(height)")
        self.width = width; self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(background)
    }

    /// A canvas holding an image (gray is spread to RGB; alpha is composited on white).
    public init(_ image: PNGImage) {
        self.init(width: image.width, height: image.height)
        drawImage(image, x: 0, y: 0)
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "Canvas: (\(x), \(y)) outside")
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            let i = (y * width + x) * 3
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    public mutating func fill(_ color: RGB) { fillRect(bounds, color) }

    /// Fills the part of `rect` that lies on the canvas.
    public mutating func fillRect(_ rect: PixelRect, _ color: RGB) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in y0..<y1 {
                var i = (y * w + x0) * 3
                for _ in x0..<x1 {
                    p[i] = color.r; p[i + 1] = color.g; p[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// A rectangle's outline, `thickness` pixels wide, drawn inside `rect`.
    public mutating func strokeRect(_ rect: PixelRect, _ color: RGB, thickness: Int = 1) {
        let t = max(1, min(thickness, rect.width, rect.height))
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), color)
        fillRect(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), color)
    }

    /// Paints `color` over pixel (x, y) with opacity `alpha` in 0...1.
    public mutating func blend(x: Int, y: Int, _ color: RGB, alpha: Double) {
        guard x >= 0, x < width, y >= 0, y < height, alpha > 0 else { return }
        let a = min(alpha, 1)
        let i = (y * width + x) * 3
        pixels[i] = Canvas.mix(pixels[i], color.r, a)
        pixels[i + 1] = Canvas.mix(pixels[i + 1], color.g, a)
        pixels[i + 2] = Canvas.mix(pixels[i + 2], color.b, a)
    }

    @inline(__always)
    static func mix(_ dst: UInt8, _ src: UInt8, _ a: Double) -> UInt8 {
        UInt8(max(0, min(255, (Double(dst) * (1 - a) + Double(src) * a).rounded())))
    }

    /// An anti-aliased straight line with round ends.
    public mutating func drawLine(from a: (x: Double, y: Double), to b: (x: Double, y: Double),
                                  color: RGB, thickness: Double = 1) {
        drawPolyline([a, b], color: color, thickness: thickness)
    }

    /// An anti-aliased connected line through `points`, optionally dashed (`dash` = lengths
    /// of the drawn and the skipped parts, in pixels). Coverage is the maximum over segments,
    /// so joints are not darker than the line. Non-finite points break the line. Nothing is
    /// drawn outside `clip` (a plot's data area).
    public mutating func drawPolyline(_ points: [(x: Double, y: Double)], color: RGB,
                                      thickness: Double = 1, dash: (on: Double, off: Double)? = nil,
                                      clip: PixelRect? = nil) {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return }
        let area = clip ?? bounds
        let pad = max(thickness, 1) / 2 + 1
        // Clamp before converting: a point far outside must not overflow Int.
        func px(_ v: Double) -> Double { max(-1e6, min(1e6, v)) }
        let bx0 = max(max(0, area.x), Int(px(finite.map(\.x).min()! - pad).rounded(.down)))
        let by0 = max(max(0, area.y), Int(px(finite.map(\.y).min()! - pad).rounded(.down)))
        let bx1 = min(min(width, area.maxX), Int(px(finite.map(\.x).max()! + pad).rounded(.up)) + 1)
        let by1 = min(min(height, area.maxY), Int(px(finite.map(\.y).max()! + pad).rounded(.up)) + 1)
        guard bx0 < bx1, by0 < by1 else { return }
        var cover = CoverageBuffer(x: bx0, y: by0, width: bx1 - bx0, height: by1 - by0)

        // Split into runs at non-finite points, then into dashes along the arc length.
        var runs: [[(x: Double, y: Double)]] = [[]]
        for p in points {
            if p.x.isFinite && p.y.isFinite { runs[runs.count - 1].append(p) }
            else if !runs[runs.count - 1].isEmpty { runs.append([]) }
        }
        for run in runs where !run.isEmpty {
            if run.count == 1 { cover.addSegment(run[0], run[0], thickness: thickness); continue }
            guard let dash, dash.on > 0, dash.off > 0 else {
                for i in 1..<run.count { cover.addSegment(run[i - 1], run[i], thickness: thickness) }
                continue
            }
            var phase = 0.0  // position inside the current on+off period
            for i in 1..<run.count {
                let a = run[i - 1], b = run[i]
                let len = hypot(b.x - a.x, b.y - a.y)
                var s = 0.0
                while s < len {
                    let inOn = phase < dash.on
                    let step = min(len - s, inOn ? dash.on - phase : dash.on + dash.off - phase)
                    if inOn {
                        let t0 = s / len, t1 = (s + step) / len
                        cover.addSegment((a.x + (b.x - a.x) * t0, a.y + (b.y - a.y) * t0),
                                         (a.x + (b.x - a.x) * t1, a.y + (b.y - a.y) * t1),
                                         thickness: thickness)
                    }
                    s += step
                    phase += step
                    if phase >= dash.on + dash.off - 1e-9 { phase = 0 }
                }
            }
        }
        composite(cover, color)
    }

    /// An anti-aliased filled disc (plot markers), nothing of it outside `clip`.
    public mutating func fillCircle(center: (x: Double, y: Double), radius: Double, color: RGB,
                                    clip: PixelRect? = nil) {
        func c(_ v: Double) -> Int { Int(max(-1e6, min(1e6, v))) }
        guard center.x.isFinite, center.y.isFinite, radius.isFinite else { return }
        let area = clip ?? bounds
        let x0 = max(max(0, area.x), c(center.x - radius - 1))
        let x1 = min(min(width, area.maxX), c(center.x + radius + 2))
        let y0 = max(max(0, area.y), c(center.y - radius - 1))
        let y1 = min(min(height, area.maxY), c(center.y + radius + 2))
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 {
                let d = hypot(Double(x) + 0.5 - center.x, Double(y) + 0.5 - center.y)
                blend(x: x, y: y, color, alpha: max(0, min(1, radius + 0.5 - d)))
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y), each source pixel becoming a
    /// `scale`×`scale` block (nearest neighbour: pixels stay sharp, as students expect of
    /// 28×28 digits). Gray is spread to RGB; alpha is composited over what is there.
    public mutating func drawImage(_ image: PNGImage, x: Int, y: Int, scale: Int = 1) {
        precondition(scale >= 1, "Canvas.drawImage: scale \(scale) < 1")
        let c = image.channels
        for sy in 0..<image.height {
            for sx in 0..<image.width {
                let i = (sy * image.width + sx) * c
                let color = c == 1 ? RGB(image.pixels[i], image.pixels[i], image.pixels[i])
                    : RGB(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
                let alpha = c == 4 ? Double(image.pixels[i + 3]) / 255 : 1
                if alpha >= 1 {
                    fillRect(PixelRect(x: x + sx * scale, y: y + sy * scale, width: scale, height: scale), color)
                } else {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            blend(x: x + sx * scale + dx, y: y + sy * scale + dy, color, alpha: alpha)
                        }
                    }
                }
            }
        }
    }

    /// Copies another canvas with its top-left corner at (x, y), clipped to this one.
    public mutating func draw(_ other: Canvas, x: Int, y: Int) {
        let x0 = max(0, x), x1 = min(width, x + other.width)
        guard x0 < x1 else { return }
        for oy in 0..<other.height {
            let ty = y + oy
            guard ty >= 0, ty < height else { continue }
            let src = (oy * other.width + (x0 - x)) * 3
            let dst = (ty * width + x0) * 3
            let n = (x1 - x0) * 3
            pixels.replaceSubrange(dst..<dst + n, with: other.pixels[src..<src + n])
        }
    }

    /// The canvas as an 8-bit RGB image.
    public var image: PNGImage {
        PNGImage(width: width, height: height, format: .rgb, pixels: pixels)
    }

    /// Writes the canvas as an RGB PNG (atomically, see `PNGImage.write`).
    public func write(to path: String) throws { try image.write(to: path) }

    /// Blends a colour through a coverage mask (0...1 per pixel) onto the canvas.
    mutating func composite(_ cover: CoverageBuffer, _ color: RGB) {
        let w = width
        let cr = Double(color.r), cg = Double(color.g), cb = Double(color.b)
        pixels.withUnsafeMutableBufferPointer { p in
            cover.values.withUnsafeBufferPointer { c in
                for j in 0..<cover.height {
                    let y = cover.y + j
                    guard y >= 0, y < height else { continue }
                    for i in 0..<cover.width {
                        let a = Double(c[j * cover.width + i])
                        let x = cover.x + i
                        guard a > 0, x >= 0, x < w else { continue }
                        let k = (y * w + x) * 3
                        p[k] = UInt8((Double(p[k]) * (1 - a) + cr * a).rounded())
                        p[k + 1] = UInt8((Double(p[k + 1]) * (1 - a) + cg * a).rounded())
                        p[k + 2] = UInt8((Double(p[k + 2]) * (1 - a) + cb * a).rounded())
                    }
                }
            }
        }
    }
}

/// Per-pixel opacity over a window of the canvas, built up before one blend so that
/// overlapping pieces of one stroke do not darken each other.
struct CoverageBuffer {
    let x: Int, y: Int, width: Int, height: Int
    var values: [Float]

    init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
        values = [Float](repeating: 0, count: width * height)
    }

    /// A segment with round caps: coverage = clamp(half-width + 0.5 − distance, 0, 1), which
    /// is a one-pixel linear ramp across the edge. Lines thinner than a pixel fade instead.
    mutating func addSegment(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double),
                             thickness: Double) {
        let half = max(thickness, 1) / 2
        let fade = min(thickness, 1)
        func c(_ v: Double) -> Int { Int(max(-1e6, min(1e6, v))) }
        let i0 = max(0, c((min(a.x, b.x) - half - 1).rounded(.down)) - x)
        let i1 = min(width, c((max(a.x, b.x) + half + 1).rounded(.up)) - x + 1)
        let j0 = max(0, c((min(a.y, b.y) - half - 1).rounded(.down)) - y)
        let j1 = min(height, c((max(a.y, b.y) + half + 1).rounded(.up)) - y + 1)
        guard i0 < i1, j0 < j1 else { return }
        let dx = b.x - a.x, dy = b.y - a.y
        let len2 = dx * dx + dy * dy
        for j in j0..<j1 {
            let py = Double(y + j) + 0.5
            for i in i0..<i1 {
                let px = Double(x + i) + 0.5
                var t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0
                t = max(0, min(1, t))
                let d = hypot(px - (a.x + t * dx), py - (a.y + t * dy))
                let c = Float(max(0, min(1, half + 0.5 - d)) * fade)
                let k = j * width + i
                if c > values[k] { values[k] = c }
            }
        }
    }
}
