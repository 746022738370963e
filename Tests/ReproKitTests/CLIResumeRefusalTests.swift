import XCTest
import Foundation
import ReproKit

/// `repro resume` on a checkpoint it must refuse, through the real binary: one line naming
/// the checkpoint and what is wrong, exit 1, and the run folder exactly as it was (before,
/// a progress that the plan never reaches trapped in the training loop after the metrics
/// log had been cut back, emptying it; another experiment's checkpoint that fit the model
/// resumed silently).
extension CLITests {
    /// A finished quick run of selftest-mini (120 steps, 6 epochs of 20): its folder.
    private func quickRun(_ args: String...) throws -> RunFolder {
        let o = try Running(["run"] + args + ["--quick"], papers: CLITests.fixturePapers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        return RunFolder(url: try XCTUnwrap(o.runFolder, o.stdout))
    }

    /// Every file of the folder with its bytes.
    private func snapshot(_ run: RunFolder) throws -> [String: Data] {
        try FileManager.default.contentsOfDirectory(atPath: run.url.path).reduce(into: [:]) {
            $0[$1] = try Data(contentsOf: run.file($1))
        }
    }

    /// `repro resume` refuses the folder in exactly `message` and changes none of its files.
    private func assertRefused(_ run: RunFolder, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot(run)
        let o = try repro("resume", run.url.path)
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr, file: file, line: line)
        XCTAssertEqual(o.errorLines, ["repro: " + message], file: file, line: line)
        XCTAssertFalse(o.stdout.contains("resuming"), o.stdout, file: file, line: line)
        XCTAssertEqual(try snapshot(run), before, "a refused resume changed the run folder", file: file, line: line)
    }

    func testResumeRefusesAProgressThePlanNeverReaches() throws {
        let run = try quickRun("selftest-mini")
        let good = try Checkpoint.read(from: run.checkpoint)
        XCTAssertEqual(try MetricsLogWriter.read(run.metrics).records.count, 30)
        // A killed checkpoint write's temp file stays until a resume is accepted.
        try Data([1, 2, 3]).write(to: run.file("checkpoint.h5.tmp-999999"))
        // Negative, absurd, and steps of another epoch than the one recorded (each trapped or
        // emptied the log before, the last two only after cutting it).
        for (step, epoch) in [(-5, 6), (1_000_000_000_000_000, 6), (Int.max, 6), (100, 0), (0, 5), (60, -3)] {
            var bad = good
            bad.step = step; bad.epoch = epoch
            try Checkpoint.write(bad, to: run.checkpoint)
            try assertRefused(run, "\(run.checkpoint.path) is a damaged repro checkpoint: its progress (step \(step) in "
                + "epoch \(epoch)) is not a point of this run's plan (6 epochs of 20 steps); re-run or pick another checkpoint")
        }
    }

    /// Adam's step count of NaN or 1e300 trapped converting to Int, -7 or 2.5 trained on with a
    /// meaningless bias correction; a NaN metric failed the summary after the whole resumed run.
    func testResumeRefusesScalarsTheOptimizerOrTheSummaryCannotTake() throws {
        let run = try quickRun("selftest-mini")
        let good = try Checkpoint.read(from: run.checkpoint)
        XCTAssertNotNil(good.optimizerScalars["step"])
        XCTAssertNotNil(good.metrics["test_accuracy"])
        let damaged = "\(run.checkpoint.path) is a damaged repro checkpoint: "
        let cases: [(String, Double, String)] = [
            ("step", .nan, "optimizer/@step is NaN or infinite"),
            ("step", 1e300, "optimizer state 'step' is 1e+300, not a whole number ≥ 0"),
            ("step", -7, "optimizer state 'step' is -7.0, not a whole number ≥ 0"),
            ("step", 2.5, "optimizer state 'step' is 2.5, not a whole number ≥ 0"),
            ("test_accuracy", .infinity, "progress/@test_accuracy is NaN or infinite"),
        ]
        for (name, value, problem) in cases {
            var bad = good
            if name == "step" { bad.optimizerScalars[name] = value } else { bad.metrics[name] = value }
            try Checkpoint.write(bad, to: run.checkpoint)
            try assertRefused(run, damaged + problem + "; re-run or pick another checkpoint")
        }
    }

    /// selftest-claims' wide variant is the very model of selftest-mini: its checkpoint fits
    /// and used to resume as if it were the run's own.
    func testResumeRefusesAnotherExperimentsCheckpoint() throws {
        let run = try quickRun("selftest-mini")
        let other = try quickRun("selftest-claims", "--variant", "wide")
        try FileManager.default.removeItem(at: run.checkpoint)
        try FileManager.default.copyItem(at: other.checkpoint, to: run.checkpoint)
        try assertRefused(run, "\(run.checkpoint.path) was written by experiment 'selftest-claims' of plugin 'selftest', "
            + "not by this run of 'selftest-mini'; put this run's own checkpoint back, or resume the run it belongs to")
    }
}
