import XCTest
import Foundation
import ReproKit

/// The Bahdanau plugin's RNNsearch / RNNencdec model (arXiv:1409.0473) against PyTorch
/// (Tests/Fixtures/bahdanau_golden.json, written by scripts/golden/bahdanau.py), through the
/// built libBahdanau.so: state-dict names and shapes, teacher-forced logits, loss and every
/// parameter's gradient; then step-by-step decoding against teacher forcing.
final class BahdanauModelTests: XCTestCase {
    struct Named: Decodable {
        let name: String
        let shape: [Int]
        let data: [Float]
        var tensor: Tensor { Tensor(data, shape: shape) }
    }

    struct Case: Decodable {
        let name: String
        let attention: Bool
        let deep_output: Bool
        let sources: [[Int]]
        let targets: [[Int]]
        let decoder_input: GoldenTensor
        let decoder_target: GoldenTensor
        let parameters: [Named]
        let logits: GoldenTensor
        let attention_weights: GoldenTensor?
        let loss: Double
        let grads: [String: GoldenTensor]
    }

    struct File: Decodable {
        let generator: String
        let sizes: [String: Int]
        let pad: Int, bos: Int, eos: Int
        let cases: [Case]
    }

    static let fixture: File = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/bahdanau_golden.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    /// Task "translate" of the built plugin with the fixture's sizes; its model.
    func makeModel(attention: Bool, deepOutput: Bool, extra: [String: ConfigValue] = [:]) throws -> any TranslationModel {
        let z = Self.fixture.sizes
        let sizes = ["embed", "hidden", "decoder_hidden", "attention_dim", "maxout"].map { ($0, ConfigValue.int(z[$0]!)) }
        return try BuiltPlugin.translationModel("Bahdanau", id: "bahdanau", settings: [("dataset", .string("toy"))] + sizes + [
            ("attention", .bool(attention)), ("deep_output", .bool(deepOutput)), ("dropout", .double(0)),
        ] + extra.map { ($0.key, $0.value) })
    }

    /// The fixture's model with PyTorch's weights and the fixture's batch.
    func load(_ c: Case, extra: [String: ConfigValue] = [:]) throws -> (model: any TranslationModel, batch: Seq2SeqBatch) {
        let model = try makeModel(attention: c.attention, deepOutput: c.deep_output, extra: extra)
        let ours = model.namedParameters()
        XCTAssertEqual(ours.map(\.0), c.parameters.map(\.name), "\(c.name): parameter names and order")
        XCTAssertEqual(ours.map(\.1.shape), c.parameters.map(\.shape), "\(c.name): parameter shapes")
        let theirs = Dictionary(uniqueKeysWithValues: c.parameters.map { ($0.name, $0) })
        for (name, p) in ours {
            let t = try XCTUnwrap(theirs[name], name)
            XCTAssertEqual(p.shape, t.shape, name)
            p.assign(t.tensor)
        }
        let f = Self.fixture
        let batch = Seq2SeqBatch(Array(zip(c.sources, c.targets)), pad: f.pad, bos: f.bos, eos: f.eos)
        XCTAssertEqual(batch.decoderInput.shape, c.decoder_input.shape)
        XCTAssertEqual(batch.decoderInput.ids, c.decoder_input.ints, "\(c.name): decoder input")
        XCTAssertEqual(batch.decoderTarget, c.decoder_target.ints, "\(c.name): decoder target")
        return (model, batch)
    }

    func testNamesLogitsLossAndGradientsMatchPyTorch() throws {
        XCTAssertEqual(Set(Self.fixture.cases.map(\.name)), ["rnnsearch", "rnnencdec", "rnnsearch_shallow"])
        for c in Self.fixture.cases {
            let (model, batch) = try load(c)
            model.zeroGradAll()
            let logits = model.logits(batch)
            assertMatchesGolden(logits, c.logits, "\(c.name) logits")
            let (b, t) = (batch.count, batch.decoderInput.length)
            let loss = crossEntropy(logits.reshaped([b * t, logits.shape[2]]), targets: batch.decoderTarget)
            XCTAssertEqual(Double(loss.item()), c.loss, accuracy: 1e-5 * c.loss, "\(c.name) loss")
            try loss.backward()
            XCTAssertEqual(Set(c.grads.keys), Set(model.namedParameters().map(\.0)))
            for (name, p) in model.namedParameters() {
                let g = try XCTUnwrap(p.grad, "\(c.name): no gradient for \(name)")
                assertMatchesGolden(g, c.grads[name]!, "\(c.name) grad \(name)")
            }
        }
    }

    /// Dropout (on the embeddings and t_i) acts in training only: in eval mode the model with
    /// dropout 0.3 gives PyTorch's dropout-free logits; in training it does not, and two
    /// passes draw different masks.
    func testDropoutActsOnlyInTraining() throws {
        for c in Self.fixture.cases where c.name == "rnnsearch" || c.name == "rnnsearch_shallow" {
            let (model, batch) = try load(c, extra: ["dropout": .double(0.3)])
            model.eval()
            assertMatchesGolden(withNoGrad { model.logits(batch) }, c.logits, "\(c.name) eval logits with dropout 0.3")
            model.train()
            let first = withNoGrad { model.logits(batch) }.scalars, second = withNoGrad { model.logits(batch) }.scalars
            let off = zip(first, c.logits.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(off, 1e-2, "\(c.name): dropout changed nothing in training")
            XCTAssertNotEqual(first, second, "\(c.name): two training passes drew the same masks")
        }
    }

    func testRNNencdecHasNoAttentionAndRNNsearchDoes() throws {
        let encdec = try makeModel(attention: false, deepOutput: true)
        XCTAssertFalse(encdec.namedParameters().contains { $0.0.hasPrefix("attention.") })
        let search = try makeModel(attention: true, deepOutput: true)
        XCTAssertEqual(search.namedParameters().filter { $0.0.hasPrefix("attention.") }.map(\.0),
                       ["attention.W.weight", "attention.U.weight", "attention.U.bias", "attention.v.weight"])
    }

    /// startDecoding + decodeStep fed the teacher's tokens give the log-softmax of the
    /// teacher-forced logits row by row, and PyTorch's attention weights; those sum to 1 with
    /// zeros on the source padding. selectRows reorders and repeats rows mid-sentence.
    func testStepwiseDecodingEqualsTeacherForcing() throws {
        for c in Self.fixture.cases {
            let (model, batch) = try load(c)
            try checkStepwise(model, batch, c)
        }
    }

    private func checkStepwise<M: TranslationModel>(_ model: M, _ batch: Seq2SeqBatch, _ c: Case) throws {
        model.eval()
        defer { model.train() }
        try withNoGrad {
            let (b, t) = (batch.count, batch.decoderInput.length)
            let s = batch.source.length
            let v = Self.fixture.sizes["target_vocab"]!
            let teacher = model.logits(batch).logSoftmax(axis: -1).scalars        // [B, T, V]
            var state = model.startDecoding(batch.source)
            // A second run that, after step 2, carries rows [2, 0, 0, 1] of the first.
            let picked = [2, 0, 0, 1]
            var branch: M.DecoderState? = nil
            for i in 0..<t {
                let tokens = (0..<b).map { batch.decoderInput.ids[$0 * t + i] }
                let step = model.decodeStep(state, tokens: tokens)
                XCTAssertEqual(step.logProbabilities.shape, [b, v])
                let rows = step.logProbabilities.scalars
                for r in 0..<b {
                    for k in 0..<v {
                        let want = teacher[(r * t + i) * v + k], got = rows[r * v + k]
                        XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, abs(want)),
                                       "\(c.name) step \(i) row \(r) token \(k)")
                    }
                }
                if c.attention {
                    let alpha = try XCTUnwrap(step.attention, "\(c.name): no attention weights")
                    XCTAssertEqual(alpha.shape, [b, s])
                    let a = alpha.scalars, gold = try XCTUnwrap(c.attention_weights).data
                    for r in 0..<b {
                        XCTAssertEqual(a[(r * s)..<(r * s + s)].reduce(0, +), 1, accuracy: 1e-5, "\(c.name) α row \(r)")
                        for j in batch.source.lengths[r]..<s { XCTAssertEqual(a[r * s + j], 0, "\(c.name) α on padding") }
                        for j in 0..<s {
                            XCTAssertEqual(a[r * s + j], gold[(r * t + i) * s + j], accuracy: 1e-5,
                                           "\(c.name) α step \(i) row \(r) word \(j)")
                        }
                    }
                } else {
                    XCTAssertNil(step.attention, "\(c.name): RNNencdec has no attention")
                }
                if let current = branch {
                    let other = model.decodeStep(current, tokens: picked.map { tokens[$0] })
                    let o = other.logProbabilities.scalars
                    for (r, src) in picked.enumerated() {
                        for k in 0..<v {
                            XCTAssertEqual(o[r * v + k], rows[src * v + k], accuracy: 1e-6,
                                           "\(c.name) selected row \(r) (= \(src)) step \(i)")
                        }
                    }
                    branch = other.state
                }
                state = step.state
                if i == 1 { branch = model.selectRows(state, picked) }
            }
            XCTAssertNotNil(branch)
        }
    }

    /// Init.orthogonal: square QᵀQ = QQᵀ = I, a wide one has orthonormal rows, a tall one
    /// orthonormal columns; two draws differ.
    func testOrthogonalInit() {
        var rng = RNG(seed: 3)
        func gram(_ q: Tensor, rows: Bool) -> [Float] {
            (rows ? q.matmul(q, transposeB: true) : q.matmul(q, transposeA: true)).scalars
        }
        func assertIdentity(_ g: [Float], _ n: Int, _ what: String) {
            XCTAssertEqual(g.count, n * n)
            for i in 0..<n { for j in 0..<n { XCTAssertEqual(g[i * n + j], i == j ? 1 : 0, accuracy: 1e-5, "\(what) [\(i), \(j)]") } }
        }
        let square = Init.orthogonal([6, 6], rng: &rng)
        assertIdentity(gram(square, rows: false), 6, "QᵀQ")
        assertIdentity(gram(square, rows: true), 6, "QQᵀ")
        assertIdentity(gram(Init.orthogonal([3, 7], rng: &rng), rows: true), 3, "wide QQᵀ")
        assertIdentity(gram(Init.orthogonal([7, 3], rng: &rng), rows: false), 3, "tall QᵀQ")
        XCTAssertNotEqual(Init.orthogonal([6, 6], rng: &rng).scalars, square.scalars)
        // Not the identity or a permutation: a real rotation of a Gaussian draw.
        XCTAssertGreaterThan(square.scalars.filter { abs($0) > 1e-3 && abs(abs($0) - 1) > 1e-3 }.count, 30)
    }

    /// The paper's init (App. B.1), `initialization = "paper"`: every gate block of
    /// each recurrent matrix orthogonal, v_a and biases zero, W_a and U_a with sd 0.001, the
    /// rest with sd 0.01.
    func testPaperInit() throws {
        let model = try makeModel(attention: true, deepOutput: true,
                                  extra: ["initialization": .string("paper"), "embed": .int(16), "hidden": .int(12),
                                          "decoder_hidden": .int(14), "attention_dim": .int(10), "maxout": .int(8)])
        func sd(_ t: Tensor) -> Float {
            let x = t.scalars
            return (x.map { $0 * $0 }.reduce(0, +) / Float(x.count)).squareRoot()
        }
        for (name, p) in model.namedParameters() {
            if name.contains("weight_hh") {
                let n = p.shape[1]
                XCTAssertEqual(p.shape[0], 3 * n)
                for gate in 0..<3 {
                    let q = p.slice(axis: 0, gate * n..<(gate + 1) * n)
                    let g = q.matmul(q, transposeA: true).scalars
                    for i in 0..<n { for j in 0..<n { XCTAssertEqual(g[i * n + j], i == j ? 1 : 0, accuracy: 1e-5, "\(name) gate \(gate)") } }
                }
            } else if name.contains("bias") || name == "attention.v.weight" {
                XCTAssertTrue(p.scalars.allSatisfy { $0 == 0 }, name)
            } else if name == "attention.W.weight" || name == "attention.U.weight" {
                XCTAssertEqual(sd(p), 0.001, accuracy: 0.0004, name)
            } else {
                XCTAssertEqual(sd(p), 0.01, accuracy: 0.004, name)
            }
        }
    }
}

private extension Module {
    func zeroGradAll() { for p in parameters { p.zeroGrad() } }
}
