import XCTest
import Foundation
import ReproKit

/// kill -9 of the real `repro` while it writes checkpoint.h5, then `repro resume`: the run
/// completes, its checkpoint reads (here and in h5py), no temp file is left, and metrics.jsonl
/// is exactly the log of a run never killed.
extension CLITests {
    /// selftest-mini's quick run (6 epochs of 20 steps) with 1024-unit hidden layers: a 12 MB
    /// checkpoint (weights and Adam's two moments), whose write and fsync take long enough to
    /// be hit.
    private static let bigQuick = ["selftest-mini", "--quick", "--seed", "3", "--threads", "1", "--set", "hidden=1024"]

    /// Waits until `running` writes checkpoint.h5 over an existing one (its temp file
    /// `checkpoint.h5.tmp-PID` is there) and kills it with SIGKILL. True if the kill landed
    /// mid-write (the temp file outlived the process), false if just after the rename, nil if
    /// the process ended by itself.
    private func killDuringCheckpointWrite(_ running: Running, in folder: () -> URL?) -> Bool? {
        let temp = "checkpoint.h5.tmp-\(running.process.processIdentifier)"
        let deadline = Date().addingTimeInterval(120)
        while running.process.isRunning && Date() < deadline {
            guard let run = folder(), let names = try? FileManager.default.contentsOfDirectory(atPath: run.path),
                  names.contains("checkpoint.h5"), names.contains(temp) else { usleep(300); continue }
            kill(running.process.processIdentifier, SIGKILL)
            let o = running.wait()
            XCTAssertEqual(o.status, 128 + SIGKILL, o.stdout + o.stderr)
            return FileManager.default.fileExists(atPath: run.appendingPathComponent(temp).path)
        }
        return nil
    }

    func testKillDuringACheckpointWriteThenResumeCompletesWithTheUninterruptedLog() throws {
        let experiment = artifacts.appendingPathComponent("selftest-mini")
        func runFolder() -> URL? {
            (try? FileManager.default.contentsOfDirectory(atPath: experiment.path).first).flatMap { $0 }
                .map { experiment.appendingPathComponent($0) }
        }
        // A kill that lands just after a rename is resumed and tried again at the next epoch's
        // checkpoint.
        var killedMidWrite = false
        for attempt in 0..<5 {
            let args = attempt == 0 ? ["run"] + Self.bigQuick : ["resume", try XCTUnwrap(runFolder()).path]
            let running = try Running(args, papers: CLITests.fixturePapers, artifacts: artifacts, env: [:])
            guard let midWrite = killDuringCheckpointWrite(running, in: runFolder) else { break }
            // What the killed process left reads, before anything resumes it: the last epoch's.
            let left = try Checkpoint.read(from: XCTUnwrap(runFolder()).appendingPathComponent("checkpoint.h5"))
            XCTAssertEqual(left.step % 20, 0, "not a checkpoint of an epoch's end: step \(left.step)")
            if midWrite { killedMidWrite = true; break }
        }
        XCTAssertTrue(killedMidWrite, "no kill landed inside a checkpoint write")
        let folder = try XCTUnwrap(runFolder())

        let resumed = try repro("resume", folder.path)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\nPASS\n"), resumed.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.outcome, "completed"); XCTAssertEqual(summary.steps, 120)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "temp files left: \(names)")
        let final = try Checkpoint.read(from: folder.appendingPathComponent("checkpoint.h5"))
        XCTAssertEqual(final.step, 120)
        XCTAssertEqual(try checkWithH5py(folder.appendingPathComponent("checkpoint.h5")), 0)

        // The log: every record once, and exactly those of a run never killed.
        let reference = try repro(["run"] + Self.bigQuick)
        XCTAssertEqual(reference.status, 0, reference.stdout + reference.stderr)
        let log = try MetricsLogWriter.read(RunFolder(url: folder).metrics).records
        XCTAssertEqual(log, try MetricsLogWriter.read(RunFolder(url: XCTUnwrap(reference.runFolder)).metrics).records)
        XCTAssertEqual(log.filter { $0.split == "eval" }.map(\.step), [20, 40, 60, 80, 100, 120])
    }

    /// A checkpoint whose HDF5 metadata is damaged so that Debian 12's libhdf5 dies of SIGSEGV
    /// reading it (found by FuzzTests, kept in Tests/Fixtures): `repro resume` reads it in a
    /// child `repro check-checkpoint` first, says so in one line, exits 1 and changes nothing.
    func testResumeOfACheckpointThatCrashesLibHDF5IsOneLine() throws {
        let fixture = CLITests.root.appendingPathComponent("Tests/Fixtures/checkpoint-that-crashes-libhdf5.h5")
        let direct = try Running(["check-checkpoint", fixture.path], papers: CLITests.fixturePapers, artifacts: artifacts,
                                 env: ["SWIFT_BACKTRACE": "enable=no"], locations: false).wait()
        try XCTSkipIf(direct.status == 0, "this libhdf5 no longer crashes on the fixture: the test has nothing to show")
        XCTAssertEqual(direct.status, 128 + SIGSEGV, direct.stderr)

        let run = try repro(["run", "selftest-mini", "--quick", "--threads", "1"])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let folder = try XCTUnwrap(run.runFolder)
        let checkpoint = folder.appendingPathComponent("checkpoint.h5")
        try FileManager.default.removeItem(at: checkpoint)
        try FileManager.default.copyItem(at: fixture, to: checkpoint)
        func snapshot() throws -> [String: Data] {
            try Dictionary(uniqueKeysWithValues: FileManager.default.contentsOfDirectory(atPath: folder.path).map {
                ($0, try Data(contentsOf: folder.appendingPathComponent($0)))
            })
        }
        let before = try snapshot()
        let o = try repro(["resume", folder.path])
        XCTAssertEqual(o.status, 1, o.stdout + o.stderr)
        XCTAssertEqual(o.errorLines.filter { $0.hasPrefix("repro:") }, [
            "repro: \(checkpoint.path) is not a readable HDF5 file (truncated or corrupt?): reading it crashed the HDF5 "
                + "library (killed by SIGSEGV); re-run or pick another checkpoint"], o.stderr)
        XCTAssertEqual(try snapshot(), before, "a refused resume changed the run folder")
    }

    /// `repro` with arguments as an array.
    private func repro(_ args: [String]) throws -> Output {
        try Running(args, papers: CLITests.fixturePapers, artifacts: artifacts, env: [:]).wait()
    }

    /// The exit status of scripts/check_checkpoint.py (h5py) on `url`.
    private func checkWithH5py(_ url: URL) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [CLITests.root.appendingPathComponent("scripts/check_checkpoint.py").path, url.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
