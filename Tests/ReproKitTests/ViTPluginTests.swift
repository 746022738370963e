import XCTest
import Foundation
import ReproKit

/// The ViT plugin (arXiv:2010.11929) through the built libViT.so: its model against PyTorch
/// (Tests/Fixtures/vit_golden.json from scripts/golden/vit.py: names, logits, loss and every
/// gradient), config errors a student will hit, and `vit-mini --quick` through the real binary:
/// it learns, draws the attention maps over the images, and its saved logits are what the
/// checkpoint's weights give.
final class ViTPluginTests: XCTestCase {
    struct Named: Decodable {
        let name: String
        let shape: [Int]
        let data: [Float]
    }

    struct Golden: Decodable {
        let generator: String
        let sizes: [String: Int]
        let images: GoldenTensor
        let labels: [Int]
        let parameters: [Named]
        let logits: GoldenTensor
        let loss: Double
        let grads: [String: GoldenTensor]
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/vit_golden.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    /// The plugin's `classify` task on synthetic 28×28 images with `settings` over the defaults.
    func makeTask(_ settings: [String: ConfigValue], overrides: [String] = []) throws -> TrainingTask {
        try BuiltPlugin.task("ViT", id: "vit", task: "classify", settings: [
            ("dataset", .string("synthetic-28x28x1")), ("train_subset", .int(256)), ("test_subset", .int(64)),
        ] + settings.map { ($0.key, $0.value) }, overrides: overrides)
    }

    func testModelMatchesPyTorch() throws {
        let g = Self.golden
        var settings: [String: ConfigValue] = ["drop_path": .double(0), "dropout": .double(0)]
        for (k, v) in g.sizes { settings[k] = .int(v) }
        let model = try makeTask(settings).model
        let ours = model.namedParameters()
        XCTAssertEqual(Set(ours.map(\.0)), Set(g.parameters.map(\.name)), "state-dict names")
        let theirs = Dictionary(uniqueKeysWithValues: g.parameters.map { ($0.name, $0) })
        for (name, p) in ours {
            let t = try XCTUnwrap(theirs[name], name)
            XCTAssertEqual(p.shape, t.shape, name)
            p.assign(Tensor(t.data, shape: t.shape))
        }
        model.train()    // dropout and drop path are 0: training mode must equal PyTorch's eval
        for (_, p) in ours { p.zeroGrad() }
        let logits = model(g.images.tensor)
        assertMatchesGolden(logits, g.logits, "logits")
        let loss = crossEntropy(logits, targets: g.labels)
        XCTAssertEqual(Double(loss.item()), g.loss, accuracy: 1e-5 * g.loss, "loss")
        try loss.backward()
        for (name, p) in ours {
            let grad = try XCTUnwrap(p.grad, "no gradient for \(name)")
            assertMatchesGolden(grad, try XCTUnwrap(g.grads[name], name), rtol: 2e-4, "grad \(name)")
        }
    }

    /// Stochastic depth acts in training only and rises over the blocks: with drop_path 0.5
    /// two training passes differ, eval passes do not.
    func testStochasticDepthOnlyInTraining() throws {
        let model = try makeTask(["drop_path": .double(0.5), "depth": .int(3), "width": .int(16), "mlp": .int(32)]).model
        var rng = RNG(seed: 1)
        // The head starts at zero (the paper's zero-initialised head): give it weights, or
        // every logit is 0 whatever the blocks do.
        let head = try XCTUnwrap(model.stateDict().first { $0.0 == "head.weight" }?.1)
        head.assign(Tensor.randn(head.shape, rng: &rng))
        let x = Tensor.randn([8, 1, 28, 28], rng: &rng)
        model.eval()
        let a = withNoGrad { model(x) }.scalars, b = withNoGrad { model(x) }.scalars
        XCTAssertEqual(a, b)
        model.train()
        let c = withNoGrad { model(x) }.scalars, d = withNoGrad { model(x) }.scalars
        XCTAssertNotEqual(c, d, "drop path 0.5 drew the same branches twice")

        // The rates rise linearly over the 3 blocks: none in the first, 0.25, then 0.5.
        func dropPaths(_ m: Module, _ prefix: String = "") -> [(String, Float)] {
            m.namedChildren().flatMap { name, child -> [(String, Float)] in
                let path = prefix + name
                return ((child as? DropPath).map { [(path, $0.p)] } ?? []) + dropPaths(child, path + ".")
            }
        }
        let rates = dropPaths(model)
        XCTAssertEqual(rates.map(\.0), ["encoder.layers.1.drop_path", "encoder.layers.2.drop_path"])
        XCTAssertEqual(rates.map(\.1), [0.25, 0.5])
    }

    func testConfigErrorsNameTheFix() throws {
        XCTAssertThrowsError(try makeTask(["patch_size": .int(5)])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("patch_size 5") && text.contains("1, 2, 4, 7, 14, 28"), text)
        }
        XCTAssertThrowsError(try makeTask(["width": .int(30), "heads": .int(4)])) { error in
            XCTAssertTrue("\(error)".contains("multiple of heads"), "\(error)")
        }
        XCTAssertThrowsError(try makeTask(["model": .string("resnet"), "resnet_depth": .int(21)])) { error in
            XCTAssertTrue("\(error)".contains("6n+2"), "\(error)")
        }
    }

    func testQuickRunLearnsAndDrawsAttentionOverTheImages() throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-vit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let o = try CLITests.Running(["run", "vit-mini", "--quick", "--seed", "0"], papers: ResNetPluginTests.papers,
                                     artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["test_accuracy"])
        XCTAssertGreaterThan(summary.metrics["train_examples_per_second"] ?? 0, 0)
        for name in ["attention_heads.png", "attention_rollout.png", "position_similarity.png", "test_logits.json"] {
            XCTAssertTrue(summary.drawings.contains(name), "\(name) not in \(summary.drawings)")
        }
        // Six images of 28 pixels at 4×: the figures are at least that tall and wide.
        let rollout = try PNGImage(contentsOfFile: folder.appendingPathComponent("attention_rollout.png").path)
        XCTAssertGreaterThan(rollout.height, 6 * 28 * 4)
        XCTAssertGreaterThan(rollout.width, 4 * 28 * 4)
        let heads = try PNGImage(contentsOfFile: folder.appendingPathComponent("attention_heads.png").path)
        XCTAssertGreaterThan(heads.width, rollout.width, "5 columns (image + 4 heads) against 4")

        // The logits the run saved are what the checkpoint's weights give on those images.
        struct Saved: Decodable { let indices: [Int]; let logits: [[Float]] }
        let saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: folder.appendingPathComponent("test_logits.json")))
        XCTAssertEqual(saved.indices, Array(0..<6))
        let checkpoint = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        XCTAssertEqual(checkpoint.metadata.plugin, "vit")
        let names = Set(checkpoint.tensors.map(\.0))
        for name in ["class_token", "position_embedding", "patch_embedding.weight", "encoder.layers.0.self_attn.in_proj_weight",
                     "encoder.layers.1.linear2.bias", "encoder.norm.weight", "head.weight"] {
            XCTAssertTrue(names.contains(name), "\(name) missing from \(names.sorted())")
        }
        // The run's own config (as config.json keeps it) rebuilds the model and its data; the
        // checkpoint's tensors loaded by name give the saved logits on the same test images.
        struct RunConfig: Decodable { let config: [String: String] }
        let runConfig = try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: folder.appendingPathComponent("config.json")))
        let task = try makeTask([:], overrides: runConfig.config.map { "\($0.key)=\($0.value)" })
        let tensors = Dictionary(uniqueKeysWithValues: checkpoint.tensors)
        for (name, p) in task.model.stateDict() { p.assign(try XCTUnwrap(tensors[name], name)) }
        task.model.eval()
        let data = try XCTUnwrap((task as? ImageClassificationTask)?.data)
        let (x, _) = data.test.batch(indices: saved.indices, mean: data.mean, std: data.std)
        let logits = withNoGrad { task.model(x) }
        XCTAssertEqual(logits.shape, [6, 10])
        for (i, row) in saved.logits.enumerated() {
            for (j, v) in row.enumerated() { XCTAssertEqual(logits[i, j], v, accuracy: 1e-4 * max(1, abs(v)), "logit [\(i), \(j)]") }
        }
    }
}

/// The two ViT studies at quick scale, through the real binary and dlopen: every variant
/// runs, each claim on accuracy comes out as the card records it, and the figure is drawn.
/// Claims on training speed are judged by the study but not asserted here: timing belongs
/// in `repro bench`, and a busy machine may not keep to it.
final class ViTStudyTests: XCTestCase {
    func runStudy(_ experiment: String) throws -> (StudyOutcome, URL) {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-vit-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: artifacts) }
        let o = try CLITests.Running(["run", experiment, "--quick", "--seed", "0"], papers: ResNetPluginTests.papers,
                                     artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let (study, folder) = try o.study()
        let untimed = study.claims.filter { !$0.text.contains("train_examples_per_second") }
        XCTAssertFalse(untimed.isEmpty)
        XCTAssertTrue(untimed.allSatisfy(\.matchesRecorded), "\(untimed)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figure.png").path))
        return (study, folder)
    }

    /// 5% of the quick run's 4,096 images is 205: the ResNet variants really are ResNets
    /// (their config says so and their checkpoints hold conv weights), and the small-data
    /// variants trained on 205 images.
    func testQuickViTAgainstResNetOnLittleAndMoreData() throws {
        let (study, _) = try runStudy("vit-vs-resnet")
        XCTAssertEqual(Set(study.runs.keys), ["vit_5", "resnet_5", "vit_100", "resnet_100"])
        let resnet = try Checkpoint.read(from: RunFolder(url: URL(fileURLWithPath: XCTUnwrap(study.runs["resnet_5"]?.first))).checkpoint)
        XCTAssertTrue(resnet.tensors.contains { $0.0 == "conv1.weight" }, "\(resnet.tensors.map(\.0))")
        XCTAssertFalse(resnet.tensors.contains { $0.0 == "class_token" })
        for (variant, count) in [("vit_5", 205), ("resnet_5", 205), ("vit_100", 4096)] {
            let report = try String(contentsOfFile: XCTUnwrap(study.runs[variant]?.first) + "/report.md", encoding: .utf8)
            XCTAssertTrue(report.contains("fashion-mnist train: \(count) examples"), "\(variant): \(report)")
        }
    }

    /// Patch sizes 4, 7 and 14: sequences of 49, 16 and 4 patches plus the class token (the
    /// position embeddings in each checkpoint say so), every variant learned something, and
    /// each reports its training speed for the study's table.
    func testQuickPatchSizes() throws {
        let (study, _) = try runStudy("vit-patch-size")
        XCTAssertEqual(Set(study.runs.keys), ["p4", "p7", "p14"])
        for (variant, tokens) in [("p4", 50), ("p7", 17), ("p14", 5)] {
            let m = try XCTUnwrap(study.means[variant])
            XCTAssertGreaterThan(m["test_accuracy"] ?? 0, 0.3, variant)
            XCTAssertGreaterThan(m["train_examples_per_second"] ?? 0, 0, variant)
            let run = try XCTUnwrap(study.runs[variant]?.first)
            let checkpoint = try Checkpoint.read(from: RunFolder(url: URL(fileURLWithPath: run)).checkpoint)
            let position = try XCTUnwrap(checkpoint.tensors.first { $0.0 == "position_embedding" }?.1)
            XCTAssertEqual(position.shape, [1, tokens, 64], variant)
        }
    }
}
