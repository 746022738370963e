import XCTest
import ReproKit

/// Metric kinds by name and declaration, and `curves.png` with one panel per scale.
final class CurvesTests: XCTestCase {
    func testKindsAreInferredFromNamesAndDeclarationsWin() {
        let expected: [(String, MetricKind)] = [
            ("test_accuracy", .accuracy), ("train_eval_accuracy", .accuracy), ("top5_acc", .accuracy),
            ("train_error", .error), ("test_err", .error), ("loss", .loss), ("test_loss", .loss), ("nll_loss", .loss),
            ("bleu", .bleu), ("test_bleu4", .bleu), ("fid", .fid), ("test_fid", .fid), ("perplexity", .perplexity),
            ("val_ppl", .perplexity), ("lr", .learningRate), ("lr_generator", .learningRate), ("learning_rate", .learningRate),
            ("confidence", .other), ("grad_norm", .other),
        ]
        for (name, kind) in expected { XCTAssertEqual(MetricKind.inferred(from: name), kind, name) }
        XCTAssertFalse(MetricKind.error.higherIsBetter)
        XCTAssertTrue(MetricKind.bleu.higherIsBetter)
        let declared = ["score": MetricKind.fid]
        XCTAssertEqual(MetricKind.of("score", declared: declared), .fid)
        XCTAssertEqual(MetricKind.of("test_accuracy", declared: declared), .accuracy)
        XCTAssertEqual(Accuracy(name: "test_accuracy").kind, .accuracy)
        XCTAssertEqual(MeanMetric(name: "test_loss").kind, .loss)
    }

    /// Train loss and lr every step; evaluations of the given metrics every 5 steps.
    func history(eval: [String: Double]) -> MetricsHistory {
        var h = MetricsHistory()
        for step in 1...10 {
            h.append(.init(split: "train", step: step, epoch: 0, metrics: ["loss": 2.0 / Double(step), "lr": 0.1]))
            if step % 5 == 0 { h.append(.init(split: "eval", step: step, epoch: 0, metrics: eval)) }
        }
        return h
    }

    func testOnePanelPerScaleInAGrid() throws {
        let h = history(eval: ["test_accuracy": 0.8, "bleu": 21.5, "fid": 40, "test_loss": 1.1])
        let plots = Curves.panels(h)
        XCTAssertEqual(plots.map(\.title), ["Loss", "Accuracy / error", "BLEU", "FID", "Learning rate"])
        XCTAssertEqual(plots[0].series.map(\.name), ["train_loss", "test_loss"])
        XCTAssertEqual(plots[0].series.map(\.markers), [false, true])
        XCTAssertEqual(plots[1].yRange, 0...1)

        // Five panels of 480 × 360 in rows of three, under the title.
        let image = try drawn(h)
        XCTAssertEqual(image.width, 3 * 480)
        XCTAssertEqual(image.height / 360, 2)
    }

    /// `curves.png` of `history`, read back.
    func drawn(_ history: MetricsHistory) throws -> PNGImage {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curves-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Curves.draw(history, title: "curves", to: url)
        return try PNGImage(contentsOfFile: url.path)
    }

    func testLossAccuracyAndLearningRateStayThreePanelsInARow() throws {
        let h = history(eval: ["test_accuracy": 0.8])
        XCTAssertEqual(Curves.panels(h).map(\.title), ["Loss", "Accuracy / error", "Learning rate"])
        let image = try drawn(h)
        XCTAssertEqual(image.width, 3 * 480)
        XCTAssertEqual(image.height / 360, 1)
    }

    func testDeclaredKindsMoveAMetricAndPercentagesKeepTheirRange() throws {
        let h = history(eval: ["score": 12, "test_error": 35])
        let plots = Curves.panels(h, kinds: ["score": .bleu, "test_error": .error])
        XCTAssertEqual(plots.map(\.title), ["Loss", "Accuracy / error", "BLEU", "Learning rate"])
        // An error of 35 is a percentage: the preferred 0–1 axis widens to show it.
        var canvas = Canvas(width: 400, height: 300)
        let g = try plots[1].draw(on: &canvas, in: canvas.bounds)
        XCTAssertEqual(g.yRange.lowerBound, 0)
        XCTAssertGreaterThanOrEqual(g.yRange.upperBound, 35)
        XCTAssertEqual(Curves.columns(panels: 4), 2)
    }
}
