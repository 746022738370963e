import XCTest
import Foundation
import ReproKit

/// TransformerEncoderLayer, TransformerDecoderLayer and TransformerEncoder against PyTorch's
/// nn.Transformer* (Tests/Fixtures/transformer_layers_golden.json, written by
/// scripts/golden/transformer_layers.py): state_dict names, order and shapes; with PyTorch's
/// values loaded by name, outputs, per-head attention weights and the gradients of every
/// parameter and input. Then, without PyTorch: stochastic depth, dropout only in training,
/// exact resumption of the random streams, and the attention weights' invariants.
final class TransformerLayerTests: XCTestCase {
    typealias Named = ModuleGoldenTests.Named

    struct Config: Decodable {
        let d_model, nhead, dim_feedforward: Int
        let activation: String
        let layer_norm_eps: Float
        let norm_first, causal: Bool
        let num_layers: Int?
        let final_norm: Bool?
    }

    struct Case: Decodable {
        let name, kind: String
        let config: Config
        let key_padding_mask, memory_key_padding_mask: [[Bool]]?
        let state_dict: [Named]
        let inputs: [String: GoldenTensor]
        let output, grad_output: GoldenTensor
        let weights: [GoldenTensor]
        let cross_weights: GoldenTensor?
        let input_grads, param_grads: [String: GoldenTensor]
    }

    struct File: Decodable { let generator: String; let cases: [Case] }

    static let fixture: File = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/transformer_layers_golden.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    static func goldenCase(_ name: String) -> Case { fixture.cases.first { $0.name == name }! }

    /// What a case's module gives: the output, the self-attention weights of each layer and,
    /// for a decoder, the weights over memory.
    typealias Run = (output: Tensor, weights: [Tensor], cross: Tensor?)

    /// Our module for a case's config (its own init; the test loads PyTorch's values), and how
    /// to run it on the case's inputs with the case's masks.
    func build(_ c: Case, dropout: Float = 0, dropPath: Float = 0, seed: UInt64 = 7)
        -> (Module, ([String: Tensor]) -> Run) {
        let f = c.config
        var rng = RNG(seed: seed)
        let act = TransformerActivation(rawValue: f.activation)!
        func encoderLayer() -> TransformerEncoderLayer {
            TransformerEncoderLayer(dModel: f.d_model, heads: f.nhead, feedForward: f.dim_feedforward,
                                    dropout: dropout, activation: act, layerNormEps: f.layer_norm_eps,
                                    normFirst: f.norm_first, dropPath: dropPath, rng: &rng)
        }
        switch c.kind {
        case "encoder_layer":
            let m = encoderLayer()
            return (m, { inputs in
                let r = m(inputs["x"]!, keyPaddingMask: c.key_padding_mask, causal: f.causal, needWeights: true)
                return (r.output, [r.weights!], nil)
            })
        case "decoder_layer":
            let m = TransformerDecoderLayer(dModel: f.d_model, heads: f.nhead, feedForward: f.dim_feedforward,
                                            dropout: dropout, activation: act, layerNormEps: f.layer_norm_eps,
                                            normFirst: f.norm_first, rng: &rng)
            return (m, { inputs in
                let r = m(inputs["x"]!, memory: inputs["memory"]!, causal: f.causal,
                          tgtKeyPaddingMask: c.key_padding_mask, memoryKeyPaddingMask: c.memory_key_padding_mask,
                          needWeights: true)
                return (r.output, [r.selfWeights!], r.crossWeights!)
            })
        case "encoder":
            let layers = (0..<f.num_layers!).map { _ in encoderLayer() }
            let m = TransformerEncoder(layers, norm: f.final_norm! ? LayerNorm(f.d_model, eps: f.layer_norm_eps) : nil)
            return (m, { inputs in
                let r = m(inputs["x"]!, keyPaddingMask: c.key_padding_mask, causal: f.causal, needWeights: true)
                return (r.output, r.weights!, nil)
            })
        default:
            preconditionFailure("unknown kind \(c.kind)")
        }
    }

    /// Loads the case's state_dict by name, after checking names, order and shapes.
    func load(_ c: Case, into m: Module) throws {
        let ours = m.stateDict()
        XCTAssertEqual(ours.map(\.0), c.state_dict.map(\.name), "\(c.name): state_dict names and order")
        XCTAssertEqual(ours.map(\.1.shape), c.state_dict.map(\.shape), "\(c.name): state_dict shapes")
        XCTAssertEqual(m.namedParameters().map(\.0), c.state_dict.map(\.name), "\(c.name): all are parameters")
        let theirs = Dictionary(uniqueKeysWithValues: c.state_dict.map { ($0.name, $0) })
        for (name, t) in ours {
            let p = try XCTUnwrap(theirs[name], "\(c.name): PyTorch has no \(name)")
            guard t.shape == p.shape else { continue }  // failed above
            t.assign(p.tensor)
        }
    }

    // MARK: Against PyTorch

    func testOutputsWeightsAndGradientsMatchPyTorch() throws {
        // A case dropped from the fixture must not pass silently.
        XCTAssertEqual(Self.fixture.cases.map(\.name),
                       ["encoder_post_relu", "encoder_pre_gelu", "decoder_post_causal", "encoder_stack"])
        for c in Self.fixture.cases {
            let (m, run) = build(c)
            m.eval()
            try load(c, into: m)
            var inputs: [String: Tensor] = [:]
            for (k, v) in c.inputs {
                let t = v.tensor
                t.requiresGrad = true
                inputs[k] = t
            }
            let r = run(inputs)
            assertMatchesGolden(r.output, c.output, scaleFloor: 1e-5, "\(c.name) output")
            XCTAssertEqual(r.weights.count, c.weights.count, "\(c.name): one weight tensor per layer")
            for (l, (w, g)) in zip(r.weights, c.weights).enumerated() {
                assertMatchesGolden(w, g, scaleFloor: 1e-5, "\(c.name) self-attention weights, layer \(l)")
            }
            if let g = c.cross_weights { assertMatchesGolden(try XCTUnwrap(r.cross), g, scaleFloor: 1e-5, "\(c.name) cross-attention weights") }

            try (r.output * c.grad_output.tensor).sum().backward()
            XCTAssertEqual(Set(c.input_grads.keys), Set(inputs.keys))
            for (k, g) in c.input_grads {
                assertMatchesGolden(try XCTUnwrap(inputs[k]?.grad, "\(c.name): no gradient for \(k)"), g, scaleFloor: 1e-5, "\(c.name) d/d\(k)")
            }
            XCTAssertEqual(Set(c.param_grads.keys), Set(m.namedParameters().map(\.0)), "\(c.name): gradients")
            for (name, p) in m.namedParameters() {
                let g = try XCTUnwrap(p.grad, "\(c.name): no gradient for \(name)")
                assertMatchesGolden(g, c.param_grads[name]!, scaleFloor: 1e-5, "\(c.name) d/d\(name)")
            }
        }
    }

    /// The plain `Module` call is the layer without masks; `needWeights: false` returns none.
    func testPlainCallIsTheUnmaskedLayer() throws {
        for name in ["encoder_pre_gelu", "encoder_stack"] {
            let c = Self.goldenCase(name)
            let (m, _) = build(c)
            m.eval()
            try load(c, into: m)
            let x = c.inputs["x"]!.tensor
            let plain = withNoGrad { m(x) }
            if c.key_padding_mask == nil { assertMatchesGolden(plain, c.output, scaleFloor: 1e-5, "\(name) plain call") }
            if let layer = m as? TransformerEncoderLayer {
                let r = withNoGrad { layer(x, needWeights: false) }
                XCTAssertEqual(plain.scalars, r.output.scalars)
                XCTAssertNil(r.weights)
            } else if let stack = m as? TransformerEncoder {
                let r = withNoGrad { stack(x, needWeights: false) }
                XCTAssertEqual(plain.scalars, r.output.scalars)
                XCTAssertNil(r.weights)
                XCTAssertEqual(stack.layers.count, 2)
            }
        }
    }

    /// Dropout (0.3 everywhere) and stochastic depth (0.2) act in training only: in eval mode
    /// the layers give PyTorch's dropout-free outputs; in training they do not, and two passes
    /// draw different masks.
    func testDropoutAndDropPathActOnlyInTraining() throws {
        for c in Self.fixture.cases {
            let (m, run) = build(c, dropout: 0.3, dropPath: c.kind == "decoder_layer" ? 0 : 0.2)
            try load(c, into: m)
            let inputs = c.inputs.mapValues(\.tensor)
            m.eval()
            assertMatchesGolden(withNoGrad { run(inputs).output }, c.output, scaleFloor: 1e-5, "\(c.name) eval output with dropout")
            m.train()
            let first = withNoGrad { run(inputs).output }.scalars, second = withNoGrad { run(inputs).output }.scalars
            let off = zip(first, c.output.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(off, 1e-2, "\(c.name): dropout changed nothing in training")
            XCTAssertNotEqual(first, second, "\(c.name): two training passes drew the same masks")
        }
    }

    // MARK: Stochastic depth

    func testDropPathIsIdentityInEvaluation() {
        var rng = RNG(seed: 1)
        let dp = DropPath(0.5, rng: &rng)
        let x = Tensor.randn([8, 3, 4], rng: &rng)
        dp.eval()
        XCTAssertTrue(dp(x) === x)
        dp.train()
        XCTAssertFalse(dp(x) === x, "in training the branch is redrawn")
        let none = DropPath(0, rng: &rng)
        XCTAssertTrue(none(x) === x, "p = 0 is identity in training too")
        // A layer without stochastic depth has no drop_path stream; with it, one.
        let plain = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, rng: &rng)
        XCTAssertFalse(plain.namedRandomStates().map(\.0).contains("drop_path.rng"))
        let deep = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropPath: 0.1, rng: &rng)
        XCTAssertEqual(deep.namedRandomStates().map(\.0),
                       ["self_attn.dropout_rng", "dropout.rng", "dropout1.rng", "dropout2.rng", "drop_path.rng"])
    }

    /// p = 0.5 over a batch of 64: every sample is either all zeros or exactly 2x, and so is
    /// its gradient; about half are dropped; the next call draws another set.
    func testDropPathDropsWholeSamplesAndScalesTheRest() throws {
        var rng = RNG(seed: 2)
        let dp = DropPath(0.5, rng: &rng)
        let (b, inner) = (64, 5 * 6)
        let x = Tensor.randn([b, 5, 6], rng: &rng)
        x.requiresGrad = true
        let r = Tensor.randn([b, 5, 6], rng: &rng)
        dp.train()
        let y = dp(x)
        try (y * r).sum().backward()
        let (xs, ys, rs, gs) = (x.scalars, y.scalars, r.scalars, try XCTUnwrap(x.grad).scalars)
        var dropped: [Bool] = []
        for s in 0..<b {
            let rows = (s * inner)..<((s + 1) * inner)
            let isDropped = rows.allSatisfy { ys[$0] == 0 }
            dropped.append(isDropped)
            for i in rows {
                XCTAssertEqual(ys[i], isDropped ? 0 : 2 * xs[i], "sample \(s) element \(i)")
                XCTAssertEqual(gs[i], isDropped ? 0 : 2 * rs[i], "gradient of sample \(s) element \(i)")
            }
        }
        // Binomial(64, 0.5): 32 ± 4; 20…44 is three standard deviations.
        let count = dropped.filter { $0 }.count
        XCTAssertTrue((20...44).contains(count), "\(count) of 64 samples dropped")
        let again = withNoGrad { dp(x) }.scalars
        let droppedAgain = (0..<b).map { s in ((s * inner)..<((s + 1) * inner)).allSatisfy { again[$0] == 0 } }
        XCTAssertNotEqual(dropped, droppedAgain, "two calls drew the same samples")
    }

    /// In a layer, stochastic depth drops the attention and feed-forward branches per sample:
    /// with p close to 1 both branches of every sample are dropped, so a pre-norm layer passes
    /// x through unchanged (x + 0 + 0) and a post-norm one gives LN₂(LN₁(x + 0) + 0).
    func testDropPathSkipsBranchesInALayer() {
        var rng = RNG(seed: 4)
        let x = Tensor.randn([16, 3, 8], rng: &rng)
        for normFirst in [true, false] {
            let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0,
                                                normFirst: normFirst, dropPath: 0.99999, rng: &rng)
            layer.norm1.weight.assign(Tensor.randn([8], rng: &rng))
            let skipped = withNoGrad { normFirst ? x : layer.norm2(layer.norm1(x)) }
            layer.train()
            XCTAssertEqual(withNoGrad { layer(x) }.scalars, skipped.scalars,
                           "normFirst \(normFirst): both branches dropped for every sample")
            layer.eval()
            XCTAssertNotEqual(withNoGrad { layer(x) }.scalars, skipped.scalars, "normFirst \(normFirst)")
        }
    }

    // MARK: Resumption

    /// A layer with dropout and stochastic depth, its random streams saved after two training
    /// passes in a real checkpoint and loaded into a layer built from another seed, draws
    /// exactly what the first layer draws next.
    func testRandomStreamsResumeExactlyThroughACheckpoint() throws {
        func make(_ seed: UInt64) -> TransformerEncoderLayer {
            var rng = RNG(seed: seed)
            return TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0.2, activation: .gelu,
                                           normFirst: true, dropPath: 0.3, rng: &rng)
        }
        var rng = RNG(seed: 99)
        let xs = (0..<4).map { _ in Tensor.randn([6, 5, 8], rng: &rng) }
        let first = make(1)
        first.train()
        for x in xs[0..<2] { _ = withNoGrad { first(x) } }

        let dir = try makeTemporaryFolder("transformer-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let url = URL(fileURLWithPath: dir).appendingPathComponent("layer.h5")
        var streams: [String: RNG] = [:]
        for (name, box) in first.namedRandomStates() { streams["model." + name] = box.wrappedValue }
        XCTAssertEqual(streams.count, 5)
        let meta = CheckpointMetadata(plugin: "test", pluginVersion: "1", experiment: "resume", configJSON: "{}")
        try Checkpoint.write(CheckpointContents(tensors: first.stateDict(), metadata: meta, rng: streams), to: url)
        let expected = xs[2..<4].map { x in withNoGrad { first(x) }.scalars.map(\.bitPattern) }

        let resumed = make(2)
        resumed.train()
        let c = try Checkpoint.read(from: url)
        try Checkpoint.load(c, into: resumed)
        // The same weights with the other seed's streams: other masks, another output.
        XCTAssertNotEqual(withNoGrad { resumed(xs[2]) }.scalars.map(\.bitPattern), expected[0],
                          "another seed draws other masks")
        for (name, box) in resumed.namedRandomStates() {
            box.wrappedValue = try XCTUnwrap(c.rng["model." + name], "rng/model.\(name) missing")
        }
        let got = xs[2..<4].map { x in withNoGrad { resumed(x) }.scalars.map(\.bitPattern) }
        XCTAssertEqual(got, expected)
    }

    // MARK: Attention weights

    /// needWeights: per-head probabilities that sum to 1 over the keys, zero on padded keys
    /// and (causal) on later positions; the decoder's weights over memory likewise; one
    /// tensor per layer from the stack.
    func testAttentionWeightsAreDistributionsOverUnmaskedKeys() throws {
        var rng = RNG(seed: 5)
        let (b, t, s, e, h) = (3, 7, 4, 8, 2)
        let lengths = [7, 4, 1], memoryLengths = [4, 2, 3]
        let kpm = lengths.map { n in (0..<t).map { $0 >= n } }
        let mkpm = memoryLengths.map { n in (0..<s).map { $0 >= n } }

        /// w [B, H, Tq, Tk]: rows sum to 1; zero where `masked(batch, query, key)`.
        func check(_ w: Tensor?, _ tq: Int, _ tk: Int, _ what: String, masked: (Int, Int, Int) -> Bool) throws {
            let w = try XCTUnwrap(w, what)
            XCTAssertEqual(w.shape, [b, h, tq, tk], what)
            let a = w.scalars
            for n in 0..<b { for head in 0..<h { for q in 0..<tq {
                let row = ((n * h + head) * tq + q) * tk
                XCTAssertEqual(a[row..<(row + tk)].reduce(0, +), 1, accuracy: 1e-5, "\(what) row \(n),\(head),\(q)")
                for k in 0..<tk where masked(n, q, k) {
                    XCTAssertEqual(a[row + k], 0, "\(what) [\(n), \(head), \(q), \(k)] masked")
                }
                XCTAssertTrue((0..<tk).contains { !masked(n, q, $0) && a[row + $0] > 0 }, what)
            } } }
        }

        let x = Tensor.randn([b, t, e], rng: &rng), memory = Tensor.randn([b, s, e], rng: &rng)
        let enc = TransformerEncoderLayer(dModel: e, heads: h, feedForward: 16, dropout: 0.1, rng: &rng)
        enc.eval()
        try check(enc(x, keyPaddingMask: kpm, needWeights: true).weights, t, t, "encoder") { n, _, k in
            k >= lengths[n]
        }
        try check(enc(x, keyPaddingMask: kpm, causal: true, needWeights: true).weights, t, t, "causal encoder") {
            n, q, k in k >= lengths[n] || k > q
        }
        XCTAssertNil(enc(x, keyPaddingMask: kpm).weights)

        let dec = TransformerDecoderLayer(dModel: e, heads: h, feedForward: 16, normFirst: true, rng: &rng)
        dec.eval()
        let r = dec(x, memory: memory, tgtKeyPaddingMask: kpm, memoryKeyPaddingMask: mkpm, needWeights: true)
        try check(r.selfWeights, t, t, "decoder self") { n, q, k in k >= lengths[n] || k > q }
        try check(r.crossWeights, t, s, "decoder cross") { n, _, k in k >= memoryLengths[n] }
        let quiet = dec(x, memory: memory)
        XCTAssertNil(quiet.selfWeights)
        XCTAssertNil(quiet.crossWeights)
        XCTAssertEqual(quiet.output.shape, [b, t, e])

        let stack = TransformerEncoder((0..<3).map { _ in
            TransformerEncoderLayer(dModel: e, heads: h, feedForward: 16, normFirst: true, rng: &rng)
        }, norm: LayerNorm(e))
        stack.eval()
        let weights = try XCTUnwrap(stack(x, keyPaddingMask: kpm, needWeights: true).weights)
        XCTAssertEqual(weights.count, 3)
        for (l, w) in weights.enumerated() { try check(w, t, t, "stack layer \(l)") { n, _, k in k >= lengths[n] } }
        XCTAssertNotEqual(weights[0].scalars, weights[1].scalars, "each layer's own weights")
        XCTAssertEqual(stack.stateDict().suffix(2).map(\.0), ["norm.weight", "norm.bias"])
        XCTAssertFalse(TransformerEncoder(stack.layers).stateDict().contains { $0.0.hasPrefix("norm.") })
    }
}
