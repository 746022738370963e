import XCTest
import Foundation
import ReproKit

/// The open training lifecycle through the real binary and the real dlopen of the SelfTest
/// plugin's `gan` task (Plugins/SelfTest/TinyGAN.swift): two optimizers, its own step, an
/// EMA after-step hook, task state in the checkpoint, drawings during training.
extension CLITests {
    /// Ctrl-C mid-run, then `repro resume`: the final checkpoint equals that of a run never
    /// interrupted in every dataset — both networks, both optimizers' state, the EMA weights,
    /// the task's noise stream and counter, the discriminator's dropout stream.
    func testGANResumeMatchesUninterruptedRun() throws {
        let o = try interruptMidTraining(["run", "selftest-gan", "--seed", "3", "--set", "slow_ms=10"],
                                         trainingIn: artifacts.appendingPathComponent("selftest-gan"))
        XCTAssertEqual(o.status, 130, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let stopped = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        XCTAssertGreaterThan(stopped.step, 0); XCTAssertLessThan(stopped.step, 300)
        XCTAssertEqual(stopped.task.integers["ema_updates"], stopped.step)
        let resumed = try repro("resume", folder.path)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)

        let reference = try repro("run", "selftest-gan", "--seed", "3")
        XCTAssertEqual(reference.status, 0, reference.stdout + reference.stderr)
        let a = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        let b = try Checkpoint.read(from: RunFolder(url: XCTUnwrap(reference.runFolder)).checkpoint)
        XCTAssertEqual(a.step, 300); XCTAssertEqual(b.step, 300)
        func same(_ x: [String: Tensor], _ y: [String: Tensor], _ what: String) {
            XCTAssertEqual(x.keys.sorted(), y.keys.sorted(), what)
            for (name, t) in x { XCTAssertEqual(t.scalars, y[name]?.scalars, "\(what) \(name) differs after resume") }
        }
        same(Dictionary(uniqueKeysWithValues: a.tensors), Dictionary(uniqueKeysWithValues: b.tensors), "model")
        same(a.optimizerTensors, b.optimizerTensors, "optimizer")
        same(a.task.tensors, b.task.tensors, "task")
        XCTAssertEqual(a.optimizerScalars, b.optimizerScalars)
        XCTAssertEqual(a.rng, b.rng)
        XCTAssertEqual(a.task.integers, ["ema_updates": 300])
        XCTAssertEqual(a.metrics, b.metrics)
        // Two optimizers, told apart by name; the EMA has one tensor per generator parameter.
        XCTAssertTrue(a.optimizerTensors.keys.contains("generator.exp_avg.fc1.weight"), "\(a.optimizerTensors.keys.sorted())")
        XCTAssertTrue(a.optimizerTensors.keys.contains("discriminator.exp_avg.fc1.weight"))
        XCTAssertEqual(a.task.tensors.keys.sorted(), ["ema.fc1.bias", "ema.fc1.weight", "ema.fc2.bias", "ema.fc2.weight"])
        XCTAssertEqual(Set(a.rng.keys), ["model.discriminator.drop.rng", "model.generator.drop.rng", "task.noise"])

        // Drawings during training (every 100 steps) and at the end, all in the report.
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.drawings, ["samples.png", "samples-step000100.png", "samples-step000200.png"])
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("![samples.png](samples.png)"), report)
        XCTAssertTrue(report.contains("- [samples-step000200.png](samples-step000200.png)"), report)
        for name in summary.drawings {
            let png = try PNGImage(contentsOfFile: folder.appendingPathComponent(name).path)
            XCTAssertGreaterThan(png.width, 100, name)
        }
        // The expensive metric only at the end (coverage_every = 0), the cheap one every epoch.
        let evals = try MetricsLogWriter.read(RunFolder(url: folder).metrics).records.filter { $0.split == "eval" }
        XCTAssertEqual(evals.count, 30)
        XCTAssertEqual(evals.filter { $0.metrics["ring_coverage"] != nil }.map(\.step), [300])
        XCTAssertTrue(evals.allSatisfy { $0.metrics["radius_error"] != nil })
    }
}

extension CLITests {
    /// A checkpoint whose weights hold NaN is refused in one line before anything changes:
    /// the metrics log keeps every line (it used to be emptied before the checkpoint was
    /// checked), and temp files of killed writes (a checkpoint, the log, a drawing) are
    /// cleaned up by the resume that does go ahead.
    func testResumeRefusesNaNWeightsAndKeepsTheLog() throws {
        let o = try interruptMidTraining(["run", "selftest-mini", "--seed", "2", "--set", "slow_ms=15"],
                                         trainingIn: artifacts.appendingPathComponent("selftest-mini"))
        XCTAssertEqual(o.status, 130, o.stdout + o.stderr)
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let run = RunFolder(url: folder)
        // The task's data sets, as they describe themselves, in config.json and the report.
        XCTAssertEqual(try run.readJSON(RunRecord.self, from: "config.json").data?.map(\.description),
                       ["rings-2d train: 640 examples, points in [-1, 1]², 3 classes",
                        "rings-2d test: 400 examples, points in [-1, 1]², 3 classes"])
        let log = try Data(contentsOf: run.metrics)
        let good = try Checkpoint.read(from: run.checkpoint)
        var poisoned = good
        let (name, weight) = poisoned.tensors[0]
        poisoned.tensors[0] = (name, Tensor(weight.scalars.enumerated().map { $0.offset == 1 ? .nan : $0.element }, shape: weight.shape))
        try Checkpoint.write(poisoned, to: run.checkpoint)

        let refused = try repro("resume", folder.path)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.errorLines, ["repro: \(run.checkpoint.path) is a damaged repro checkpoint: \(name) holds NaN or infinite values; re-run or pick another checkpoint"])
        XCTAssertEqual(try Data(contentsOf: run.metrics), log, "a refused resume changed the metrics log")

        try Checkpoint.write(good, to: run.checkpoint)
        // Temp files of killed writes (no process 999999 here) go; a live writer's stays.
        let leftovers = ["checkpoint.h5.tmp-999999", "metrics.jsonl.tmp-999999", ".regions.png.tmp-999999-42"]
            .map { folder.appendingPathComponent($0) }
        let live = folder.appendingPathComponent("best.h5.tmp-\(getpid())")
        for file in leftovers + [live] { try Data([1, 2, 3]).write(to: file) }
        let resumed = try repro("resume", folder.path)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        for file in leftovers {
            XCTAssertFalse(FileManager.default.fileExists(atPath: file.path), "the leftover \(file.lastPathComponent) stayed")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "a live process's temp file was removed")
        let lines = try MetricsLogWriter.read(run.metrics).records
        XCTAssertEqual(lines.filter { $0.split == "train" }.last?.step, 240)
        XCTAssertFalse(resumed.stdout.contains("ETA 1"), "the progress line after a resume: \(resumed.stdout)")
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("**Data:** rings-2d train: 640 examples"), report)
    }
}

extension CLITests {
    /// The GAN's config has a nested struct (`adam`) and an enum (`loss`): `info` lists them
    /// as keys with their defaults, `--set` reaches them, a bad value names the key.
    func testNestedAndEnumConfigThroughTheCommandLine() throws {
        let info = try repro("info", "selftest-gan")
        XCTAssertEqual(info.status, 0, info.stderr)
        for line in ["adam.beta1", "adam.beta2", "loss"] { XCTAssertTrue(info.stdout.contains(line), info.stdout) }

        let run = try repro("run", "selftest-gan", "--quick", "--set", "adam.beta1=0.6", "--set", "loss=lsgan")
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let record = try RunFolder(url: XCTUnwrap(run.runFolder)).readJSON(RunRecord.self, from: "config.json")
        XCTAssertEqual(record.config["adam.beta1"], "0.6")
        XCTAssertEqual(record.config["loss"], "lsgan")

        let bad = try repro("run", "selftest-gan", "--quick", "--set", "loss=wgan")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.errorLines.count, 1, bad.stderr)
        XCTAssertTrue(bad.errorLines.first?.hasPrefix("repro: config key 'loss'") == true, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("\"bce\"") && bad.stderr.contains("\"lsgan\""), bad.stderr)
        let runs = try FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("selftest-gan").path)
        XCTAssertEqual(runs.count, 1, "a refused --set left a run folder: \(runs)")
    }
}

extension CLITests {
    /// `--plugins` naming a folder that is not there says so in one warning line (it used to
    /// say nothing, and the experiments looked merely unbuilt); the plugins beside the binary
    /// still load.
    func testMissingPluginsFolderIsNamed() throws {
        let missing = artifacts.appendingPathComponent("no-such-plugins").path
        let o = try Running(["list", "--plugins", missing, "--papers", CLITests.fixturePapers, "--artifacts", artifacts.path],
                            papers: CLITests.fixturePapers, artifacts: artifacts, env: [:], locations: false).wait()
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.errorLines.contains("warning: --plugins \(missing): no such folder; point it at the folder holding the plugin libraries (lib*.so)"), o.stderr)
        XCTAssertTrue(o.stdout.contains("selftest 1.0"), o.stdout)
    }
}
