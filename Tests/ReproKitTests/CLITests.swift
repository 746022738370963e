import XCTest
import Foundation
import ReproKit

/// The real `repro` binary, run as a user runs it, on the SelfTest plugin and its fixture
/// card: list, info, run (checkpoints, PNGs, summary), resume after Ctrl-C, verify, compare,
/// and the one-line message of every bad input.
final class CLITests: XCTestCase {
    /// The package root (this file is Tests/ReproKitTests/CLITests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixturePapers = root.appendingPathComponent("Tests/Fixtures/Papers").path

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        /// stderr's lines, for one-line messages; without warnings about a stale library of a
        /// removed plugin, which SwiftPM leaves in .build.
        var errorLines: [String] {
            let stale = "warning: \(OneCopyTests.buildDir)/lib"
            return stderr.split(separator: "\n").map(String.init).filter {
                !$0.hasPrefix(stale) || $0.contains("/libSelfTest.so") || $0.contains("/libResNet.so")
            }
        }
        /// The run folder the run printed (`run folder: PATH`).
        var runFolder: URL? {
            stdout.split(separator: "\n").first { $0.hasPrefix("run folder: ") }
                .map { URL(fileURLWithPath: String($0.dropFirst("run folder: ".count))) }
        }
        /// The study folder a study's run printed (`report: FOLDER/report.md`) and its study.json.
        func study(file: StaticString = #filePath, line: UInt = #line) throws -> (StudyOutcome, URL) {
            let report = try XCTUnwrap(stdout.split(separator: "\n").first { $0.hasPrefix("report: ") }, stdout,
                                       file: file, line: line)
            let folder = URL(fileURLWithPath: String(report.dropFirst("report: ".count))).deletingLastPathComponent()
            return (try RunFolder(url: folder).readJSON(StudyOutcome.self, from: "study.json"), folder)
        }
    }

    /// A running `repro`, its output going to files (pipes could fill up and block it).
    final class Running {
        let process = Process()
        let out: URL, err: URL

        /// `locations: false` leaves out --plugins/--papers/--artifacts, for subcommands
        /// that take none (`repro bleu`).
        init(_ args: [String], papers: String, artifacts: URL, env: [String: String], locations: Bool = true) throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("repro-cli-out-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            out = dir.appendingPathComponent("stdout"); err = dir.appendingPathComponent("stderr")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: OneCopyTests.buildDir + "/repro")
            // The subcommand first, then the locations, so that exactly the built plugins
            // and the fixture cards are used.
            process.arguments = args + (locations ? ["--plugins", OneCopyTests.buildDir, "--papers", papers,
                                                     "--artifacts", artifacts.path] : [])
            var environment = ProcessInfo.processInfo.environment
            for key in ["REPRO_PLUGIN_PATH", "REPRO_PAPERS"] { environment[key] = nil }
            for (k, v) in env { environment[k] = v }
            process.environment = environment
            process.currentDirectoryURL = CLITests.root
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        func wait() -> Output {
            process.waitUntilExit()
            let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
            return Output(status: status,
                          stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }
    }

    var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: OneCopyTests.buildDir + "/repro") else {
            throw CLITestError("no repro binary in \(OneCopyTests.buildDir): build the host first (scripts/build; scripts/test does)")
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: artifacts)
    }

    @discardableResult
    func repro(_ args: String..., papers: String = CLITests.fixturePapers,
                       env: [String: String] = [:]) throws -> Output {
        try Running(args, papers: papers, artifacts: artifacts, env: env).wait()
    }

    /// The one stderr line starting with `prefix` (failing the test if there is not exactly one).
    private func oneLine(_ o: Output, startingWith prefix: String, file: StaticString = #filePath,
                         line: UInt = #line) -> String {
        let lines = o.errorLines.filter { $0.hasPrefix(prefix) }
        XCTAssertEqual(lines.count, 1, "stderr: \(o.stderr)", file: file, line: line)
        return lines.first ?? ""
    }

    // MARK: list, info

    func testListShowsSelfTestReadyAndNoPluginWarnings() throws {
        let o = try repro("list")
        XCTAssertEqual(o.status, 0, o.stderr)
        let row = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.contains("selftest-mini") }, o.stdout)
        XCTAssertTrue(row.contains("ready"), String(row))
        XCTAssertTrue(row.contains("1 expect, 1 quick, 0 claims"), String(row))
        let claims = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.contains("selftest-claims") })
        XCTAssertTrue(claims.contains("0 expect, 0 quick, 1 claims") && claims.contains("ready"), String(claims))
        XCTAssertTrue(o.stdout.contains("selftest 1.0 (\(OneCopyTests.buildDir)/libSelfTest.so)"), o.stdout)
        XCTAssertTrue(o.stdout.contains("resnet 1.0"), o.stdout)
        // (A stale library of a removed plugin may linger in .build; only ours must be clean.)
        XCTAssertFalse(o.errorLines.contains { $0.contains("libSelfTest.so") || $0.contains("libResNet.so") }, o.stderr)
    }

    func testInfoShowsConfigAndExpectations() throws {
        let o = try repro("info", "selftest-mini")
        XCTAssertEqual(o.status, 0, o.stderr)
        let lines = o.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("selftest-mini: MLP"), lines[0])
        for expected in ["  epochs = 12", "  hidden = 32", "  poison_at_step = 0", "  slow_ms = 0", "quick: epochs=6"] {
            XCTAssertTrue(lines.contains(expected), "no line '\(expected)' in\n\(o.stdout)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("expect: test_accuracy ") }, o.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("expect (quick): test_accuracy ") }, o.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("card: \(CLITests.fixturePapers)/selftest.toml") }, o.stdout)
    }

    // MARK: run

    func testRunWritesTheWholeRunFolder() throws {
        let o = try repro("run", "selftest-mini", "--seed", "1")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertTrue(o.stdout.contains("\nPASS\n"), o.stdout)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        XCTAssertTrue(folder.path.hasPrefix(artifacts.appendingPathComponent("selftest-mini").path), folder.path)
        XCTAssertTrue(folder.lastPathComponent.hasSuffix("-s1"), folder.lastPathComponent)
        let run = RunFolder(url: folder)

        let record = try run.readJSON(RunRecord.self, from: "config.json")
        XCTAssertEqual(record.plugin, "selftest"); XCTAssertEqual(record.pluginVersion, "1.0")
        XCTAssertEqual(record.seed, 1); XCTAssertFalse(record.quick)
        XCTAssertEqual(record.config["epochs"], "12"); XCTAssertEqual(record.config["hidden"], "32")

        // metrics.jsonl: every line is a JSON object; 12 evaluations, one per epoch.
        let lines = try String(contentsOf: run.metrics, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0)) }
        XCTAssertEqual(objects.filter { $0["split"] as? String == "eval" }.count, 12)
        let log = try MetricsLogWriter.read(run.metrics)
        let evalAccuracy = log.records.filter { $0.split == "eval" }.compactMap { $0.metrics["test_accuracy"] }
        XCTAssertEqual(evalAccuracy.count, 12)
        XCTAssertTrue(log.records.contains { $0.split == "train" && $0.metrics["loss"] != nil && $0.metrics["train_accuracy"] != nil })

        let summary = try run.readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.outcome, "completed")
        XCTAssertEqual(summary.steps, 240)    // 12 epochs of 640 / 32 batches
        XCTAssertEqual(summary.drawings, ["regions.png"])
        XCTAssertEqual(summary.assertions.count, 1)
        let a = try XCTUnwrap(summary.assertions.first)
        XCTAssertEqual(a.metric, "test_accuracy"); XCTAssertTrue(a.passed, a.text)
        XCTAssertEqual(a.observed, summary.metrics["test_accuracy"])
        XCTAssertEqual(summary.metrics["test_accuracy"], evalAccuracy.last)
        XCTAssertTrue(o.stdout.contains("✓ \(a.text)"), o.stdout)

        // checkpoint.h5 is the end of the run; best.h5 the evaluation with the best accuracy.
        let last = try Checkpoint.read(from: run.checkpoint)
        XCTAssertEqual(last.step, 240); XCTAssertEqual(last.epoch, 12)
        XCTAssertEqual(last.metadata.plugin, "selftest"); XCTAssertEqual(last.metadata.experiment, "selftest-mini")
        XCTAssertEqual(last.tensors.map(\.0).sorted(),
                       ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "out.bias", "out.weight"])
        XCTAssertEqual(last.tensors.first { $0.0 == "fc1.weight" }?.1.shape, [32, 2])
        XCTAssertEqual(last.rng.keys.sorted(), ["model.drop.rng"])
        XCTAssertEqual(last.metrics["test_accuracy"], evalAccuracy.last)
        let best = try Checkpoint.read(from: run.best)
        XCTAssertEqual(best.metrics["test_accuracy"], evalAccuracy.max())
        XCTAssertEqual(best.step, 20 * (evalAccuracy.firstIndex(of: evalAccuracy.max()!)! + 1))

        // The pictures decode; the plugin's decision regions show all three classes.
        let curves = try PNGImage(contentsOfFile: run.curves.path)
        XCTAssertGreaterThan(curves.width, 200); XCTAssertGreaterThan(curves.height, 100)
        let regions = try PNGImage(contentsOfFile: run.file("regions.png").path)
        XCTAssertGreaterThan(regions.width, 240); XCTAssertGreaterThan(regions.height, 240)
        // 48×48 cells of 5 pixels over [-1, 1]²: each class's colour covers about its share of
        // the square (π·0.45²/4, π·(0.8²−0.45²)/4, the rest); the colour bar adds a few pixels.
        let canvas = Canvas(regions)
        var area = [Int](repeating: 0, count: 3)
        let classColours = (0..<3).map { Colormap.viridis.color(Double($0), low: 0, high: 2) }
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                if let c = classColours.firstIndex(of: canvas[x, y]) { area[c] += 1 }
            }
        }
        let square = 240.0 * 240.0
        for (c, share) in [0.159, 0.344, 0.497].enumerated() {
            XCTAssertEqual(Double(area[c]) / square, share, accuracy: 0.06, "class \(c) covers \(area[c]) pixels")
        }

        let report = try String(contentsOf: run.report, encoding: .utf8)
        XCTAssertTrue(report.contains("regions.png") && report.contains("curves.png"), report)
        XCTAssertTrue(report.contains("selftest-mini"), report)
    }

    func testQuickRunUsesQuickConfigAndExpectations() throws {
        let o = try repro("run", "selftest-mini", "--quick")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        XCTAssertTrue(folder.lastPathComponent.hasSuffix("-s0-quick"), folder.lastPathComponent)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.quick)
        XCTAssertEqual(summary.steps, 120)   // 6 epochs
        XCTAssertEqual(summary.assertions.count, 1)
        XCTAssertTrue(summary.assertions[0].passed, summary.assertions[0].text)
        XCTAssertTrue(summary.assertions[0].basis.hasPrefix("quick runs"), summary.assertions[0].basis)
        // A classifier has nothing to sample: `repro sample` says so in one line.
        let sample = try repro("sample", folder.path)
        XCTAssertEqual(sample.status, 1)
        XCTAssertEqual(oneLine(sample, startingWith: "repro:"), "repro: experiment 'selftest-mini' does not draw samples "
            + "(its task is not a generative model); `repro sample` works on runs of ddpm-mini and the like")
    }

    // MARK: verify, compare

    func testVerifyExpectationsOverTwoSeeds() throws {
        let o = try repro("verify", "selftest-mini", "--seeds", "2")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let rows = o.stdout.split(separator: "\n").filter { $0.hasPrefix("selftest-mini  expect  ") }
        XCTAssertEqual(rows.count, 2, o.stdout)
        XCTAssertTrue(rows[0].contains(" 100 ") && rows[1].contains(" 101 "), rows.joined(separator: "\n"))
        XCTAssertTrue(rows.allSatisfy { $0.contains("pass") }, rows.joined(separator: "\n"))
        XCTAssertTrue(o.stdout.contains("verify: 2 passed, 0 failed"), o.stdout)
    }

    func testVerifyClaimOnQuickVariants() throws {
        let o = try repro("verify", "selftest-claims", "--quick")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let row = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.hasPrefix("selftest-claims  claim  100  ") }, o.stdout)
        XCTAssertTrue(row.contains("pass") && row.contains("wide ") && row.contains("holds, as recorded"), String(row))
        XCTAssertTrue(o.stdout.contains("verify: 1 passed, 0 failed"), o.stdout)
        // Each variant ran in its own folder.
        for v in ["narrow", "wide"] {
            let dir = artifacts.appendingPathComponent("selftest-claims/\(v)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).count, 1, v)
        }
    }

    /// `repro run` of an experiment with claims runs every variant, judges the claims, draws
    /// the card's figure and writes a study folder that `compare` then reads.
    func testRunOfAClaimsExperimentIsAStudyOfItsVariants() throws {
        let o = try repro("run", "selftest-claims", "--quick", "--seed", "3")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertTrue(o.stdout.contains("✓ A wider MLP separates the rings better than a 2-unit one: test_accuracy wide "), o.stdout)
        XCTAssertTrue(o.stdout.hasSuffix("PASS\n"), o.stdout)
        let line = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") }, o.stdout)
        let folder = URL(fileURLWithPath: String(line.dropFirst("report: ".count))).deletingLastPathComponent()
        XCTAssertEqual(folder.deletingLastPathComponent().path, artifacts.appendingPathComponent("selftest-claims").path)
        XCTAssertTrue(folder.lastPathComponent.hasPrefix("study-") && folder.lastPathComponent.hasSuffix("-s3-quick"))
        let study = try RunFolder(url: folder).readJSON(StudyOutcome.self, from: "study.json")
        XCTAssertEqual(study.seeds, [3])
        XCTAssertEqual(Set(study.runs.keys), ["narrow", "wide"])
        XCTAssertEqual(study.claims.map(\.matchesRecorded), [true])
        // The means are the variant runs' own final metrics (one seed each).
        for (variant, dirs) in study.runs {
            let run = try RunFolder(url: URL(fileURLWithPath: dirs[0])).readJSON(RunSummary.self, from: "summary.json")
            XCTAssertEqual(run.variant, variant)
            XCTAssertEqual(study.means[variant]?["test_accuracy"], run.metrics["test_accuracy"])
        }
        XCTAssertGreaterThan(study.means["wide"]!["test_accuracy"]!, study.means["narrow"]!["test_accuracy"]! + 0.05)
        let figure = try PNGImage(contentsOfFile: folder.appendingPathComponent("figure.png").path)
        XCTAssertEqual([figure.width, figure.height], [760, 500])
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| A wider MLP separates the rings better than a 2-unit one | none (a fixture) | `wide > narrow` | holds | holds | as recorded |"), report)
        XCTAssertTrue(report.contains("![Narrow and wide MLPs](figure.png)"), report)

        // Long cells wrap to fit the terminal; a wide one has each row on one line.
        let narrow = try repro("compare", "--quick", env: ["COLUMNS": "120"])
        XCTAssertEqual(narrow.stdout.split(separator: "\n").filter { $0.count > 120 }, [], narrow.stdout)
        let compare = try repro("compare", env: ["COLUMNS": "1000"])
        let row = try XCTUnwrap(compare.stdout.split(separator: "\n").first { $0.contains("claim: A wider MLP") }, compare.stdout)
        XCTAssertTrue(row.contains("not run"), String(row))  // plain compare reads full runs; this was quick
        let quickCompare = try repro("compare", "--quick", env: ["COLUMNS": "1000"])
        let quickRow = try XCTUnwrap(quickCompare.stdout.split(separator: "\n").first { $0.contains("claim: A wider MLP") })
        XCTAssertTrue(quickRow.contains("as recorded (holds)"), String(quickRow))

        // One variant alone is an ordinary run, asserted with nothing.
        let single = try repro("run", "selftest-claims", "--quick", "--variant", "narrow")
        XCTAssertEqual(single.status, 0, single.stdout + single.stderr)
        XCTAssertTrue(try XCTUnwrap(single.runFolder).path.contains("/selftest-claims/narrow/"))
    }

    /// A claim whose outcome flips fails the run (exit 1), and says which claim.
    func testStudyFailsWhenAClaimIsNotTheRecordedOutcome() throws {
        let papers = artifacts.appendingPathComponent("papers")
        try FileManager.default.createDirectory(at: papers, withIntermediateDirectories: true)
        let card = try String(contentsOfFile: CLITests.fixturePapers + "/selftest.toml", encoding: .utf8)
            .replacingOccurrences(of: "outcome = \"holds\"", with: "outcome = \"does not hold\"")
        try card.write(to: papers.appendingPathComponent("selftest.toml"), atomically: true, encoding: .utf8)
        let o = try repro("run", "selftest-claims", "--quick", "--seed", "3", papers: papers.path)
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr)
        XCTAssertTrue(o.stdout.contains("✗ A wider MLP separates the rings better than a 2-unit one: test_accuracy wide "), o.stdout)
        XCTAssertTrue(o.stdout.contains("holds, but the card records does not hold"), o.stdout)
        XCTAssertTrue(o.stdout.hasSuffix("FAIL: a claim's outcome is not the recorded one\n"), o.stdout)
    }

    func testCompareShowsTheLatestRun() throws {
        let before = try repro("compare")
        XCTAssertEqual(before.status, 0, before.stderr)
        let notRun = try XCTUnwrap(before.stdout.split(separator: "\n").first { $0.contains("selftest-mini") }, before.stdout)
        XCTAssertTrue(notRun.contains("not run"), String(notRun))

        let run = try repro("run", "selftest-mini", "--seed", "2")
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let accuracy = try RunFolder(url: XCTUnwrap(run.runFolder)).readJSON(RunSummary.self, from: "summary.json")
            .metrics["test_accuracy"]!
        let after = try repro("compare")
        XCTAssertEqual(after.status, 0, after.stderr)
        let row = try XCTUnwrap(after.stdout.split(separator: "\n").first { $0.contains("selftest-mini") }, after.stdout)
        XCTAssertTrue(row.contains(String(format: "%.4f", accuracy)), String(row))
        XCTAssertTrue(row.contains("pass") && row.contains("test_accuracy") && row.contains("100%"), String(row))
    }

    // MARK: Ctrl-C and resume

    /// Starts `repro args`, presses Ctrl-C once the first run folder under `trainingIn` has
    /// logged two records, and returns what it printed on exit.
    func interruptMidTraining(_ args: [String], trainingIn dir: URL) throws -> Output {
        let running = try Running(args, papers: CLITests.fixturePapers, artifacts: artifacts, env: [:])
        waitUntilTraining(running, in: dir)
        XCTAssertTrue(running.process.isRunning, "the run ended before it could be interrupted")
        kill(running.process.processIdentifier, SIGINT)
        return running.wait()
    }

    /// Returns once the first run folder under `dir` has logged two records (or the run ended,
    /// or a minute passed): the moment to press Ctrl-C mid-training.
    func waitUntilTraining(_ running: Running, in dir: URL) { Self.waitUntilLogged(running, records: 2, in: dir) }

    /// Returns once the first run folder under `dir` has logged `records` records (or the run
    /// ended, or `timeout` seconds passed).
    static func waitUntilLogged(_ running: Running, records: Int, in dir: URL, timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        func logged() -> Bool {
            guard let runs = try? FileManager.default.contentsOfDirectory(atPath: dir.path), let name = runs.first,
                  let text = try? String(contentsOf: dir.appendingPathComponent(name + "/metrics.jsonl"), encoding: .utf8)
            else { return false }
            return text.split(separator: "\n").count >= records
        }
        while !logged() && running.process.isRunning && Date() < deadline { usleep(20_000) }
    }

    /// Ctrl-C in a study stops the whole study (not just the variant it is in), says how to
    /// finish that run, writes what it has and exits 130.
    func testCtrlCStopsAStudy() throws {
        let o = try interruptMidTraining(["run", "selftest-claims", "--seed", "4", "--set", "slow_ms=15"],
                                         trainingIn: artifacts.appendingPathComponent("selftest-claims/narrow"))
        XCTAssertEqual(o.status, 130, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        XCTAssertTrue(o.stdout.contains("interrupted in variant narrow, seed 4; finish that run with `repro resume \(folder.path)`"), o.stdout)
        XCTAssertTrue(o.stdout.hasSuffix("STOPPED: interrupted\n"), o.stdout)
        // The wide variant never started.
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("selftest-claims/wide").path))
        let studyDir = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("selftest-claims").path)
            .first { $0.hasPrefix("study-") })
        let study = try RunFolder(url: artifacts.appendingPathComponent("selftest-claims/\(studyDir)"))
            .readJSON(StudyOutcome.self, from: "study.json")
        XCTAssertEqual(study.outcome, "interrupted")
        XCTAssertFalse(study.passed)
        XCTAssertNil(study.claims[0].observed)  // no wide runs: nothing to compare
    }

    /// SIGINT mid-run saves a checkpoint, prints how to resume and exits 130; `repro resume`
    /// then finishes with exactly the parameters of a run never interrupted.
    func testCtrlCSavesAndResumeMatchesUninterruptedRun() throws {
        let o = try interruptMidTraining(["run", "selftest-mini", "--seed", "5", "--set", "slow_ms=15"],
                                         trainingIn: artifacts.appendingPathComponent("selftest-mini"))
        XCTAssertEqual(o.status, 130, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let hint = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.hasPrefix("interrupted at step ") }, o.stdout)
        XCTAssertTrue(hint.hasSuffix("checkpoint saved. Resume with: repro resume \(folder.path)"), String(hint))
        XCTAssertTrue(o.stdout.contains("STOPPED: interrupted"), o.stdout)
        let saved = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        XCTAssertGreaterThan(saved.step, 0); XCTAssertLessThan(saved.step, 240)
        XCTAssertTrue(hint.hasPrefix("interrupted at step \(saved.step);"), String(hint))
        XCTAssertEqual(try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json").outcome, "interrupted")

        let resumed = try repro("resume", folder.path)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming selftest-mini from step \(saved.step) in \(folder.path)"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("\nPASS\n"), resumed.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.outcome, "completed"); XCTAssertEqual(summary.steps, 240)
        XCTAssertEqual(summary.drawings, ["regions.png"])
        // The metrics log is continuous: every step's interval logged once.
        let trainSteps = try MetricsLogWriter.read(RunFolder(url: folder).metrics).records.filter { $0.split == "train" }.map(\.step)
        XCTAssertEqual(trainSteps, Array(Set(trainSteps)).sorted())
        XCTAssertEqual(trainSteps.last, 240)

        // slow_ms changes only the speed, so the uninterrupted reference may skip it.
        let reference = try repro("run", "selftest-mini", "--seed", "5")
        XCTAssertEqual(reference.status, 0, reference.stdout + reference.stderr)
        let a = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        let b = try Checkpoint.read(from: RunFolder(url: XCTUnwrap(reference.runFolder)).checkpoint)
        XCTAssertEqual(a.step, b.step)
        XCTAssertEqual(a.tensors.map(\.0), b.tensors.map(\.0))
        for ((name, x), (_, y)) in zip(a.tensors, b.tensors) {
            XCTAssertEqual(x.shape, y.shape, name)
            XCTAssertEqual(x.scalars, y.scalars, "\(name) differs between resumed and uninterrupted runs")
        }
        XCTAssertEqual(a.optimizerTensors.keys.sorted(), b.optimizerTensors.keys.sorted())
        for (name, x) in a.optimizerTensors { XCTAssertEqual(x.scalars, b.optimizerTensors[name]!.scalars, name) }
        XCTAssertEqual(a.metrics, b.metrics)
        // The log too, the interval the interruption cut through included.
        XCTAssertEqual(try MetricsLogWriter.read(RunFolder(url: folder).metrics).records,
                       try MetricsLogWriter.read(RunFolder(url: XCTUnwrap(reference.runFolder)).metrics).records)
    }

    // MARK: Bad inputs: one line each, naming the problem and what to do

    func testUnknownExperimentSuggestsTheClosest() throws {
        let o = try repro("run", "selftest-mni")
        XCTAssertEqual(o.status, 1)
        XCTAssertEqual(o.errorLines, ["repro: unknown experiment 'selftest-mni'; did you mean 'selftest-mini'? (`repro list` shows them all)"])
        let info = try repro("info", "nothing-like-it")
        XCTAssertEqual(info.status, 1)
        XCTAssertEqual(info.errorLines, ["repro: unknown experiment 'nothing-like-it' (`repro list` shows them all)"])
    }

    func testMalformedCardNamesFileAndLineAndOtherCardsStillLoad() throws {
        let papers = artifacts.appendingPathComponent("papers")
        try FileManager.default.createDirectory(at: papers, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLITests.fixturePapers + "/selftest.toml",
                                         toPath: papers.appendingPathComponent("selftest.toml").path)
        let bad = papers.appendingPathComponent("broken.toml")
        try """
        id = "broken"
        title = "A broken card"
        authors = ["Nobody"]
        venue = "none"
        year = "last year"

        [experiments.broken-mini]
        summary = "never runs"
        dataset = "none"
        """.write(to: bad, atomically: true, encoding: .utf8)
        let o = try repro("list", papers: papers.path)
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertEqual(o.errorLines, ["warning: \(bad.path):5: 'year' in the top level must be an integer, not the string \"last year\""])
        XCTAssertTrue(o.stdout.split(separator: "\n").contains { $0.contains("selftest-mini") && $0.contains("ready") }, o.stdout)
        XCTAssertFalse(o.stdout.contains("broken-mini"), o.stdout)
    }

    func testUnknownSetKeyListsTheValidKeys() throws {
        let o = try repro("run", "selftest-mini", "--set", "nosuchkey=1")
        XCTAssertEqual(o.status, 1)
        XCTAssertEqual(o.errorLines, ["repro: unknown config key 'nosuchkey'; valid keys: epochs, batch_size, lr, hidden, poison_at_step, slow_ms"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("selftest-mini").path),
                       "a refused config leaves no run folder")
    }

    func testWrongSetTypeNamesTheExpectedType() throws {
        let o = try repro("run", "selftest-mini", "--set", "epochs=abc")
        XCTAssertEqual(o.status, 1)
        XCTAssertEqual(o.errorLines, ["repro: config key 'epochs' needs an integer, got 'abc'"])
        let lr = try repro("run", "selftest-mini", "--set", "lr=fast")
        XCTAssertEqual(lr.errorLines, ["repro: config key 'lr' needs a number, got 'fast'"])
        let malformed = try repro("run", "selftest-mini", "--set", "epochs")
        XCTAssertEqual(malformed.errorLines, ["repro: --set 'epochs' is not of the form key=value"])
    }

    func testNaNLossStopsAndNamesTheLastGoodCheckpoint() throws {
        let o = try repro("run", "selftest-mini", "--set", "poison_at_step=5")
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let checkpoint = RunFolder(url: folder).checkpoint
        let message = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.hasPrefix("loss became") }, o.stdout)
        XCTAssertEqual(String(message), "loss became nan at step 5; the last good checkpoint is \(checkpoint.path). Try a lower learning rate (--set lr=…)")
        XCTAssertTrue(o.stdout.contains("STOPPED: diverged"), o.stdout)
        let saved = try Checkpoint.read(from: checkpoint)
        XCTAssertEqual(saved.step, 5)
        XCTAssertTrue(saved.tensors.allSatisfy { $0.1.scalars.allSatisfy(\.isFinite) })
        XCTAssertEqual(try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json").outcome, "diverged")

        // Poisoned after the first epoch: the epoch-end checkpoint is the good one and stays.
        let later = try repro("run", "selftest-mini", "--set", "poison_at_step=30")
        XCTAssertEqual(later.status, 1)
        XCTAssertEqual(try Checkpoint.read(from: RunFolder(url: XCTUnwrap(later.runFolder)).checkpoint).step, 20)
    }

    func testResumeFromCorruptCheckpointSaysSoWithoutCrashing() throws {
        let run = try repro("run", "selftest-mini", "--quick")
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let checkpoint = RunFolder(url: try XCTUnwrap(run.runFolder)).checkpoint
        let handle = try FileHandle(forWritingTo: checkpoint)
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let o = try repro("resume", checkpoint.deletingLastPathComponent().path)
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr)
        let line = oneLine(o, startingWith: "repro: ")
        XCTAssertTrue(line.hasPrefix("repro: \(checkpoint.path) is not a readable HDF5 file (truncated or corrupt?): "), line)
        XCTAssertTrue(line.hasSuffix("; re-run or pick another checkpoint"), line)

        let notARun = try repro("resume", artifacts.path)
        XCTAssertEqual(notARun.status, 1)
        XCTAssertEqual(notARun.errorLines, ["repro: \(artifacts.path) is not a run folder (no config.json and checkpoint.h5); pass a folder under artifacts/<experiment>/"])
    }

    func testMissingDatasetSaysHowToFetchIt() throws {
        let data = artifacts.appendingPathComponent("empty-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let o = try repro("run", "resnet-mini", "--quick", "--set", "dataset=cifar10",
                          papers: CLITests.root.appendingPathComponent("Papers").path, env: ["REPRO_DATA": data.path])
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr)
        let line = oneLine(o, startingWith: "repro: ")
        XCTAssertTrue(line.hasPrefix("repro: data file not found: \(data.path)/cifar10/"), line)
        XCTAssertTrue(line.hasSuffix("; get it with `repro data fetch cifar10`"), line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("resnet-mini").path),
                       "a run whose task cannot be built leaves no run folder")
    }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
