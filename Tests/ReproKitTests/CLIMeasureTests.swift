import XCTest
import Foundation
import ReproKit

/// `repro measure` through the real binary on the SelfTest plugin: the numbers printed are those of the run folders' summary.json, recomputed here
/// independently, and the printed card entry parses and holds every observed value.
extension CLITests {
    /// The summaries of the runs under `artifacts/<experiment>`, by seed (checking that each
    /// folder's name ends in its seed).
    func summaries(_ experiment: String) throws -> [UInt64: RunSummary] {
        let dir = artifacts.appendingPathComponent(experiment)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).reduce(into: [:]) { out, name in
            let s = try RunFolder(url: dir.appendingPathComponent(name)).readJSON(RunSummary.self, from: "summary.json")
            XCTAssertTrue(name.hasSuffix("-s\(s.seed)" + (s.quick ? "-quick" : "")), name)
            out[s.seed] = s
        }
    }

    /// The numbers after `label` on the line that starts with `prefix`: "mean 0.975833".
    private func number(_ label: String, onLineStarting prefix: String, in text: String) throws -> Double {
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "no line '\(prefix)' in\n\(text)")
        let words = line.split(separator: " ").map(String.init)
        let i = try XCTUnwrap(words.firstIndex(of: label), String(line))
        return try XCTUnwrap(Double(words[i + 1]), String(line))
    }

    /// The card entries printed in `stdout` (its last lines), read by the card parser.
    private func cardEntries(in stdout: String, experiment: String) throws -> ExperimentSpec {
        let start = try XCTUnwrap(stdout.range(of: "[[experiments.\(experiment)."), stdout)
        return try ToleranceRuleTests.experiment(experiment, withEntries: String(stdout[start.lowerBound...]))
    }

    func testMeasurePrintsEachSeedTheStatisticsAndACardEntryThatHoldsThem() throws {
        let o = try repro("measure", "selftest-mini", "--seeds", "3")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertEqual(o.errorLines, ["warning: 3 seeds measured; the project's minimum for a tolerance is 5 full runs "
                                      + "(CONTRIBUTING.md, section 9)"])
        let runs = try summaries("selftest-mini")
        XCTAssertEqual(runs.keys.sorted(), [0, 1, 2])
        let values = try (0...2).map { try XCTUnwrap(runs[UInt64($0)]?.metrics["test_accuracy"]) }
        for (seed, v) in values.enumerated() {
            XCTAssertTrue(o.stdout.contains("  seed \(seed)  \(String(format: "%.6g", v))\n"), o.stdout)
        }
        let mean = values.reduce(0, +) / 3
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        let (lo, hi) = (values.min()!, values.max()!)
        XCTAssertEqual(try number("n", onLineStarting: "  n ", in: o.stdout), 3)
        for (label, expected) in [("mean", mean), ("sd", sd), ("min", lo), ("max", hi)] {
            XCTAssertEqual(try number(label, onLineStarting: "  n ", in: o.stdout), expected, accuracy: abs(expected) * 1e-5, label)
        }

        let expectation = try XCTUnwrap(cardEntries(in: o.stdout, experiment: "selftest-mini").expect.first)
        XCTAssertEqual(expectation.metric, "test_accuracy")
        XCTAssertEqual(expectation.value, (lo + hi) / 2, accuracy: expectation.allowedDistance / 20, "the midpoint")
        XCTAssertGreaterThanOrEqual(expectation.allowedDistance, max(hi - lo, 3 * sd), "the rule's width")
        for v in values { XCTAssertTrue(expectation.check(v).passed, expectation.check(v).text) }
        XCTAssertTrue(expectation.basis.hasPrefix("seeds 0-2: "), expectation.basis)
    }
}

extension CLITests {
    /// --quick measures quick runs for expect_quick; --metric chooses the metrics, in order.
    func testMeasureQuickRunsOfTheNamedMetrics() throws {
        let o = try repro("measure", "selftest-mini", "--quick", "--seeds", "2", "--first-seed", "7",
                          "--metric", "test_loss", "--metric", "test_accuracy")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertEqual(o.errorLines.filter { $0.hasPrefix("warning: 2 seeds measured") }.count, 1, o.stderr)
        let runs = try summaries("selftest-mini")
        XCTAssertEqual(runs.keys.sorted(), [7, 8])
        XCTAssertTrue(runs.values.allSatisfy(\.quick))
        let entries = try cardEntries(in: o.stdout, experiment: "selftest-mini")
        XCTAssertTrue(entries.expect.isEmpty)
        XCTAssertEqual(entries.expectQuick.map(\.metric), ["test_loss", "test_accuracy"])
        for x in entries.expectQuick {
            XCTAssertTrue(x.basis.hasPrefix("quick runs, seeds 7-8: "), x.basis)
            for run in runs.values { XCTAssertTrue(x.check(run.metrics[x.metric]!).passed, x.metric) }
        }
    }

    func testMeasureBadInputIsOneLine() throws {
        let zero = try repro("measure", "selftest-mini", "--seeds", "0")
        XCTAssertEqual(zero.status, 1)
        XCTAssertEqual(zero.errorLines, ["repro: --seeds must be at least 2 (a tolerance needs a spread), got 0; "
                                         + "the cards use 5 full or 20 quick runs"])
        let unknown = try repro("measure", "selftest-mni", "--seeds", "2")
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.errorLines, ["repro: unknown experiment 'selftest-mni'; did you mean 'selftest-mini'? "
                                            + "(`repro list` shows them all)"])
        let nothing = try repro("measure", "selftest-gan", "--seeds", "2")
        XCTAssertEqual(nothing.status, 1)
        XCTAssertEqual(nothing.errorLines, ["repro: experiment 'selftest-gan' asserts no metric in expect; name the metrics "
                                            + "to measure with --metric M"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("selftest-mini").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("selftest-gan").path))

        // A metric the runs do not report is known only after a run: the first one, then stop.
        let metric = try repro("measure", "selftest-mini", "--quick", "--seeds", "3", "--metric", "test_acuracy")
        XCTAssertEqual(metric.status, 1)
        let line = try XCTUnwrap(metric.errorLines.last, metric.stderr)
        XCTAssertTrue(line.hasPrefix("repro: the runs do not report a metric 'test_acuracy'; did you mean 'test_accuracy'? "
                                     + "(they report: "), line)
        XCTAssertTrue(line.contains("test_loss"), line)
        XCTAssertEqual(try summaries("selftest-mini").count, 1, "stopped after the first run")
    }
}

extension CLITests {
    /// --at-least / --at-most write the rule's interval edge as a one-sided bound; --reuse counts
    /// a seed's completed run of the same config instead of running it again.
    func testMeasureWritesBoundsAndReusesCompletedRuns() throws {
        let first = try repro("measure", "selftest-mini", "--quick", "--seeds", "2", "--metric", "test_accuracy",
                              "--metric", "test_loss")
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        let before = try summaries("selftest-mini")
        XCTAssertEqual(before.keys.sorted(), [0, 1])

        let o = try repro("measure", "selftest-mini", "--quick", "--seeds", "3", "--reuse", "--metric", "test_accuracy",
                          "--metric", "test_loss", "--at-least", "test_accuracy", "--at-most", "test_loss")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let runs = try summaries("selftest-mini")
        XCTAssertEqual(runs.keys.sorted(), [0, 1, 2])
        let folders = try FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("selftest-mini").path)
        XCTAssertEqual(folders.count, 3, "seeds 0 and 1 were counted, not run again: \(folders)")
        for seed in [0, 1] {
            XCTAssertTrue(o.stdout.contains("seed \(seed): counting \(before[UInt64(seed)]!.runDirectory) (commit "), o.stdout)
        }
        XCTAssertEqual(o.stdout.components(separatedBy: "run folder: ").count - 1, 1, "only seed 2 ran")

        let start = try XCTUnwrap(o.stdout.range(of: "[[experiments.selftest-mini."), o.stdout)
        let entries = try ToleranceRuleTests.experiment("selftest-mini", withEntries: String(o.stdout[start.lowerBound...]))
        let (floor, ceiling) = (entries.expectQuick[0], entries.expectQuick[1])
        XCTAssertEqual(floor.side, .atLeast)
        XCTAssertEqual(ceiling.side, .atMost)
        // The bounds are the two-sided rule's edges on the same values.
        let accuracy = try MeasuredTolerance(seeds: [0, 1, 2], values: (0...2).map { runs[UInt64($0)]!.metrics["test_accuracy"]! })
        let loss = try MeasuredTolerance(seeds: [0, 1, 2], values: (0...2).map { runs[UInt64($0)]!.metrics["test_loss"]! })
        XCTAssertEqual(floor.value, accuracy.value - accuracy.tolerance, accuracy: accuracy.tolerance * 1e-9 + 1e-12)
        XCTAssertEqual(ceiling.value, loss.value + loss.tolerance, accuracy: loss.tolerance * 1e-9 + 1e-12)
        for run in runs.values {
            XCTAssertTrue(floor.check(run.metrics["test_accuracy"]!).passed)
            XCTAssertTrue(ceiling.check(run.metrics["test_loss"]!).passed)
        }
        XCTAssertTrue(floor.basis.hasSuffix("; the floor is that interval's lower edge, \(accuracy.valueText) − \(accuracy.toleranceText)"),
                      floor.basis)

        // A changed config is a different measurement: nothing is reused.
        let other = try repro("measure", "selftest-mini", "--quick", "--seeds", "2", "--reuse", "--metric", "test_accuracy",
                              papers: try card(replacing: "quick = { epochs = 6 }\n\n[[experiments.selftest-mini.expect]]",
                                               with: "quick = { epochs = 5 }\n\n[[experiments.selftest-mini.expect]]"))
        XCTAssertEqual(other.status, 0, other.stdout + other.stderr)
        XCTAssertFalse(other.stdout.contains("counting"), other.stdout)
        let after = try FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("selftest-mini").path)
        XCTAssertEqual(after.count, 5, "two new runs: \(after)")

        let bad = try repro("measure", "selftest-mini", "--quick", "--seeds", "2", "--at-least", "test_loss")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.errorLines, ["repro: 'test_loss' is not measured; measured: test_accuracy (name it with --metric too)"])
    }

    /// A run asserted with one-sided bounds: the verdict line, summary.json (the open side
    /// left out, since JSON has no infinity) and report.md.
    func testARunChecksFloorsAndCeilings() throws {
        let quickEntry = "value = 0.968\ntolerance = 0.025"
        let floor = try repro("run", "selftest-mini", "--quick", "--seed", "1",
                              papers: try card(replacing: quickEntry, with: "at_least = 0.5"))
        XCTAssertEqual(floor.status, 0, floor.stdout + floor.stderr)
        XCTAssertTrue(floor.stdout.contains(" meets ≥ 0.5 ✓"), floor.stdout)
        let folder = RunFolder(url: try XCTUnwrap(floor.runFolder))
        let assertion = try XCTUnwrap(folder.readJSON(RunSummary.self, from: "summary.json").assertions.first)
        XCTAssertEqual(assertion.low, 0.5)
        XCTAssertNil(assertion.high)
        XCTAssertTrue(assertion.passed)
        let report = try String(contentsOf: folder.url.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| ≥ 0.5000 | pass |"), report)

        let ceiling = try repro("run", "selftest-mini", "--quick", "--seed", "1",
                                papers: try card(replacing: quickEntry, with: "at_most = 0.5"))
        XCTAssertEqual(ceiling.status, 1, ceiling.stdout + ceiling.stderr)
        XCTAssertTrue(ceiling.stdout.contains(" misses ≤ 0.5 ✗"), ceiling.stdout)
        let missed = try XCTUnwrap(RunFolder(url: try XCTUnwrap(ceiling.runFolder))
            .readJSON(RunSummary.self, from: "summary.json").assertions.first)
        XCTAssertNil(missed.low)
        XCTAssertEqual(missed.high, 0.5)
        XCTAssertFalse(missed.passed)
    }

    /// A copy of the fixture card with `old` replaced by `new`, in its own folder; the folder.
    private func card(replacing old: String, with new: String) throws -> String {
        let papers = artifacts.appendingPathComponent("papers-\(abs(new.hashValue))")
        try FileManager.default.createDirectory(at: papers, withIntermediateDirectories: true)
        let original = try String(contentsOfFile: CLITests.fixturePapers + "/selftest.toml", encoding: .utf8)
        let card = original.replacingOccurrences(of: old, with: new)
        XCTAssertNotEqual(card, original, "the fixture card has no '\(old)'")
        try card.write(to: papers.appendingPathComponent("selftest.toml"), atomically: true, encoding: .utf8)
        return papers.path
    }
}
