import XCTest
import Foundation
import ReproKit

/// Every drawing helper renders fixed data, compared pixel by pixel with its committed
/// reference in `Tests/Fixtures/Images` (`ReferenceImages`; regenerate with
/// `REPRO_UPDATE_REFERENCE_IMAGES=1`, CONTRIBUTING.md "Testing a drawing").
final class ReferenceImageTests: XCTestCase {
    /// Five steps of a falling curve.
    private let falling: [(x: Double, y: Double)] = [(0, 0.9), (25, 0.55), (50, 0.4), (75, 0.33), (100, 0.3)]

    func testLinePlotShowsStylesMarkersBandAndASingleValue() throws {
        var p = LinePlot(title: "Line plot", subtitle: "fixed data · seed 0", xLabel: "step", yLabel: "error")
        p.add("train", falling, band: falling.map { (x: $0.x, low: $0.y - 0.05, high: $0.y + 0.07) })
        p.add("valid", falling.map { (x: $0.x, y: $0.y + 0.1) }, dashed: true, markers: true, marker: .square)
        p.add("test", [(x: 100, y: 0.45)], marker: .triangle)
        p.add("other", falling.map { (x: $0.x, y: 1.1 - $0.y) }, thickness: 1.5, dashed: true, markers: true, marker: .diamond)
        try ReferenceImages.check(try p.render(width: 420, height: 300), "lineplot-styles")
    }

    func testLinePlotPreferredRangeWidensAndAClippedOneSaysSo() throws {
        var p = LinePlot(title: "y ≤ 0.3 preferred", xLabel: "step", yRange: 0...0.3)
        p.add("error", falling)
        var clipped = p
        clipped.title = "y ≤ 0.3 clipped"
        clipped.clipsToRange = true
        try ReferenceImages.check(try LinePlot.panels([p, clipped], panelWidth: 300, height: 240), "lineplot-ranges")
    }

    func testLinePlotLegendGoesOutsideWhenEveryCornerHasData() throws {
        var p = LinePlot(title: "legend outside", xLabel: "x", yLabel: "y", logY: true)
        let xs = (0...40).map(Double.init)
        p.add("up", x: xs, y: xs.map { pow(10, $0 / 20) })
        p.add("down", x: xs, y: xs.map { pow(10, 2 - $0 / 20) })
        try ReferenceImages.check(try p.render(width: 420, height: 260), "lineplot-legend-outside")
    }

    /// A one-epoch run's curves: evaluation metrics are single points, drawn with their value.
    func testCurvesOfAOneEpochRun() throws {
        var h = MetricsHistory()
        for step in stride(from: 10, through: 100, by: 10) {
            h.append(.init(split: "train", step: step, epoch: 0,
                           metrics: ["loss": 2 / Double(step).squareRoot(), "accuracy": 1 - 2 / Double(step + 10), "lr": 0.1]))
        }
        h.append(.init(split: "eval", step: 100, epoch: 0, metrics: ["test_loss": 0.31, "test_accuracy": 0.874]))
        let canvas = try LinePlot.panels(Curves.panels(h), panelWidth: 300, height: 240,
                                         title: FigureTitle.runs(experiment: "toy", seeds: [0], quick: true))
        try ReferenceImages.check(canvas, "curves-one-epoch")
    }

    /// Two variants over three seeds: mean lines over min–max bands; the card's y_max below
    /// the data gives the whole data beside the card's clipped view.
    func testStudyFigureWithBandsAndTheCardsView() throws {
        func run(_ scale: Double) -> MetricsHistory {
            var h = MetricsHistory()
            for step in stride(from: 10, through: 200, by: 10) {
                h.append(.init(split: "train", step: step, epoch: 0, metrics: ["train_error": scale * 3 / Double(step).squareRoot()]))
            }
            h.append(.init(split: "eval", step: 200, epoch: 0, metrics: ["test_error": scale * 0.25]))
            return h
        }
        let spec = FigureSpec(metrics: ["train_error", "test_error"], title: "Study", yLabel: "error", yMax: 0.3)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("study-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try StudyFigure.draw(spec, histories: [("plain", [run(1), run(1.1), run(0.9)]), ("residual", [run(0.8), run(0.85), run(0.7)])],
                             experiment: "toy-study", seeds: [0, 1, 2], quick: true, width: 340, height: 210, to: url)
        try ReferenceImages.check(file: url, "study-bands")
    }

    /// An alignment matrix with token labels, and a confusion matrix with counts.
    func testHeatmaps() throws {
        let source = ["the", "dog", "runs", "<eos>"], output = ["el", "perro", "corre", "<eos>"]
        let att: [Float] = [0.8, 0.1, 0.05, 0.05, 0.1, 0.7, 0.1, 0.1, 0.05, 0.15, 0.7, 0.1, 0, 0.05, 0.15, 0.8]
        try ReferenceImages.check(try Heatmap(Tensor(att, shape: [4, 4]), rowLabels: output, colLabels: source,
                                              title: "alignment", xLabel: "source", yLabel: "output",
                                              colormap: .gray, range: 0...1, cellSize: 22).canvas, "heatmap-tokens")
        let names = ["T-shirt", "Trouser", "Pullover"]
        let counts: [Float] = [50, 2, 0, 3, 41, 7, 0, 9, 38]
        try ReferenceImages.check(try Heatmap(Tensor(counts, shape: [3, 3]), rowLabels: names, colLabels: names,
                                              xLabel: "predicted", yLabel: "true", showValues: true, cellSize: 30).canvas,
                                  "heatmap-confusion")
    }

    private func rings(_ n: Int, side: Int) -> [Float] {
        var v = [Float](repeating: 0, count: n * side * side)
        for i in 0..<n {
            for y in 0..<side {
                for x in 0..<side {
                    let r = (Float((x - side / 2) * (x - side / 2) + (y - side / 2) * (y - side / 2))).squareRoot()
                    v[(i * side + y) * side + x] = max(0, 1 - abs(r - Float(2 + i % 5)) / 1.5)
                }
            }
        }
        return v
    }

    func testImageGridAndFilters() throws {
        try ReferenceImages.check(try imageGrid(Tensor(rings(6, side: 12), shape: [6, 1, 12, 12]), columns: 3, scale: 2,
                                                labels: ["0/0", "1/1", "2/7", "3/3", "4/9", "5/5"],
                                                labelColors: [.text, .text, .red, .text, .red, .text],
                                                normalize: .range(0, 1), title: "images"), "imagegrid")
        let w: [Float] = (0..<(6 * 3 * 5 * 5)).map { (k: Int) -> Float in
            let wave = sin(Double(k) * 0.37), channel = cos(Double(k / 25) * 0.9)
            return Float(wave * channel)
        }
        try ReferenceImages.check(try filterGrid(Tensor(w, shape: [6, 3, 5, 5]), title: "conv1"), "filtergrid")
    }

    func testAttentionOverlayAndPositionSimilarity() throws {
        let n = 2, side = 12
        var maps: [Float] = []
        for i in 0..<n { for k in 0..<9 { maps.append(Float((k + i * 4) % 9)) } }
        let overlay = try attentionOverlay(images: Tensor(rings(n, side: side), shape: [n, 1, side, side]),
                                           maps: [AttentionOverlay.Map("map", Tensor(maps, shape: [n, 3, 3]))],
                                           labels: ["a", "b"], title: "overlay", scale: 3, normalize: .range(0, 1))
        try ReferenceImages.check(overlay, "attention-overlay")
        let g = 3, d = 4
        let pos: [Float] = (0..<(g * g * d)).map { k in Float(cos(Double(k / d) * 0.7 + Double(k % d))) }
        try ReferenceImages.check(try PositionSimilarity(Tensor(pos, shape: [g * g, d]), gridHeight: g, gridWidth: g,
                                                         title: "position similarity", cellSize: 10).canvas,
                                  "position-similarity")
    }

    /// The comparison itself: a pixel within the tolerance passes, one beyond it is counted
    /// and drawn red in the difference picture.
    func testComparisonCountsPixelsBeyondTheTolerance() {
        let a = Canvas(width: 4, height: 3)
        var b = a
        b[1, 1] = RGB(250, 250, 250)
        XCTAssertEqual(ReferenceImages.compare(a, b, tolerance: 8).differing, 0)
        b[2, 2] = RGB(255, 200, 255)
        let d = ReferenceImages.compare(a, b, tolerance: 8)
        XCTAssertEqual(d.differing, 1)
        XCTAssertEqual(d.largest, 55)
        XCTAssertEqual(d.picture[2, 2].r, 255)
        XCTAssertLessThan(d.picture[2, 2].g, 128)
        XCTAssertEqual(d.picture[0, 0].r, d.picture[0, 0].g, "an equal pixel is gray")
    }
}
