import XCTest
import ReproKit

/// Whole modules against PyTorch (Tests/Fixtures/modules.json, written by
/// scripts/golden/make_module_fixtures.py): the same state_dict names, order and shapes,
/// and with PyTorch's values loaded by name, the same outputs and gradients.
final class ModuleGoldenTests: XCTestCase {
    struct Named: Decodable {
        let name: String
        let shape: [Int]
        let data: [Float]
        var tensor: Tensor { Tensor(data, shape: shape) }
    }

    /// Constructor arguments and forward options, named as PyTorch's.
    struct Config: Decodable {
        var in_features, out_features, in_channels, out_channels, kernel_size, stride, padding,
            output_padding, groups, num_features, num_groups, num_channels, size, num_embeddings,
            embedding_dim, embed_dim, num_heads, input_size, hidden_size, num_layers: Int?
        var bias, train, causal, self_attention, bidirectional: Bool?
        var eps, momentum, alpha, beta, k: Float?
        var normalized_shape, lengths: [Int]?
        var key_padding_mask: [[Bool]]?
    }

    struct Case: Decodable {
        let name: String
        let module: String
        let config: Config
        let state_dict: [Named]
        let inputs: [String: GoldenTensor]
        let outputs: [String: GoldenTensor]
        let grad_outputs: [String: GoldenTensor]
        let input_grads: [String: GoldenTensor]
        let param_grads: [String: GoldenTensor]
        let buffers_after: [Named]?
    }

    struct File: Decodable { let generator: String; let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/modules.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    /// Our module for a case, and how to run it: inputs by fixture name → outputs by name.
    func build(_ c: Case) -> (Module, ([String: Tensor]) -> [String: Tensor])? {
        let f = c.config
        var rng = RNG(seed: 7)
        func one(_ m: Module) -> (Module, ([String: Tensor]) -> [String: Tensor]) {
            (m, { ["output": m($0["x"]!)] })
        }
        switch c.module {
        case "Linear":
            return one(Linear(f.in_features!, f.out_features!, bias: f.bias!, rng: &rng))
        case "Conv2d":
            return one(Conv2d(f.in_channels!, f.out_channels!, kernelSize: f.kernel_size!, stride: f.stride!,
                              padding: f.padding!, groups: f.groups!, bias: f.bias!, rng: &rng))
        case "ConvTranspose2d":
            return one(ConvTranspose2d(f.in_channels!, f.out_channels!, kernelSize: f.kernel_size!,
                                       stride: f.stride!, padding: f.padding!, outputPadding: f.output_padding!,
                                       groups: f.groups!, bias: f.bias!, rng: &rng))
        case "BatchNorm1d", "BatchNorm2d":
            let m = BatchNorm(f.num_features!, momentum: f.momentum!, eps: f.eps!)
            m.train(f.train!)
            return one(m)
        case "LayerNorm":
            return one(LayerNorm(f.normalized_shape!, eps: f.eps!))
        case "GroupNorm":
            return one(GroupNorm(groups: f.num_groups!, channels: f.num_channels!, eps: f.eps!))
        case "LocalResponseNorm":
            return one(LocalResponseNorm(size: f.size!, alpha: f.alpha!, beta: f.beta!, k: f.k!))
        case "Embedding":
            let m = Embedding(f.num_embeddings!, f.embedding_dim!, rng: &rng)
            return (m, { inputs in
                let ids = inputs["ids"]!
                return ["output": m(ids.scalars.map { Int($0) }, shape: ids.shape)]
            })
        case "MultiheadAttention":
            let m = MultiheadAttention(embedDim: f.embed_dim!, heads: f.num_heads!, bias: f.bias!, rng: &rng)
            return (m, { inputs in
                let (q, k, v) = f.self_attention!
                    ? (inputs["x"]!, inputs["x"]!, inputs["x"]!)
                    : (inputs["query"]!, inputs["key"]!, inputs["value"]!)
                let r = m(query: q, key: k, value: v, keyPaddingMask: f.key_padding_mask, causal: f.causal!,
                          needWeights: true)
                return ["output": r.output, "weights": r.weights!]
            })
        case "GRU":
            let m = GRU(inputSize: f.input_size!, hiddenSize: f.hidden_size!, numLayers: f.num_layers!,
                        bidirectional: f.bidirectional!, rng: &rng)
            return (m, { inputs in
                let r = m(inputs["x"]!, h0: inputs["h0"], lengths: f.lengths)
                return ["output": r.output, "hidden": r.hidden]
            })
        case "LSTM":
            let m = LSTM(inputSize: f.input_size!, hiddenSize: f.hidden_size!, numLayers: f.num_layers!,
                         bidirectional: f.bidirectional!, rng: &rng)
            return (m, { inputs in
                let r = m(inputs["x"]!, state: (inputs["h0"]!, inputs["c0"]!), lengths: f.lengths)
                return ["output": r.output, "hidden": r.hidden, "cell": r.cell]
            })
        case "GRUCell":
            let m = GRUCell(inputSize: f.input_size!, hiddenSize: f.hidden_size!, rng: &rng)
            return (m, { ["output": m($0["x"]!, $0["h0"]!)] })
        case "LSTMCell":
            let m = LSTMCell(inputSize: f.input_size!, hiddenSize: f.hidden_size!, rng: &rng)
            return (m, { inputs in
                let (h, c) = m(inputs["x"]!, (inputs["h0"]!, inputs["c0"]!))
                return ["output": h, "cell": c]
            })
        default:
            return nil
        }
    }

    func testEveryModuleMatchesPyTorch() throws {
        let cases = Self.cases
        XCTAssertFalse(cases.isEmpty)
        // A module dropped from the fixture must not pass silently.
        XCTAssertEqual(Set(cases.map(\.module)),
                       ["Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
                        "GroupNorm", "LocalResponseNorm", "Embedding", "MultiheadAttention", "GRU", "LSTM",
                        "GRUCell", "LSTMCell"])
        for c in cases { check(c) }
    }

    func check(_ c: Case) {
        guard let (module, run) = build(c) else { return XCTFail("\(c.name): no builder for \(c.module)") }
        // Names, order and shapes exactly as PyTorch's state_dict.
        let ours = module.stateDict()
        XCTAssertEqual(ours.map(\.0), c.state_dict.map(\.name), "\(c.name): state_dict names")
        XCTAssertEqual(ours.map(\.1.shape), c.state_dict.map(\.shape), "\(c.name): state_dict shapes")
        let paramNames = module.namedParameters().map(\.0)
        XCTAssertEqual(paramNames, c.state_dict.map(\.name).filter { c.param_grads[$0] != nil },
                       "\(c.name): parameters")
        guard ours.map(\.0) == c.state_dict.map(\.name), ours.map(\.1.shape) == c.state_dict.map(\.shape) else { return }
        for ((_, t), fixture) in zip(ours, c.state_dict) { t.assign(fixture.tensor) }

        var inputs: [String: Tensor] = [:]
        for (k, v) in c.inputs {
            let t = v.tensor
            t.requiresGrad = c.input_grads[k] != nil
            inputs[k] = t
        }
        let outputs = run(inputs)
        XCTAssertEqual(Set(outputs.keys), Set(c.outputs.keys), "\(c.name): outputs")
        for (k, expected) in c.outputs {
            guard let y = outputs[k] else { continue }
            XCTAssertEqual(y.shape, expected.shape, "\(c.name): \(k) shape")
            assertClose(y.scalars, expected.data, rtol: 1e-4, atol: 1e-5, "\(c.name): \(k)")
        }
        for b in c.buffers_after ?? [] {
            guard let t = module.namedBuffers().first(where: { $0.0 == b.name })?.1 else {
                XCTFail("\(c.name): no buffer \(b.name)"); continue
            }
            assertClose(t.scalars, b.data, rtol: 1e-5, atol: 1e-6, "\(c.name): \(b.name) after the forward")
        }

        // d(Σ_k Σ outputs[k] ⊙ grad_outputs[k]).
        var loss: Tensor? = nil
        for (k, g) in c.grad_outputs.sorted(by: { $0.key < $1.key }) {
            guard let y = outputs[k] else { continue }
            let term = (y * g.tensor).sum()
            loss = loss.map { $0 + term } ?? term
        }
        guard let loss else { return XCTFail("\(c.name): nothing to differentiate") }
        XCTAssertNoThrow(try loss.backward(), "\(c.name): backward")
        for (k, expected) in c.input_grads {
            guard let g = inputs[k]?.grad else { XCTFail("\(c.name): no gradient for input \(k)"); continue }
            assertClose(g.scalars, expected.data, rtol: 1e-4, atol: 2e-5, "\(c.name): d/d\(k)")
        }
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters())
        for (name, expected) in c.param_grads {
            guard let g = params[name]?.grad else { XCTFail("\(c.name): no gradient for \(name)"); continue }
            assertClose(g.scalars, expected.data, rtol: 1e-4, atol: 2e-5, "\(c.name): d/d\(name)")
        }
    }

    /// Default inits as PyTorch's, where they are not a plain U(±1/√fan_in).
    func testDefaultInitsFollowPyTorch() {
        var rng = RNG(seed: 3)
        let e = 32
        let mha = MultiheadAttention(embedDim: e, heads: 4, rng: &rng)
        let xavier = (6 / Float(e + 3 * e)).squareRoot()
        let w = mha.in_proj_weight.scalars
        XCTAssertTrue(w.allSatisfy { abs($0) <= xavier })
        XCTAssertGreaterThan(w.map(abs).max()!, 0.95 * xavier)
        XCTAssertEqual(mha.in_proj_bias!.scalars, [Float](repeating: 0, count: 3 * e))
        XCTAssertEqual(mha.out_proj.bias!.scalars, [Float](repeating: 0, count: e))
        let linearBound = 1 / Float(e).squareRoot()
        XCTAssertGreaterThan(mha.out_proj.weight.scalars.map(abs).max()!, 0.9 * linearBound)

        let h = 16
        let lstm = LSTM(inputSize: 3, hiddenSize: h, numLayers: 2, rng: &rng)
        let bound = 1 / Float(h).squareRoot()
        for (name, p) in lstm.namedParameters() {
            XCTAssertTrue(p.scalars.allSatisfy { abs($0) <= bound }, name)
            XCTAssertTrue(p.requiresGrad, name)
        }
        XCTAssertGreaterThan(lstm.parameters.flatMap(\.scalars).map(abs).max()!, 0.95 * bound)
        XCTAssertEqual(lstm.namedParameters().map(\.0),
                       ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        let noBias = GRU(inputSize: 3, hiddenSize: 4, bias: false, bidirectional: true, rng: &rng)
        XCTAssertEqual(noBias.stateDict().map(\.0), ["weight_ih_l0", "weight_hh_l0",
                                                      "weight_ih_l0_reverse", "weight_hh_l0_reverse"])
    }
}
