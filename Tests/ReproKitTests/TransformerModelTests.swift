import XCTest
import Foundation
import ReproKit

/// The Transformer plugin's model (arXiv:1706.03762) against PyTorch
/// (Tests/Fixtures/transformer_golden.json, written by scripts/golden/transformer.py), through
/// the built libTransformer.so: state-dict names and shapes, teacher-forced logits, the
/// label-smoothed loss and every parameter's gradient, for post-norm with sinusoids, pre-norm
/// with learned positions, and one shared embedding matrix; then decoding with the key/value
/// cache against teacher forcing.
final class TransformerModelTests: XCTestCase {
    struct Named: Decodable {
        let name: String
        let shape: [Int]
        let data: [Float]
    }

    struct Case: Decodable {
        let name: String
        let config: [String: JSONScalar]
        let source_vocab: Int
        let target_vocab: Int
        let sources: [[Int]]
        let targets: [[Int]]
        let parameters: [Named]
        let logits: GoldenTensor
        let loss: Double
        let grads: [String: GoldenTensor]
    }

    /// A config value of the fixture: a string or a boolean.
    enum JSONScalar: Decodable {
        case string(String), bool(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else { self = .string(try c.decode(String.self)) }
        }
        var value: ConfigValue {
            switch self {
            case .string(let s): return .string(s)
            case .bool(let b): return .bool(b)
            }
        }
    }

    struct File: Decodable {
        let generator: String
        let sizes: [String: Int]
        let pad: Int, bos: Int, eos: Int
        let cases: [Case]
    }

    static let fixture: File = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/transformer_golden.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    /// The plugin's translate task on the toy data with `settings`; its model.
    static func makeModel(_ settings: [String: ConfigValue]) throws -> any TranslationModel {
        try BuiltPlugin.translationModel("Transformer", id: "transformer", settings: [
            ("dataset", .string("toy")), ("dropout", .double(0)),
        ] + settings.map { ($0.key, $0.value) })
    }

    /// The fixture's model with PyTorch's weights, and the fixture's batch.
    func load(_ c: Case, dropout: Double = 0) throws -> (model: any TranslationModel, batch: Seq2SeqBatch) {
        var settings: [String: ConfigValue] = ["dropout": .double(dropout)]
        for (k, v) in Self.fixture.sizes { settings[k] = .int(v) }
        for (k, v) in c.config { settings[k] = v.value }
        let model = try Self.makeModel(settings)
        let ours = model.namedParameters()
        XCTAssertEqual(Set(ours.map(\.0)), Set(c.parameters.map(\.name)), "\(c.name): state-dict names")
        let theirs = Dictionary(uniqueKeysWithValues: c.parameters.map { ($0.name, $0) })
        for (name, p) in ours {
            let t = try XCTUnwrap(theirs[name], "\(c.name): \(name)")
            XCTAssertEqual(p.shape, t.shape, "\(c.name): \(name)")
            p.assign(Tensor(t.data, shape: t.shape))
        }
        let f = Self.fixture
        return (model, Seq2SeqBatch(Array(zip(c.sources, c.targets)), pad: f.pad, bos: f.bos, eos: f.eos))
    }

    func testNamesLogitsLossAndGradientsMatchPyTorch() throws {
        XCTAssertEqual(Self.fixture.cases.map(\.name), ["post_sinusoidal", "pre_learned", "shared"])
        for c in Self.fixture.cases {
            let (model, batch) = try load(c)
            for p in model.parameters { p.zeroGrad() }
            let logits = model.logits(batch)
            assertMatchesGolden(logits, c.logits, "\(c.name) logits")
            let (b, t) = (batch.count, batch.decoderInput.length)
            let loss = crossEntropy(logits.reshaped([b * t, c.target_vocab]), targets: batch.decoderTarget, labelSmoothing: 0.1)
            XCTAssertEqual(Double(loss.item()), c.loss, accuracy: 1e-5 * c.loss, "\(c.name) loss")
            try loss.backward()
            for (name, p) in model.namedParameters() {
                let g = try XCTUnwrap(p.grad, "\(c.name): no gradient for \(name)")
                assertMatchesGolden(g, try XCTUnwrap(c.grads[name], name), rtol: 2e-4, "\(c.name) grad \(name)")
            }
        }
    }

    /// One matrix serves source, target and output when the vocabulary is shared, and it is
    /// stored once; otherwise the target embedding is the output layer and no separate output
    /// weight exists.
    func testTiedEmbeddingsAreStoredOnce() throws {
        let shared = try Self.makeModel(["shared_vocabulary": .bool(true), "d_model": .int(8), "heads": .int(2)])
        let names = shared.namedParameters().map(\.0)
        XCTAssertEqual(names.filter { $0.contains("embedding") }, ["embedding.weight"])
        let split = try Self.makeModel(["d_model": .int(8), "heads": .int(2)])
        XCTAssertEqual(split.namedParameters().map(\.0).filter { $0.contains("embedding") || $0.hasPrefix("output") },
                       ["source_embedding.weight", "target_embedding.weight"])
    }

    /// startDecoding + decodeStep (the key/value cache) fed the teacher's tokens give the
    /// log-softmax of the teacher-forced logits row by row; the attention over the source sums
    /// to 1 with zeros on its padding; selectRows reorders and repeats rows mid-sentence. The
    /// model has dropout 0.3, so a dropout left on in decoding would show.
    func testCachedDecodingEqualsTeacherForcing() throws {
        for c in Self.fixture.cases {
            let (model, batch) = try load(c, dropout: 0.3)
            try checkStepwise(model, batch, c)
        }
    }

    private func checkStepwise<M: TranslationModel>(_ model: M, _ batch: Seq2SeqBatch, _ c: Case) throws {
        model.eval()
        defer { model.train() }
        try withNoGrad {
            let (b, t, s, v) = (batch.count, batch.decoderInput.length, batch.source.length, c.target_vocab)
            let teacher = model.logits(batch).logSoftmax(axis: -1).scalars        // [B, T, V]
            var state = model.startDecoding(batch.source)
            let picked = [2, 0, 0, 1]
            var branch: M.DecoderState? = nil
            for i in 0..<t {
                let tokens = (0..<b).map { batch.decoderInput.ids[$0 * t + i] }
                let step = model.decodeStep(state, tokens: tokens)
                XCTAssertEqual(step.logProbabilities.shape, [b, v])
                let rows = step.logProbabilities.scalars
                for r in 0..<b {
                    for k in 0..<v {
                        let want = teacher[(r * t + i) * v + k]
                        XCTAssertEqual(rows[r * v + k], want, accuracy: 1e-4 * max(1, abs(want)), "\(c.name) step \(i) row \(r) token \(k)")
                    }
                }
                let alpha = try XCTUnwrap(step.attention, "\(c.name): no attention weights").scalars
                for r in 0..<b {
                    XCTAssertEqual(alpha[(r * s)..<(r * s + s)].reduce(0, +), 1, accuracy: 1e-5, "\(c.name) α row \(r)")
                    for j in batch.source.lengths[r]..<s { XCTAssertEqual(alpha[r * s + j], 0, "\(c.name) α on padding") }
                }
                if let current = branch {
                    let other = model.decodeStep(current, tokens: picked.map { tokens[$0] })
                    let o = other.logProbabilities.scalars
                    for (r, src) in picked.enumerated() {
                        for k in 0..<v {
                            XCTAssertEqual(o[r * v + k], rows[src * v + k], accuracy: 1e-5, "\(c.name) selected row \(r) (= \(src)) step \(i)")
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

    /// Dropout acts in training only: in eval mode dropout 0.3 gives PyTorch's dropout-free
    /// logits; in training it does not.
    func testDropoutActsOnlyInTraining() throws {
        let (model, batch) = try load(Self.fixture.cases[0], dropout: 0.3)
        let c = Self.fixture.cases[0]
        model.eval()
        assertMatchesGolden(withNoGrad { model.logits(batch) }, c.logits, "eval logits with dropout 0.3")
        model.train()
        let first = withNoGrad { model.logits(batch) }.scalars
        let off = zip(first, c.logits.data).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(off, 1e-2, "dropout changed nothing in training")
    }

    func testConfigErrorsNameTheFix() throws {
        XCTAssertThrowsError(try Self.makeModel(["d_model": .int(30), "heads": .int(4)])) { error in
            XCTAssertTrue("\(error)".contains("multiple of heads"), "\(error)")
        }
        XCTAssertThrowsError(try Self.makeModel(["max_positions": .int(8)])) { error in
            XCTAssertTrue("\(error)".contains("max_positions"), "\(error)")
        }
    }
}
