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

    func testResumeRefusesNaNInTheOptimizersScalars() throws {
        let run = try quickRun("selftest-mini")
        var bad = try Checkpoint.read(from: run.checkpoint)
        XCTAssertNotNil(bad.optimizerScalars["step"])
        bad.optimizerScalars["step"] = .nan   // Adam's step count: trapped converting to Int
        try Checkpoint.write(bad, to: run.checkpoint)
        try assertRefused(run, "\(run.checkpoint.path) is a damaged repro checkpoint: optimizer/@step is NaN or infinite; "
            + "re-run or pick another checkpoint")
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
