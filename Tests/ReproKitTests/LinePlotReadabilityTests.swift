import XCTest
import Foundation
import ReproKit

/// What makes a line plot readable at a glance, checked on the pixels: axes that show all
/// the data (or say what they cut), single points that can be found, a legend that covers
/// no data and shows each series as drawn, colour-blind-safe colours, shaded seed bands,
/// and titles that name the runs.
final class LinePlotReadabilityTests: XCTestCase {
    private let falling: [(x: Double, y: Double)] = [(0, 0.9), (25, 0.55), (50, 0.4), (75, 0.33), (100, 0.3)]

    private func drawn(_ p: LinePlot, width: Int = 500, height: Int = 340) throws -> (Canvas, PlotGeometry) {
        var canvas = Canvas(width: width, height: height)
        let g = try p.draw(on: &canvas, in: canvas.bounds)
        return (canvas, g)
    }

    private func count(_ canvas: Canvas, in r: PixelRect, where test: (RGB) -> Bool) -> Int {
        var n = 0
        for y in max(0, r.y)..<min(canvas.height, r.maxY) {
            for x in max(0, r.x)..<min(canvas.width, r.maxX) where test(canvas[x, y]) { n += 1 }
        }
        return n
    }

    func testAPreferredRangeWidensToHoldTheDataAndIsKeptWhenItHoldsIt() throws {
        var p = LinePlot(yRange: 0...0.3)
        p.add("error", falling)
        let (_, g) = try drawn(p)
        XCTAssertEqual(g.yRange.lowerBound, 0)
        XCTAssertGreaterThanOrEqual(g.yRange.upperBound, 0.9, "the view must hold the first point")
        p.series[0].points = falling.map { (x: $0.x, y: $0.y / 4) }
        XCTAssertEqual(try drawn(p).1.yRange, 0...0.3)
        // Every point is inside the data area.
        p.series[0].points = falling
        for q in falling { XCTAssertTrue(g.plotRect.contains(x: Int(g.position(x: q.x, y: q.y).x), y: Int(g.position(x: q.x, y: q.y).y))) }
    }

    func testAClippedViewSaysWhatItHides() throws {
        var p = LinePlot(title: "t", yRange: 0...0.3, clipsToRange: true)
        p.add("error", falling)
        let (canvas, g) = try drawn(p)
        XCTAssertEqual(g.yRange, 0...0.3)
        let above = PixelRect(x: g.plotRect.x, y: 0, width: g.plotRect.width, height: g.plotRect.y - 1)
        let noteInk = { (c: RGB) in c.r > 120 && c.g < 90 && c.b < 90 }
        XCTAssertGreaterThan(count(canvas, in: above, where: noteInk), 30, "no note of the clipped points")
        p.yRange = 0...1
        let (plain, g2) = try drawn(p)
        XCTAssertEqual(count(plain, in: PixelRect(x: 0, y: 0, width: plain.width, height: g2.plotRect.y - 1), where: noteInk), 0)
    }

    func testASinglePointIsALargeMarkerWithItsValueWritten() throws {
        let c = RGB(0, 114, 178)
        var p = LinePlot(legend: .none)
        p.add("train", falling, color: RGB(0, 0, 0), thickness: 1)
        p.add("test", [(x: 100, y: 0.62)], color: c)
        let (canvas, g) = try drawn(p)
        let m = g.position(x: 100, y: 0.62)
        // A disc of radius ≥ 4 px around the point, inside the plot (not half cut at the edge).
        let disc = PixelRect(x: Int(m.x) - 2, y: Int(m.y) - 2, width: 5, height: 5)
        XCTAssertEqual(count(canvas, in: disc) { $0 == c }, 25)
        XCTAssertLessThan(m.x, Double(g.plotRect.maxX - 6))
        // "0.62" in the series' darkened colour (dark blue ink: blue well above red) beside it.
        let beside = PixelRect(x: Int(m.x) - 70, y: Int(m.y) - 30, width: 140, height: 60)
        let marker = PixelRect(x: Int(m.x) - 7, y: Int(m.y) - 7, width: 15, height: 15)
        var ink = 0
        for y in beside.y..<beside.maxY {
            for x in beside.x..<beside.maxX where !marker.contains(x: x, y: y) && x < canvas.width {
                let p = canvas[x, y]
                if Int(p.b) > Int(p.r) + 60 && p.luminance < 0.45 { ink += 1 }
            }
        }
        XCTAssertGreaterThan(ink, 10, "no value label near the point")
    }

    func testTheLegendCoversNoDataOrGoesOutside() throws {
        var p = LinePlot()
        p.add("rising", (0...20).map { (x: Double($0), y: Double($0)) })
        var (_, g) = try drawn(p)
        var legend = try XCTUnwrap(g.legendRect)
        XCTAssertTrue(g.plotRect.contains(x: legend.x, y: legend.y) && g.plotRect.contains(x: legend.maxX - 1, y: legend.maxY - 1))
        for t in stride(from: 0.0, through: 20, by: 0.05) {
            let q = g.position(x: t, y: t)
            XCTAssertFalse(legend.contains(x: Int(q.x), y: Int(q.y)), "the legend covers the line at x = \(t)")
        }
        // Data in every corner: the legend moves to the right of the plot.
        p.add("falling", (0...20).map { (x: Double($0), y: 20 - Double($0)) })
        (_, g) = try drawn(p)
        legend = try XCTUnwrap(g.legendRect)
        XCTAssertGreaterThanOrEqual(legend.x, g.plotRect.maxX)
    }

    func testTheLegendDrawsDashesAndMarkersAsThePlotDoes() throws {
        let dashed = RGB(213, 94, 0), dotted = RGB(0, 158, 115)
        var p = LinePlot(legend: .topRight)
        p.add("dashed", [(x: 0, y: 0), (x: 1, y: 0.1)], color: dashed, dashed: true)
        p.add("markers", [(x: 0, y: 0.05), (x: 1, y: 0.15)], color: dotted, markers: true, marker: .square)
        let (canvas, g) = try drawn(p)
        let legend = try XCTUnwrap(g.legendRect)
        // The dashed sample: its colour along one row, broken by gaps.
        var runs = 0, inRun = false
        let rowY = (legend.y..<legend.y + legend.height / 2).max { a, b in
            count(canvas, in: PixelRect(x: legend.x, y: a, width: 44, height: 1)) { $0 == dashed }
                < count(canvas, in: PixelRect(x: legend.x, y: b, width: 44, height: 1)) { $0 == dashed }
        }!
        for x in legend.x..<legend.x + 44 {
            let on = canvas[x, rowY] == dashed
            if on && !inRun { runs += 1 }
            inRun = on
        }
        XCTAssertGreaterThanOrEqual(runs, 3, "a dashed series needs a dashed legend sample")
        // The marker: taller than the 2-pixel line in the middle of the sample.
        let lower = PixelRect(x: legend.x, y: legend.y + legend.height / 2, width: 44, height: legend.height / 2)
        let tallest = (lower.x..<lower.maxX).map { x in count(canvas, in: PixelRect(x: x, y: lower.y, width: 1, height: lower.height)) { $0 == dotted } }.max()!
        XCTAssertGreaterThanOrEqual(tallest, 6, "a series with markers needs a marker in its legend sample")
    }

    func testThePaletteIsOkabeIto() {
        XCTAssertEqual(Array(RGB.palette.prefix(7)), [0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000].map { RGB(hex: $0) })
    }

    func testABandIsShadedInTheSeriesColour() throws {
        let c = RGB(0, 114, 178)
        var p = LinePlot(yRange: 0...1, legend: .none)
        p.add("mean", [(x: 0, y: 0.5), (x: 10, y: 0.5)], color: c, band: [(x: 0, low: 0.2, high: 0.8), (x: 10, low: 0.2, high: 0.8)])
        let (canvas, g) = try drawn(p)
        let inside = g.position(x: 5, y: 0.3), outside = g.position(x: 5, y: 0.9)
        let shade = c.mixed(with: .white, 0.8)
        let got = canvas[Int(inside.x), Int(inside.y)]
        XCTAssertEqual(Int(got.r), Int(shade.r), accuracy: 2); XCTAssertEqual(Int(got.b), Int(shade.b), accuracy: 2)
        XCTAssertEqual(canvas[Int(outside.x), Int(outside.y)], .white)
    }

    func testTitlesNameTheRuns() {
        XCTAssertEqual(FigureTitle.runs(experiment: "resnet-degradation", variant: "plain8", seeds: [0], quick: true),
                       "resnet-degradation / plain8 · seed 0 · quick run")
        XCTAssertEqual(FigureTitle.runs(experiment: "vit-vs-resnet", seeds: [0, 1, 2], quick: false), "vit-vs-resnet · seeds 0-2")
    }

    /// The card's y_max below the data: the figure shows all of it, and beside it the card's
    /// view when every curve ends inside that view; one panel when the view holds the data.
    func testAStudyFigureShowsAllTheDataBesideTheCardsView() throws {
        func run(_ top: Double) -> MetricsHistory {
            MetricsHistory(records: (1...5).map { .init(split: "train", step: $0 * 10, epoch: 0, metrics: ["train_error": top / Double($0)]) })
        }
        func width(yMax: Double, top: Double) throws -> Int {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("fig-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: url) }
            try StudyFigure.draw(FigureSpec(metrics: ["train_error"], yMax: yMax), histories: [("a", [run(top), run(top * 1.1)])],
                                 experiment: "x", seeds: [0, 1], quick: true, to: url)
            return try PNGImage(contentsOfFile: url.path).width
        }
        XCTAssertEqual(try width(yMax: 1, top: 0.9), 760, "the card's view holds the data")
        XCTAssertEqual(try width(yMax: 0.3, top: 0.9), 2 * 608, "all the data, and the card's view")
        XCTAssertEqual(try width(yMax: 0.1, top: 0.9), 760, "no curve ends in the card's view: one widened panel")
    }
}
