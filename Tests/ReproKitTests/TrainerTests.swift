import XCTest
import Foundation
import ReproKit

/// A small classification task on synthetic data: two Gaussian blobs per class in 2-D,
/// an MLP with dropout (so random streams matter for resuming).
final class ToyTask: TrainingTask {
    final class Net: Module {
        let fc1: Linear, drop: Dropout, fc2: Linear
        init(dropout: Float, rng: inout RNG) {
            fc1 = Linear(2, 16, rng: &rng); drop = Dropout(dropout, rng: &rng); fc2 = Linear(16, 3, rng: &rng)
            super.init()
        }
        override func callAsFunction(_ x: Tensor) -> Tensor { fc2(drop(fc1(x).relu())) }
    }

    let model: Module
    let plan: TrainingPlan
    let x: Tensor, y: [Int]
    let sampler: EpochSampler
    var poisonAtStep: Int?
    private var calls = 0

    /// `batchSize` × `accumulation` examples per optimizer step.
    init(seed: UInt64, epochs: Int = 3, lr: Double = 0.1, batchSize: Int = 16, accumulation: Int = 1,
         dropout: Float = 0.2) {
        var rng = RNG(seed: seed)
        let n = 240
        var xs: [Float] = [], ys: [Int] = []
        var data = RNG(seed: 1234)
        for i in 0..<n {
            let c = i % 3
            let centre: (Float, Float) = [(0, 2), (2, -1), (-2, -1)][c]
            xs += [centre.0 + 0.6 * (data.uniform() - 0.5) * 2, centre.1 + 0.6 * (data.uniform() - 0.5) * 2]
            ys.append(c)
        }
        x = Tensor(xs, shape: [n, 2]); y = ys
        model = Net(dropout: dropout, rng: &rng)
        sampler = try! EpochSampler(count: n, batchSize: batchSize, rng: rng.split(7))
        var plan = TrainingPlan(epochs: epochs, batchesPerEpoch: sampler.batches,
                                optimizer: .sgd(momentum: 0.9, weightDecay: 1e-4, nesterov: false),
                                schedule: .constant(lr), accumulation: accumulation, logEvery: 5,
                                bestMetric: "accuracy")
        plan.schedule = .cosine(lr, total: plan.totalSteps, minimum: 0)
        self.plan = plan
    }

    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        calls += 1
        let idx = sampler.indices(epoch: epoch, batch: batch)
        let xb = Tensor(idx.flatMap { [x[$0, 0], x[$0, 1]] }, shape: [idx.count, 2])
        var loss = crossEntropy(model(xb), targets: idx.map { y[$0] })
        if let p = poisonAtStep, calls > p { loss = loss * Float.nan }
        return StepResult(loss: loss, examples: idx.count)
    }

    func evaluate(at point: RunPoint) throws -> [String: Double] {
        let logits = model(x)
        let correct = zip(logits.argmax(axis: -1), y).filter { $0 == $1 }.count
        return ["accuracy": Double(correct) / Double(y.count),
                "loss": Double(crossEntropy(logits, targets: y).item())]
    }
}

final class TrainerTests: XCTestCase {
    private func tempDir() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("repro-trainer-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
    private let meta = CheckpointMetadata(plugin: "toy", pluginVersion: "1", experiment: "toy", configJSON: "{}")

    func testTrainsAndLogsAndCheckpoints() throws {
        let dir = tempDir()
        let task = ToyTask(seed: 0)
        var lines: [String] = []
        let trainer = try Trainer(task: task, callbacks: [
            ProgressPrinter(label: "toy", isTerminal: false) { lines.append($0) },
            MetricsLogWriter(url: dir.appendingPathComponent("metrics.jsonl")),
            CheckpointWriter(folder: dir, metadata: meta),
        ])
        XCTAssertEqual(try trainer.run(), .completed)
        XCTAssertEqual(trainer.step, 45)
        XCTAssertGreaterThan(trainer.lastEval["accuracy"]!, 0.95)
        let log = try MetricsLogWriter.read(dir.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(log.records, trainer.history.records)
        XCTAssertEqual(log.records.filter { $0.split == "eval" }.count, 3)
        XCTAssertTrue(log.records.contains { $0.split == "train" && $0.metrics["lr"] != nil })
        let saved = try Checkpoint.read(from: dir.appendingPathComponent("checkpoint.h5"))
        XCTAssertEqual(saved.step, 45)
        XCTAssertEqual(saved.epoch, 3)
        XCTAssertEqual(saved.rng.keys.sorted(), ["model.drop.rng"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("best.h5").path))
        XCTAssertTrue(lines.contains { $0.contains("eval @ step 45") }, lines.joined())
    }

    /// Stop after 20 steps (mid-epoch), resume from the checkpoint into a fresh task: the
    /// final parameters equal those of an uninterrupted run, bit for bit.
    func testInterruptedAndResumedRunMatchesUninterruptedBitForBit() throws {
        let full = ToyTask(seed: 3)
        try Trainer(task: full).run()

        let dir = tempDir()
        let first = ToyTask(seed: 3)
        let stopper = StopAt(step: 20)
        let writer = CheckpointWriter(folder: dir, metadata: meta)
        let t1 = try Trainer(task: first, callbacks: [stopper, writer])
        defer { Interrupt.uninstall() }
        let outcome = try t1.run()
        XCTAssertEqual(outcome, .interrupted(step: 20))

        Interrupt.uninstall()
        let second = ToyTask(seed: 3)
        let t2 = try Trainer(task: second)
        try t2.restore(from: try Checkpoint.read(from: writer.latest))
        XCTAssertEqual(t2.step, 20)
        XCTAssertEqual(try t2.run(), .completed)
        for ((n1, a), (_, b)) in zip(full.model.stateDict(), second.model.stateDict()) {
            XCTAssertEqual(a.scalars, b.scalars, "\(n1) differs after resume")
        }
    }

    /// Ctrl-C on the last step of an epoch: the epoch's evaluation still runs before the stop
    /// (a resume starts at the next epoch and would skip it), so interrupted + resumed logs the
    /// evaluations an uninterrupted run does; on the run's very last step it simply completes.
    func testInterruptOnAnEpochsLastStepKeepsItsEvaluation() throws {
        let full = ToyTask(seed: 4)
        let reference = try Trainer(task: full)
        try reference.run()
        let evals = reference.history.records.filter { $0.split == "eval" }.map(\.step)
        let perEpoch = full.plan.stepsPerEpoch

        let dir = tempDir()
        let writer = CheckpointWriter(folder: dir, metadata: meta)
        let t1 = try Trainer(task: ToyTask(seed: 4), callbacks: [StopAt(step: perEpoch), writer])
        defer { Interrupt.uninstall() }
        XCTAssertEqual(try t1.run(), .interrupted(step: perEpoch))
        Interrupt.uninstall()
        let t2 = try Trainer(task: ToyTask(seed: 4))
        try t2.restore(from: try Checkpoint.read(from: writer.latest))
        XCTAssertEqual(try t2.run(), .completed)
        let resumed = (t1.history.records + t2.history.records).filter { $0.split == "eval" }.map(\.step)
        XCTAssertEqual(resumed, evals)
        XCTAssertEqual(t1.history.records.filter { $0.split == "eval" }.map(\.step), [perEpoch])

        let last = try Trainer(task: ToyTask(seed: 4), callbacks: [StopAt(step: full.plan.totalSteps)])
        XCTAssertEqual(try last.run(), .completed)
        XCTAssertEqual(last.history.records.filter { $0.split == "eval" }.map(\.step), evals)
    }

    /// Ctrl-C in the middle of a log interval (records every 5 steps, 15 steps an epoch,
    /// stopped at step 17): the open interval's sums travel in the checkpoint, so the resumed
    /// run logs exactly the records of an uninterrupted one, the interval 16-20 included.
    func testTheLogIntervalAcrossAnInterruptionMatchesTheUninterruptedRun() throws {
        let full = try Trainer(task: ToyTask(seed: 6))
        try full.run()

        let dir = tempDir()
        let writer = CheckpointWriter(folder: dir, metadata: meta)
        let t1 = try Trainer(task: ToyTask(seed: 6), callbacks: [StopAt(step: 17), writer])
        defer { Interrupt.uninstall() }
        XCTAssertEqual(try t1.run(), .interrupted(step: 17))
        Interrupt.uninstall()
        let saved = try Checkpoint.read(from: writer.latest)
        XCTAssertEqual(saved.logWindowCounts, ["loss": 2, "lr": 2])
        XCTAssertEqual(Set(saved.logWindowSums.keys), ["loss", "lr"])

        let t2 = try Trainer(task: ToyTask(seed: 6))
        try t2.restore(from: saved)
        t2.restoreHistory(t1.history)
        XCTAssertEqual(try t2.run(), .completed)
        XCTAssertEqual(t2.history.records.map(\.step), full.history.records.map(\.step))
        XCTAssertEqual(t2.history.records, full.history.records)
        XCTAssertTrue(t2.history.records.contains { $0.split == "train" && $0.step == 20 })

        // A window that cannot be an open interval is a damaged checkpoint, refused in one line.
        var damaged = saved
        damaged.logWindowCounts["loss"] = 6
        XCTAssertThrowsError(try Trainer(task: ToyTask(seed: 6)).restore(from: damaged, path: "c.h5")) { error in
            XCTAssertEqual("\(error)", "c.h5 is a damaged repro checkpoint: progress/window_sums and window_counts are not the "
                + "sums and counts (1 to 5) of the same metrics; re-run or pick another checkpoint")
        }
    }

    func testNaNLossStopsAndKeepsLastGoodCheckpoint() throws {
        let dir = tempDir()
        let task = ToyTask(seed: 1)
        task.poisonAtStep = 20   // epoch 1 (15 steps per epoch) goes bad
        let writer = CheckpointWriter(folder: dir, metadata: meta)
        let trainer = try Trainer(task: task, callbacks: [writer])
        let outcome = try trainer.run()
        guard case .diverged(let step, let loss) = outcome else { return XCTFail("not diverged: \(outcome)") }
        XCTAssertEqual(step, 20); XCTAssertTrue(loss.isNaN)
        XCTAssertTrue(task.model.parameters.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        let saved = try Checkpoint.read(from: writer.latest)
        XCTAssertEqual(saved.step, 15, "the checkpoint of the last good epoch stays")
    }

    /// final_train_* average the last tenth of the logged intervals, and at least the last three.
    func testFinalTrainingMetricsAverageTheTail() {
        func history(_ accuracies: [Double]) -> MetricsHistory {
            var h = MetricsHistory()
            for (i, a) in accuracies.enumerated() {
                h.append(.init(split: "train", step: i * 10, epoch: 0, metrics: ["loss": 2 * a, "train_accuracy": a, "lr": 0.1]))
                h.append(.init(split: "eval", step: i * 10, epoch: 0, metrics: ["test_accuracy": 0.5]))
            }
            return h
        }
        let long = history((0..<40).map { Double($0) / 100 }).finalTrainingMetrics()  // last 4: 0.36…0.39
        XCTAssertEqual(long["final_train_accuracy"]!, 0.375, accuracy: 1e-12)
        XCTAssertEqual(long["final_train_error"]!, 0.625, accuracy: 1e-12)
        XCTAssertEqual(long["final_train_loss"]!, 0.75, accuracy: 1e-12)
        XCTAssertNil(long["final_train_lr"])
        XCTAssertNil(long["final_test_accuracy"])  // evaluations are not training metrics
        let short = history([0.1, 0.2, 0.6, 0.7, 0.8]).finalTrainingMetrics()  // last 3, not last 1
        XCTAssertEqual(short["final_train_accuracy"]!, 0.7, accuracy: 1e-12)
        XCTAssertEqual(history([0.4, 0.6]).finalTrainingMetrics()["final_train_accuracy"]!, 0.5, accuracy: 1e-12)
    }

    func testDeterministicForASeed() throws {
        let a = ToyTask(seed: 5), b = ToyTask(seed: 5), c = ToyTask(seed: 6)
        let ta = try Trainer(task: a), tb = try Trainer(task: b), tc = try Trainer(task: c)
        try ta.run(); try tb.run(); try tc.run()
        let la = ta.history.series("train", "loss").map(\.y)
        XCTAssertEqual(la, tb.history.series("train", "loss").map(\.y))
        XCTAssertNotEqual(la, tc.history.series("train", "loss").map(\.y))
    }
}

/// Simulates Ctrl-C after a given step.
final class StopAt: TrainerCallback {
    let step: Int
    init(step: Int) { self.step = step; Interrupt.install() }
    func stepEnd(_ t: Trainer, metrics: [String: Double]) { if t.step == step { Interrupt.simulate() } }
}
