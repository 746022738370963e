import Foundation

/// Where a plot's data went: its data area on the canvas and the mapping into it.
public struct PlotGeometry: Sendable {
    /// The data area (inside the frame).
    public let plotRect: PixelRect
    /// The legend box, if one was drawn (inside the plot or beside it).
    public let legendRect: PixelRect?
    public let xRange: ClosedRange<Double>
    /// The y range in plotted units: log10(y) on a log axis.
    public let yRange: ClosedRange<Double>
    public let logY: Bool

    /// The canvas position of data point (x, y), in continuous pixel coordinates.
    public func position(x: Double, y: Double) -> (x: Double, y: Double) {
        let px = Double(plotRect.x) + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(plotRect.width)
        return (px, pixelY(logY ? log10(y) : y))
    }

    /// Whether a continuous position lies in `r` (compared as Double: a point far off the
    /// axes must not overflow Int).
    static func inside(_ r: PixelRect, _ p: (x: Double, y: Double)) -> Bool {
        p.x >= Double(r.x) && p.x < Double(r.maxX) && p.y >= Double(r.y) && p.y < Double(r.maxY)
    }

    func pixelY(_ t: Double) -> Double {
        Double(plotRect.maxY) - (t - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(plotRect.height)
    }
}
