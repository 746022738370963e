import XCTest
import ReproKit

/// The tolerance rule (`MeasuredTolerance`, CONTRIBUTING.md section 9) on cases computed by
/// hand, and the card entry `repro measure` prints read back by the card parser.
final class ToleranceRuleTests: XCTestCase {
    /// vit-mini's five full runs: 3 sd (0.00877) is wider than the range (0.0070), so it sets
    /// the tolerance, rounded up to two digits: 0.0088; the value is the midpoint 0.8343.
    func testThreeSDWinsOverANarrowRange() throws {
        let m = try MeasuredTolerance(seeds: [0, 1, 2, 3, 4], values: [0.8308, 0.8378, 0.8341, 0.8365, 0.8321])
        XCTAssertEqual(m.mean, 0.83426, accuracy: 1e-12)
        XCTAssertEqual(m.sd, 0.0029245512, accuracy: 1e-9)    // √(3.4212e-5 / 4)
        XCTAssertEqual(m.min, 0.8308); XCTAssertEqual(m.max, 0.8378)
        XCTAssertTrue(m.raisedToThreeSD)
        XCTAssertEqual(m.valueText, "0.8343"); XCTAssertEqual(m.value, 0.8343)
        XCTAssertEqual(m.toleranceText, "0.0088"); XCTAssertEqual(m.tolerance, 0.0088)
        XCTAssertEqual(m.basis(quick: false, variant: nil),
                       "seeds 0-4: 0.8308 0.8378 0.8341 0.8365 0.8321 (mean 0.8343, sd 0.0029); the range 0.8308-0.8378 "
                       + "widened by half its width on each side (±0.0070), raised to ±3 sd (0.0088)")
    }

    /// A range with one low seed: 0.50 and nine at 0.60, mean 0.59, sd √(0.009 / 9) = 0.0316,
    /// 3 sd = 0.095 < width 0.10, so the widened range sets it: 0.55 ± 0.10.
    func testTheRangeWinsOverThreeSD() throws {
        let m = try MeasuredTolerance(seeds: Array(10...19), values: [0.50] + Array(repeating: 0.60, count: 9))
        XCTAssertEqual(m.mean, 0.59, accuracy: 1e-12)
        XCTAssertEqual(m.sd, 0.001.squareRoot(), accuracy: 1e-12)
        XCTAssertFalse(m.raisedToThreeSD)
        XCTAssertEqual(m.valueText, "0.55"); XCTAssertEqual(m.toleranceText, "0.10")
        XCTAssertEqual(m.basis(quick: true, variant: "p4"),
                       "quick runs, variant p4 runs, seeds 10-19: 0.5 0.6 0.6 0.6 0.6 0.6 0.6 0.6 0.6 0.6 (mean 0.59, "
                       + "sd 0.032); the range 0.5-0.6 widened by half its width on each side (±0.10)")
    }

    /// vit-mini's 24 quick runs, whose card entry was written by hand by the same rule:
    /// 0.563 ± 0.062 (the width 0.594 − 0.532 is 0.06199999… in binary; still 0.062).
    func testTheVitQuickCardEntryComesOutOfTheRule() throws {
        let values = [0.533, 0.570, 0.577, 0.544, 0.594, 0.576, 0.571, 0.580, 0.555, 0.532, 0.563, 0.587,
                      0.581, 0.555, 0.583, 0.559, 0.555, 0.591, 0.579, 0.551, 0.575, 0.576, 0.582, 0.571]
        let m = try MeasuredTolerance(seeds: Array(0...23), values: values)
        XCTAssertEqual(m.valueText, "0.563"); XCTAssertEqual(m.toleranceText, "0.062")
        XCTAssertEqual(m.sd, 0.0170642, accuracy: 1e-6)
        XCTAssertFalse(m.raisedToThreeSD)
    }

    /// 0.8378 − 0.8308 is 0.007000000000000006 in binary: rounding "up" must not make it 0.0071.
    func testSubtractionNoiseDoesNotRoundTheWidthUpAUnit() throws {
        let m = try MeasuredTolerance(seeds: Array(0...9), values: [0.8308, 0.8378] + Array(repeating: 0.8343, count: 8))
        XCTAssertEqual(m.sd, 0.0016499, accuracy: 1e-6)       // 3 sd = 0.00495 < 0.0070
        XCTAssertEqual(m.toleranceText, "0.0070"); XCTAssertEqual(m.valueText, "0.8343")
    }

    /// Large numbers round to the tolerance's second digit even left of the point:
    /// 100 and 130 give 115 ± 64 (3 sd = 63.64); 1000 and 1300 give 1150 ± 640.
    func testTwoDigitsLeftOfThePoint() throws {
        let small = try MeasuredTolerance(seeds: [0, 1], values: [100, 130])
        XCTAssertEqual(small.valueText, "115"); XCTAssertEqual(small.toleranceText, "64")
        let large = try MeasuredTolerance(seeds: [0, 1], values: [1000, 1300])
        XCTAssertEqual(large.valueText, "1150"); XCTAssertEqual(large.toleranceText, "640")
        XCTAssertEqual(large.tolerance, 640)
    }

    func testEqualValuesGiveToleranceZeroAndTheExactValue() throws {
        let m = try MeasuredTolerance(seeds: [0, 1, 2], values: [0.8125, 0.8125, 0.8125])
        XCTAssertEqual(m.valueText, "0.8125"); XCTAssertEqual(m.toleranceText, "0")
    }

    func testFewerThanTwoSeedsOrANaNIsRefused() {
        XCTAssertThrowsError(try MeasuredTolerance(seeds: [0], values: [0.5])) {
            XCTAssertEqual($0 as? MeasureError, .tooFewSeeds(1))
        }
        XCTAssertThrowsError(try MeasuredTolerance(seeds: [0, 7], values: [0.5, .nan])) {
            XCTAssertEqual("\($0)", "the value on seed 7 is nan, not a finite number")
        }
    }

    /// Whatever the sample, the rounded interval holds every observed value (checked the way
    /// a card checks a run) and is at least as wide as the rule asks.
    func testTheRoundedIntervalHoldsEveryValue() throws {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<500 {
            let n = Int.random(in: 2...25, using: &rng)
            let scale = [1e-4, 0.01, 1, 30, 5000][trial % 5]
            let values = (0..<n).map { _ in Double.random(in: 0...scale, using: &rng) + scale }
            let m = try MeasuredTolerance(seeds: (0..<UInt64(n)).map { $0 }, values: values)
            let e = Expectation(metric: "x", value: Double(m.valueText)!, tolerance: .absolute(Double(m.toleranceText)!), basis: "")
            for v in values { XCTAssertTrue(e.check(v).passed, "\(values) → \(m.valueText) ± \(m.toleranceText)") }
            XCTAssertGreaterThanOrEqual(m.tolerance * (1 + 1e-9), max(m.max - m.min, 3 * m.sd), "\(values)")
            XCTAssertLessThanOrEqual(m.tolerance, max(m.max - m.min, 3 * m.sd) * 1.11, "up by less than one unit of the 2nd digit")
        }
    }

    /// The printed entry is a card's `[[…expect_quick]]` table: the card parser reads it back
    /// with the same value, tolerance, variant and basis.
    func testTheCardEntryParsesAsACardExpectation() throws {
        let m = try MeasuredTolerance(seeds: [1834211, 90213377], values: [0.97, 0.98])
        let entry = MetricMeasurement(metric: "test_accuracy", measured: m)
            .cardEntry(experiment: "selftest-claims", quick: true, variant: "wide")
        XCTAssertTrue(entry.hasPrefix("[[experiments.selftest-claims.expect_quick]]\nvariant = \"wide\"\n"), entry)
        let spec = try Self.experiment("selftest-claims", withEntries: entry, keys: "variants = { wide = { hidden = 32 } }")
        let x = try XCTUnwrap(spec.expectQuick.first)
        XCTAssertEqual(x.metric, "test_accuracy"); XCTAssertEqual(x.variant, "wide")
        XCTAssertEqual(x.value, 0.975); XCTAssertEqual(x.tolerance, .absolute(0.022))   // 3 sd = 0.02121
        XCTAssertEqual(x.basis, m.basis(quick: true, variant: "wide"))
        XCTAssertTrue(x.basis.hasPrefix("quick runs, variant wide runs, seeds 1834211 90213377: 0.97 0.98"), x.basis)
    }

    /// The experiment `name` of a minimal card holding `keys` and the printed entries (read by
    /// the card parser, as a pasted entry would be).
    static func experiment(_ name: String, withEntries entries: String, keys: String = "") throws -> ExperimentSpec {
        let card = try PaperCard.parse("""
            id = "measured"
            title = "t"
            authors = ["a"]
            venue = "none"
            year = 2026
            [experiments.\(name)]
            summary = "s"
            dataset = "d"
            \(keys)

            """ + entries + "\n", file: "measured.toml")
        return try XCTUnwrap(card.experiment(named: name))
    }
}
