import XCTest
import Foundation
import ReproKit

/// The open training lifecycle on small in-process tasks (`ToyTask` of TrainerTests, wrapped):
/// gradient accumulation, parameter groups and frozen parameters, evaluation points and
/// drawings during training, task state in checkpoints and the refusal of one that does not
/// fit. The GAN-shaped task with two optimizers runs through the real binary in
/// `CLITests.testGANResumeMatchesUninterruptedRun`.
final class LifecycleTests: XCTestCase {
    private func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("repro-lifecycle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
    private let meta = CheckpointMetadata(plugin: "toy", pluginVersion: "1", experiment: "toy", configJSON: "{}")

    /// Two micro-batches of 8, each loss weighted ½, give the step of one batch of 16 (the
    /// same 16 examples: the sampler's permutation does not depend on the batch size).
    func testAccumulatingTwoHalfBatchesEqualsOneFullBatch() throws {
        let full = ToyTask(seed: 2, batchSize: 16, dropout: 0)
        let accumulated = ToyTask(seed: 2, batchSize: 8, accumulation: 2, dropout: 0)
        let halves = ToyTask(seed: 2, batchSize: 8, dropout: 0)
        XCTAssertEqual(accumulated.plan.stepsPerEpoch, 15)
        let tf = try Trainer(task: full), ta = try Trainer(task: accumulated), th = try Trainer(task: halves)
        for t in [tf, ta, th] { XCTAssertEqual(try t.run(), .completed) }
        XCTAssertEqual(ta.step, tf.step)
        var sameAsFull = 0.0, unaccumulated = 0.0
        for ((name, f), ((_, a), (_, h))) in zip(full.model.stateDict(), zip(accumulated.model.stateDict(), halves.model.stateDict())) {
            for i in 0..<f.count {
                sameAsFull = max(sameAsFull, Double(abs(f.data[i] - a.data[i])))
                unaccumulated = max(unaccumulated, Double(abs(f.data[i] - h.data[i])))
            }
            XCTAssertEqual(f.shape, a.shape, name)
        }
        XCTAssertLessThan(sameAsFull, 1e-5, "accumulated steps drift from full-batch steps")
        XCTAssertGreaterThan(unaccumulated, 1e-2, "the comparison cannot tell batch sizes apart")
        let lossFull = tf.history.series("train", "loss").map(\.y), lossAcc = ta.history.series("train", "loss").map(\.y)
        XCTAssertEqual(lossFull.count, lossAcc.count)
        for (x, y) in zip(lossFull, lossAcc) { XCTAssertEqual(x, y, accuracy: 1e-5) }

        // 30 micro-batches by 4: the epoch's last step takes the 2 that are left.
        let uneven = ToyTask(seed: 2, batchSize: 8, accumulation: 4, dropout: 0)
        XCTAssertEqual(uneven.plan.stepsPerEpoch, 8)
        let tu = try Trainer(task: uneven)
        XCTAssertEqual(try tu.run(), .completed)
        XCTAssertEqual(tu.step, 24)
    }

    /// A toy task whose optimizer moves `fc2` alone, at `scale` × the learning rate.
    final class GroupedTask: TrainingTask {
        let inner: ToyTask, lr: Double, scale: Float
        init(lr: Double, scale: Float) { inner = ToyTask(seed: 4, epochs: 1); self.lr = lr; self.scale = scale }
        var model: Module { inner.model }
        var plan: TrainingPlan { inner.plan }
        func trainingLoss(epoch: Int, batch: Int) throws -> StepResult { try inner.trainingLoss(epoch: epoch, batch: batch) }
        func evaluate(at point: RunPoint) throws -> [String: Double] { try inner.evaluate(at: point) }
        func makeOptimizers() throws -> [TaskOptimizer] {
            let fc2 = inner.model.namedParameters().filter { $0.0.hasPrefix("fc2.") }
            return [TaskOptimizer(spec: .sgd(momentum: 0, weightDecay: 0, nesterov: false),
                                  groups: [ParameterGroup(fc2, learningRateScale: scale)], schedule: .constant(lr))]
        }
    }

    func testParameterGroupsScaleTheLearningRateAndLeftOutParametersAreFrozen() throws {
        let scaled = GroupedTask(lr: 0.1, scale: 0.5), halfRate = GroupedTask(lr: 0.05, scale: 1)
        let fc1Before = scaled.model.stateDict().filter { $0.0.hasPrefix("fc1.") }.map { $0.1.copy() }
        let fc2Before = scaled.model.stateDict().filter { $0.0.hasPrefix("fc2.") }.map { $0.1.copy() }
        try Trainer(task: scaled).run()
        try Trainer(task: halfRate).run()
        let after = scaled.model.stateDict()
        for ((name, t), before) in zip(after.filter { $0.0.hasPrefix("fc1.") }, fc1Before) {
            XCTAssertEqual(t.scalars, before.scalars, "\(name) is frozen but moved")
            XCTAssertFalse(t.requiresGrad, "\(name) is frozen but still computes a gradient")
        }
        for ((name, t), before) in zip(after.filter { $0.0.hasPrefix("fc2.") }, fc2Before) {
            XCTAssertNotEqual(t.scalars, before.scalars, "\(name) never moved")
        }
        // lr 0.1 × scale 0.5 is lr 0.05, bit for bit.
        for ((name, a), (_, b)) in zip(after, halfRate.model.stateDict()) {
            XCTAssertEqual(a.scalars, b.scalars, name)
        }
    }

    /// Records where it was evaluated and drawn, and writes a file per drawing.
    final class PointsTask: TrainingTask {
        let inner = ToyTask(seed: 1)
        var evaluated: [RunPoint] = [], drawn: [RunPoint] = []
        let evalEvery: Int?, evalEveryEpochs: Int
        init(evalEvery: Int? = 10, evalEveryEpochs: Int = 1) {
            self.evalEvery = evalEvery; self.evalEveryEpochs = evalEveryEpochs
        }
        var model: Module { inner.model }
        var plan: TrainingPlan {
            var p = inner.plan
            p.evalEvery = evalEvery; p.evalEveryEpochs = evalEveryEpochs; p.drawEvery = 20
            return p
        }
        func trainingLoss(epoch: Int, batch: Int) throws -> StepResult { try inner.trainingLoss(epoch: epoch, batch: batch) }
        func evaluate(at point: RunPoint) throws -> [String: Double] {
            XCTAssertFalse(model.isTraining)
            evaluated.append(point)
            return try inner.evaluate(at: point)
        }
        func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
            drawn.append(point)
            let name = point.fileName("probe", ext: "txt")
            try "\(point.step)".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return [name]
        }
    }

    func testEvaluationPointsAndDrawingsDuringTraining() throws {
        let dir = try tempDir()
        let task = PointsTask()
        let trainer = try Trainer(task: task, callbacks: [DrawingWriter(folder: dir)])
        XCTAssertEqual(try trainer.run(), .completed)
        // 15 steps an epoch: every 10th step, and each epoch's end; the last one is final.
        XCTAssertEqual(task.evaluated.map(\.step), [10, 15, 20, 30, 40, 45])
        XCTAssertEqual(task.evaluated.map(\.isFinal), [false, false, false, false, false, true])
        XCTAssertEqual(task.evaluated.map(\.totalSteps), Array(repeating: 45, count: 6))
        XCTAssertEqual(try trainer.draw(in: dir, final: true), ["probe.txt"])
        XCTAssertEqual(task.drawn.map(\.step), [20, 40, 45])
        XCTAssertEqual(DrawingWriter.stepDrawings(in: dir), ["probe-step000020.txt", "probe-step000040.txt"])
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("probe-step000040.txt"), encoding: .utf8), "40")
        XCTAssertFalse(DrawingWriter.isStepDrawing("probe.txt"))
        XCTAssertFalse(DrawingWriter.isStepDrawing("a-step12.png"))

        let mid = RunPoint(step: 20, epoch: 1, totalSteps: 45, isFinal: false)
        XCTAssertTrue(mid.every(10)); XCTAssertFalse(mid.every(15))
        XCTAssertFalse(mid.every(nil)); XCTAssertFalse(mid.every(0))
        XCTAssertTrue(RunPoint(step: 45, epoch: 2, totalSteps: 45, isFinal: true).every(nil))
    }

    /// Evaluating every second epoch of three: after epoch 2 and, always, after the last.
    func testEvaluationEveryFewEpochsStillEndsWithTheFinalOne() throws {
        let task = PointsTask(evalEvery: nil, evalEveryEpochs: 2)
        XCTAssertEqual(try Trainer(task: task).run(), .completed)
        XCTAssertEqual(task.evaluated.map(\.step), [30, 45])
        XCTAssertEqual(task.evaluated.map(\.isFinal), [false, true])
        // Step evaluations on an epoch's last step are kept when that epoch does not evaluate
        // at its end (15 steps an epoch: step 15 is epoch 0's last, step 30 epoch 1's).
        let both = PointsTask(evalEvery: 15, evalEveryEpochs: 2)
        XCTAssertEqual(try Trainer(task: both).run(), .completed)
        XCTAssertEqual(both.evaluated.map(\.step), [15, 30, 45])
    }

    /// State beyond the model: a running average of fc2's weight folded in after every step,
    /// a counter, and a random stream drawn from after every step.
    final class StatefulTask: TrainingTask {
        let inner: ToyTask
        let average: Tensor
        var updates = 0
        var stream: RNG
        var stateName = "average"
        init(seed: UInt64) {
            inner = ToyTask(seed: seed)
            average = Tensor.zeros([3, 16])
            stream = RNG(seed: seed).split(99)
        }
        var model: Module { inner.model }
        var plan: TrainingPlan { inner.plan }
        func trainingLoss(epoch: Int, batch: Int) throws -> StepResult { try inner.trainingLoss(epoch: epoch, batch: batch) }
        func evaluate(at point: RunPoint) throws -> [String: Double] { try inner.evaluate(at: point) }
        func afterOptimizerStep(step: Int) throws {
            let weight = inner.model.namedParameters().first { $0.0 == "fc2.weight" }!.1
            let noise = stream.uniform()
            for i in 0..<average.count { average.data[i] = 0.9 * average.data[i] + 0.1 * weight.data[i] + 1e-3 * noise }
            updates += 1
        }
        func saveState() -> TaskState {
            TaskState(tensors: [stateName: average], strings: ["note": "updates \(updates)"],
                      integers: ["updates": updates], rng: ["stream": stream])
        }
        func loadState(_ state: TaskState) throws {
            average.assign(state.tensors[stateName]!)
            updates = state.integers["updates"]!
            stream = state.rng["stream"]!
            XCTAssertEqual(state.strings["note"], "updates \(updates)")
        }
    }

    func testTaskStateResumesAsIfNeverStopped() throws {
        let full = StatefulTask(seed: 3)
        try Trainer(task: full).run()

        let dir = try tempDir()
        let first = StatefulTask(seed: 3)
        let writer = CheckpointWriter(folder: dir, metadata: meta)
        defer { Interrupt.uninstall() }
        XCTAssertEqual(try Trainer(task: first, callbacks: [StopAt(step: 20), writer]).run(), .interrupted(step: 20))
        Interrupt.uninstall()

        let saved = try Checkpoint.read(from: writer.latest)
        XCTAssertEqual(saved.task.integers, ["updates": 20])
        XCTAssertNotNil(saved.rng["task.stream"])
        let second = StatefulTask(seed: 3)
        let t2 = try Trainer(task: second)
        try t2.restore(from: saved)
        XCTAssertEqual(second.updates, 20)
        XCTAssertEqual(try t2.run(), .completed)
        XCTAssertEqual(second.updates, 45)
        XCTAssertEqual(second.average.scalars, full.average.scalars)
        XCTAssertEqual(second.stream, full.stream)
        for ((name, a), (_, b)) in zip(full.model.stateDict(), second.model.stateDict()) {
            XCTAssertEqual(a.scalars, b.scalars, name)
        }

        // A task whose state has other names refuses the checkpoint, naming both sides.
        let renamed = StatefulTask(seed: 3)
        renamed.stateName = "ema"
        XCTAssertThrowsError(try Trainer(task: renamed).restore(from: saved)) { error in
            XCTAssertEqual(error as? CheckpointError,
                           .mismatch(missing: ["task/tensors/ema"], unexpected: ["task/tensors/average"], wrongShape: []))
        }
        // Progress outside the plan (a damaged or foreign file) is refused before anything loads;
        // so is a step of another epoch than the one saved (the loop's range trapped on it).
        for (step, epoch) in [(-3, 1), (0, 2), (31, 1)] {
            var damaged = saved
            damaged.step = step; damaged.epoch = epoch
            XCTAssertThrowsError(try Trainer(task: StatefulTask(seed: 3)).restore(from: damaged, path: "x.h5")) { error in
                XCTAssertTrue("\(error)".hasPrefix("x.h5 is a damaged repro checkpoint: its progress (step \(step) in epoch \(epoch))"), "\(error)")
            }
        }
    }
}

/// A config struct `--set` cannot express is reported when the plugin loads and refused
/// when the task is built, naming the field, instead of silently giving empty defaults.
final class TaskKindConfigTests: XCTestCase {
    struct Dated: Codable { var epochs = 1; var when = Date(timeIntervalSince1970: 0) }

    func testAConfigWithAnUnsupportedFieldIsRefusedByName() {
        let kind = TaskKind(name: "dated", summary: "", defaults: Dated()) { _, _ in ToyTask(seed: 0) }
        let problem = kind.configProblem?.description ?? ""
        XCTAssertTrue(problem.contains("'when'"), problem)
        XCTAssertThrowsError(try kind.make(ConfigDict(), context: RunContext(seed: 0))) { error in
            XCTAssertEqual("\(error)", problem)
        }
    }
}
