import XCTest
import Foundation
import ReproKit

/// The AlexNet plugin through the real dlopen path: its models' parameter names, shapes and
/// the paper's init, one training step's shapes, and the quick experiments run by the `repro`
/// binary with the project's card (assertions, drawings, summary metrics).
final class AlexNetPluginTests: XCTestCase {
    static let papers = CLITests.root.appendingPathComponent("Papers").path

    private func task(_ name: String, _ overrides: [String]) throws -> TrainingTask {
        // Random images of Fashion-MNIST's shape: no data set needed to check the model.
        try BuiltPlugin.task("AlexNet", id: "alexnet", task: name, overrides: ["dataset=synthetic-28x28x1"] + overrides)
    }

    /// Mean and standard deviation of a tensor's values.
    private func moments(_ t: Tensor) -> (mean: Double, std: Double) {
        let v = t.scalars.map(Double.init)
        let m = v.reduce(0, +) / Double(v.count)
        return (m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot())
    }

    func testMiniAlexNetNamesShapesAndPaperInit() throws {
        let t = try task("classify", ["init_scheme=paper", "widths=[32, 64, 96, 96, 64]", "hidden=512"])
        let params = Dictionary(uniqueKeysWithValues: t.model.namedParameters().map { ($0.0, $0.1) })
        let shapes: [String: [Int]] = [
            "conv1.weight": [32, 1, 5, 5], "conv2.weight": [64, 32, 5, 5], "conv3.weight": [96, 64, 3, 3],
            "conv4.weight": [96, 96, 3, 3], "conv5.weight": [64, 96, 3, 3],
            // 28 → 13 → 6 → 2 after three 3×3 stride-2 poolings.
            "fc1.weight": [512, 64 * 2 * 2], "fc2.weight": [512, 512], "fc3.weight": [10, 512],
        ]
        XCTAssertEqual(Set(params.keys), Set(shapes.keys).union(shapes.keys.map { $0.replacingOccurrences(of: "weight", with: "bias") }))
        for (name, shape) in shapes {
            let w = try XCTUnwrap(params[name])
            XCTAssertEqual(w.shape, shape, name)
            // N(0, 0.01²): over ≥ 800 values the sample std is within 10% of 0.01.
            let (m, s) = moments(w)
            XCTAssertEqual(s, 0.01, accuracy: w.count >= 800 ? 0.001 : 0.003, name)
            XCTAssertEqual(m, 0, accuracy: 0.002, name)
            // Bias 1 in conv2, conv4, conv5 and the hidden FC layers; 0 elsewhere (§5).
            let layer = String(name.dropLast(".weight".count))
            let b = try XCTUnwrap(params[layer + ".bias"])
            let one = ["conv2", "conv4", "conv5", "fc1", "fc2"].contains(layer)
            XCTAssertEqual(Set(b.scalars), [one ? 1 : 0], layer)
        }
    }

    func testForwardBackwardShapesAndDropoutOnlyInTraining() throws {
        let t = try task("classify", ["init_scheme=kaiming", "batch_size=8", "widths=[8, 16, 16, 16, 8]", "hidden=32"])
        let step = try t.trainingLoss(epoch: 0, batch: 0)
        XCTAssertEqual(step.examples, 8)
        XCTAssertEqual(step.loss.shape, [])
        try step.loss.backward()
        for (name, p) in t.model.namedParameters() {
            let g = try XCTUnwrap(p.grad, name)
            XCTAssertEqual(g.shape, p.shape, name)
            XCTAssertTrue(g.scalars.contains { $0 != 0 }, "\(name) got no gradient")
        }
        // Eval mode is deterministic (dropout off); training mode is not.
        var r = RNG(seed: 1)
        let x = Tensor.randn([4, 1, 28, 28], rng: &r)
        t.model.eval()
        let a = t.model(x).scalars, b = t.model(x).scalars
        XCTAssertEqual(a.count, 40)
        XCTAssertEqual(a, b)
        t.model.train()
        XCTAssertNotEqual(t.model(x).scalars, t.model(x).scalars)

        // CIFAR-shaped input: RGB filters, and 32 → 15 → 7 → 3 after the three poolings.
        let rgb = try task("classify", ["dataset=synthetic-32x32x3", "batch_size=4", "widths=[8, 16, 16, 16, 8]", "hidden=32"])
        let params = Dictionary(uniqueKeysWithValues: rgb.model.namedParameters().map { ($0.0, $0.1.shape) })
        XCTAssertEqual(params["conv1.weight"], [8, 3, 5, 5])
        XCTAssertEqual(params["fc1.weight"], [32, 8 * 3 * 3])
        XCTAssertEqual(try rgb.trainingLoss(epoch: 0, batch: 0).examples, 4)
    }

    func testFourLayerCNNShapesAndActivation() throws {
        let relu = try task("fig1", ["activation=relu"])
        let shapes = relu.model.namedParameters().map { "\($0.0) \($0.1.shape)" }
        // Defaults: conv 16, conv 32, fc 128 on 28 → 14 → 7 maps.
        XCTAssertEqual(shapes, ["conv1.weight [16, 1, 5, 5]", "conv1.bias [16]", "conv2.weight [32, 16, 5, 5]",
                                "conv2.bias [32]", "fc1.weight [128, 1568]", "fc1.bias [128]",
                                "fc2.weight [10, 128]", "fc2.bias [10]"])
        // The paper's N(0, 0.01²) over conv2's 12800 weights; zero biases.
        let (_, s) = moments(relu.model.namedParameters()[2].1)
        XCTAssertEqual(s, 0.01, accuracy: 0.0005)
        XCTAssertEqual(Set(relu.model.namedParameters()[3].1.scalars), [0])
        // PyTorch's init from the same seed gives both nets the same weights: only f differs.
        let tanh = try task("fig1", ["activation=tanh", "init_scheme=pytorch"])
        let relu2 = try task("fig1", ["activation=relu", "init_scheme=pytorch"])
        XCTAssertEqual(tanh.model.namedParameters()[0].1.scalars, relu2.model.namedParameters()[0].1.scalars)
        var r = RNG(seed: 2)
        let x = Tensor.randn([2, 1, 28, 28], rng: &r)
        let yt = tanh.model(x).scalars, yr = relu2.model(x).scalars
        XCTAssertEqual(yt.count, 20)
        XCTAssertNotEqual(yt, yr)
    }

    /// Runs `repro run EXPERIMENT --quick` (optionally one variant) and returns its summary.
    private func runQuick(_ experiment: String, variant: String? = nil, artifacts: URL) throws -> (RunSummary, URL) {
        let args = ["run", experiment, "--quick", "--seed", "0"] + (variant.map { ["--variant", $0] } ?? [])
        let o = try CLITests.Running(args, papers: Self.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: folder.appendingPathComponent("summary.json")))
        return (summary, folder)
    }

    func testQuickExperimentsPassTheirCardAndDraw() throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-alexnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: artifacts) }

        let (mini, folder) = try runQuick("alexnet-mini", artifacts: artifacts)
        XCTAssertTrue(mini.passed, "\(mini.assertions)")
        XCTAssertEqual(mini.assertions.map(\.metric), ["test_accuracy"])
        XCTAssertNotNil(mini.metrics["generalization_gap"])
        XCTAssertEqual(mini.metrics["generalization_gap"]!,
                       mini.metrics["train_eval_accuracy"]! - mini.metrics["test_accuracy"]!, accuracy: 1e-12)
        for png in ["curves.png", "confusion.png", "predictions.png", "filters.png", "misclassified.png"] {
            let image = try PNGImage(contentsOfFile: folder.appendingPathComponent(png).path)
            XCTAssertGreaterThan(image.width * image.height, 10_000, png)
        }
        let checkpoint = try Checkpoint.read(from: folder.appendingPathComponent("checkpoint.h5"))
        XCTAssertEqual(checkpoint.metadata.plugin, "alexnet")
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "conv1.weight" && $0.1.shape.count == 4 })

        let (relu, _) = try runQuick("alexnet-relu", variant: "relu", artifacts: artifacts)
        XCTAssertEqual(relu.outcome, "completed")
        // The card's thresholds for alexnet-relu.
        for t in ["0.25", "0.2", "0.15"] {
            let steps = try XCTUnwrap(relu.metrics["steps_to_train_error_" + t], t)
            let reached = try XCTUnwrap(relu.metrics["reached_train_error_" + t], t)
            XCTAssertTrue(steps > 0 && steps <= Double(relu.steps), "\(t): \(steps)")
            XCTAssertTrue(reached == 0 || reached == 1)
            if reached == 0 { XCTAssertEqual(steps, Double(relu.steps), "an unreached threshold reports the budget") }
        }
    }
}

/// Steps-to-threshold read off a metrics log, and the filter grid (ReproKit pieces the AlexNet
/// plugin uses, generic to any task).
final class StepsToThresholdTests: XCTestCase {
    private func history(_ accuracies: [Double], every: Int = 10) -> MetricsHistory {
        var h = MetricsHistory()
        for (i, a) in accuracies.enumerated() {
            h.append(.init(split: "train", step: (i + 1) * every, epoch: 0, metrics: ["train_accuracy": a, "loss": 1]))
            if i == 1 { h.append(.init(split: "eval", step: 20, epoch: 0, metrics: ["test_accuracy": 0.99])) }
        }
        return h
    }

    func testFirstStepWithSmoothingAndUnreachedThresholds() {
        // Errors 0.5, 0.3, 0.2, 0.24, 0.1, 0.1 at steps 10…60.
        let h = history([0.5, 0.7, 0.8, 0.76, 0.9, 0.9])
        XCTAssertEqual(h.firstStep(metric: "train_accuracy", transform: { 1 - $0 }, reaches: 0.25), 30)
        // Running mean of 3: 0.333 (30), 0.247 (40) → 40; 0.18 (50) for 0.2.
        XCTAssertEqual(h.firstStep(metric: "train_accuracy", transform: { 1 - $0 }, window: 3, reaches: 0.25), 40)
        XCTAssertEqual(h.firstStep(metric: "train_accuracy", transform: { 1 - $0 }, window: 3, reaches: 0.2), 50)
        // Upward: accuracy ≥ 0.8 first at step 30; the eval record never counts.
        XCTAssertEqual(h.firstStep(metric: "train_accuracy", reaches: 0.8, below: false), 30)
        XCTAssertNil(h.firstStep(metric: "train_accuracy", reaches: 0.95, below: false))

        let m = h.stepsToTrainError([0.25, 0.05], window: 3)
        XCTAssertEqual(m["steps_to_train_error_0.25"], 40)
        XCTAssertEqual(m["reached_train_error_0.25"], 1)
        // Never reached: the budget (last logged step) as a lower bound, flagged unreached.
        XCTAssertEqual(m["steps_to_train_error_0.05"], 60)
        XCTAssertEqual(m["reached_train_error_0.05"], 0)
        XCTAssertEqual(m.count, 4)
        XCTAssertEqual(MetricsHistory().stepsToTrainError([0.25]), [:])
    }

    func testFilterGridDrawsOneTilePerFilter() throws {
        var r = RNG(seed: 3)
        let gray = try filterGrid(Tensor.randn([6, 1, 5, 5], rng: &r), scale: 8, columns: 3)
        // 3 columns × 2 rows of 40-pixel tiles with 4-pixel gaps and margins.
        XCTAssertEqual(gray.width, 4 + 3 * 40 + 2 * 4 + 4)
        XCTAssertEqual(gray.height, 4 + 2 * 40 + 4 + 4)
        let deep = try filterGrid(Tensor.randn([4, 16, 3, 3], rng: &r), scale: 10, maxInputChannels: 5)
        // One row per filter, the first five input channels.
        XCTAssertEqual(deep.width, 4 + 5 * 30 + 4 * 4 + 4)
        XCTAssertEqual(deep.height, 4 + 4 * 30 + 3 * 4 + 4)
    }
}
