import XCTest
import Foundation
import ReproKit

/// A study figure of final metrics against the card's `x_values` (BLEU by sentence length,
/// Bahdanau et al. Figure 2): parsed from the card, and drawn with each variant's line where
/// its values put it.
final class StudyFigureTests: XCTestCase {
    private let figure = "figure = { metrics = [\"bleu_short\", \"bleu_long\"], x_values = [10, 40], x_label = \"words\" }\n"

    func testXValuesAreParsedAndMustMatchTheMetrics() throws {
        let card = try PaperCard.parse(CardTests.toy.replacingOccurrences(
            of: "summary = \"claims\"\n", with: "summary = \"claims\"\n" + figure), file: "t.toml")
        XCTAssertEqual(card.experiments[1].figure,
                       FigureSpec(metrics: ["bleu_short", "bleu_long"], xValues: [10, 40], xLabel: "words"))
        let mismatched = figure.replacingOccurrences(of: "[10, 40]", with: "[10, 20, 40]")
        let errors = PaperCard.check(CardTests.toy.replacingOccurrences(
            of: "summary = \"claims\"\n", with: "summary = \"claims\"\n" + mismatched), file: "t.toml").errors
        XCTAssertEqual(errors.map(\.description),
                       ["t.toml:28: 'x_values' in [experiments.toy-claims.figure] needs one number per metric (2 metrics, 3 values)"])
        let words = figure.replacingOccurrences(of: "[10, 40]", with: "[\"a\", \"b\"]")
        XCTAssertEqual(PaperCard.check(CardTests.toy.replacingOccurrences(
            of: "summary = \"claims\"\n", with: "summary = \"claims\"\n" + words), file: "t.toml").errors.count, 1)
    }

    /// Variant "steady" keeps its value as x grows, "falling" loses it: the falling line ends
    /// lower on the right than it starts on the left, the steady one does not, and each
    /// variant's points are the mean over its runs.
    func testFinalValuesAreDrawnAgainstX() throws {
        func run(_ short: Double, _ long: Double) -> MetricsHistory {
            MetricsHistory(records: [
                .init(split: "eval", step: 5, epoch: 0, metrics: ["bleu_short": 0, "bleu_long": 0]),
                .init(split: "eval", step: 10, epoch: 1, metrics: ["bleu_short": short, "bleu_long": long]),
            ])
        }
        let spec = FigureSpec(metrics: ["bleu_short", "bleu_long"], title: "BLEU by length", yLabel: "BLEU",
                              xValues: [10, 40], xLabel: "source words")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("figure-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try StudyFigure.draw(spec, histories: [("steady", [run(28, 30), run(32, 30)]), ("falling", [run(30, 6), run(30, 4)])],
                             experiment: "x", seeds: [0, 1], to: url)
        let png = try PNGImage(contentsOfFile: url.path)
        // Pixels of each variant's colour, left half and right half of the plot.
        func rows(of color: RGB) -> (left: Double, right: Double) {
            var left: [Int] = [], right: [Int] = []
            for y in 0..<png.height {
                for x in 0..<png.width {
                    let i = (y * png.width + x) * png.channels
                    guard png.pixels[i] == color.r && png.pixels[i + 1] == color.g && png.pixels[i + 2] == color.b else { continue }
                    // The legend sits in a corner; the lines span the middle of the plot.
                    if x > png.width / 5 && x < png.width * 2 / 5 { left.append(y) }
                    if x > png.width * 3 / 5 && x < png.width * 4 / 5 { right.append(y) }
                }
            }
            func mean(_ a: [Int]) -> Double { a.isEmpty ? .nan : Double(a.reduce(0, +)) / Double(a.count) }
            return (mean(left), mean(right))
        }
        let steady = rows(of: RGB.palette[0]), falling = rows(of: RGB.palette[1])
        // Image y grows downwards: a falling value moves its line down.
        XCTAssertGreaterThan(falling.right - falling.left, 100, "falling: \(falling)")
        XCTAssertLessThan(abs(steady.right - steady.left), 20, "steady: \(steady)")
    }
}
