import Foundation
import XCTest
import ReproKit

/// A run with dropout inside attention and recurrent layers, stopped after 3 steps,
/// checkpointed with the real `Checkpoint.write` and resumed in a model built from another
/// seed, continues bit for bit as a run that was never stopped: every random stream a module
/// holds is in `namedRandomStates()` and so in the checkpoint.
final class ResumeRandomStateTests: XCTestCase {
    /// A Transformer encoder layer cut down: attention with dropout on its weights, residual
    /// dropout, layer norms, a feed-forward layer and a classifier head.
    final class TinyTransformerLayer: Module {
        let attn: MultiheadAttention
        let drop: Dropout
        let norm1: LayerNorm
        let ff: Linear
        let norm2: LayerNorm
        let head: Linear

        init(seed: UInt64) {
            var rng = RNG(seed: seed)
            attn = MultiheadAttention(embedDim: 8, heads: 2, dropout: 0.1, rng: &rng)
            drop = Dropout(0.1, rng: &rng)
            norm1 = LayerNorm(8)
            ff = Linear(8, 8, rng: &rng)
            norm2 = LayerNorm(8)
            head = Linear(8, 4, rng: &rng)
            super.init()
        }

        override func callAsFunction(_ x: Tensor) -> Tensor {
            let h = norm1(x + drop(attn(x)))
            return head(norm2(h + drop(ff(h).relu())))
        }
    }

    /// A 2-layer recurrent layer (dropout between the layers) and a per-step classifier.
    final class Tagger: Module {
        let rnn: Module
        let head: Linear

        init(seed: UInt64, lstm: Bool) {
            var rng = RNG(seed: seed)
            rnn = lstm
                ? LSTM(inputSize: 8, hiddenSize: 6, numLayers: 2, dropout: 0.3, rng: &rng)
                : GRU(inputSize: 8, hiddenSize: 6, numLayers: 2, dropout: 0.3, rng: &rng)
            head = Linear(6, 4, rng: &rng)
            super.init()
        }

        override func callAsFunction(_ x: Tensor) -> Tensor { head(rnn(x)) }
    }

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testTransformerLayerResumesExactly() throws {
        try assertResumesExactly(streams: ["attn.dropout_rng", "drop.rng"]) { TinyTransformerLayer(seed: $0) }
    }

    func testGRUResumesExactly() throws {
        try assertResumesExactly(streams: ["rnn.dropout_rng"]) { Tagger(seed: $0, lstm: false) }
    }

    func testLSTMResumesExactly() throws {
        try assertResumesExactly(streams: ["rnn.dropout_rng"]) { Tagger(seed: $0, lstm: true) }
    }

    // MARK: The run, the stop and the resume

    /// Step k's batch: x [2, 5, 8] and 10 targets in 0..<4, the same in every run.
    func batch(_ k: Int) -> (Tensor, [Int]) {
        var rng = RNG(seed: 1000 + UInt64(k))
        let x = Tensor.randn([2, 5, 8], rng: &rng)
        return (x, (0..<10).map { _ in Int(rng.next() % 4) })
    }

    func sgd(_ m: Module) -> SGD { SGD(m.namedParameters(), learningRate: 0.1, momentum: 0.9) }

    /// Trains `steps` in training mode; each step's logits, as bit patterns.
    func train(_ m: Module, _ opt: SGD, _ steps: Range<Int>) throws -> [[UInt32]] {
        m.train()
        var outputs: [[UInt32]] = []
        for k in steps {
            let (x, y) = batch(k)
            for p in m.parameters { p.zeroGrad() }
            let logits = m(x)
            try crossEntropy(logits.reshaped([10, 4]), targets: y).backward()
            opt.step()
            outputs.append(logits.scalars.map(\.bitPattern))
        }
        return outputs
    }

    func bits(_ state: [(String, Tensor)]) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: state.map { ($0.0, $0.1.scalars.map(\.bitPattern)) })
    }

    /// Model, optimizer and random streams as Trainer saves them (streams as "model.<name>").
    func save(_ m: Module, _ opt: SGD, to url: URL) throws {
        let o = opt.stateDict()
        var rng: [String: RNG] = [:]
        for (name, box) in m.namedRandomStates() { rng["model." + name] = box.wrappedValue }
        let meta = CheckpointMetadata(plugin: "test", pluginVersion: "1", experiment: "resume", configJSON: "{}")
        try Checkpoint.write(CheckpointContents(tensors: m.stateDict(), metadata: meta, optimizerTensors: o.tensors,
                                                optimizerScalars: o.scalars, rng: rng, step: 3), to: url)
    }

    /// Everything back from the file, as Trainer.restore does.
    func restore(_ m: Module, _ opt: SGD, from url: URL) throws {
        let c = try Checkpoint.read(from: url)
        try Checkpoint.load(c, into: m)
        try opt.loadStateDict(OptimizerState(tensors: c.optimizerTensors, scalars: c.optimizerScalars))
        for (name, box) in m.namedRandomStates() {
            box.wrappedValue = try XCTUnwrap(c.rng["model." + name], "rng/model.\(name) missing")
        }
    }

    func assertResumesExactly(streams: [String], file: StaticString = #filePath, line: UInt = #line,
                              _ make: (UInt64) -> Module) throws {
        let straight = make(1), straightOpt = sgd(straight)
        let expected = try train(straight, straightOpt, 0..<6)

        let first = make(1), firstOpt = sgd(first)
        XCTAssertEqual(try train(first, firstOpt, 0..<3), Array(expected[0..<3]), "same seed, same start",
                       file: file, line: line)
        XCTAssertEqual(first.namedRandomStates().map(\.0), streams, file: file, line: line)
        let url = dir.appendingPathComponent("step3.h5")
        try save(first, firstOpt, to: url)

        let resumed = make(2), resumedOpt = sgd(resumed)
        try restore(resumed, resumedOpt, from: url)
        let got = try train(resumed, resumedOpt, 3..<6)
        for k in 0..<3 {
            XCTAssertEqual(got[k], expected[3 + k], "training output at step \(4 + k)", file: file, line: line)
        }
        XCTAssertEqual(bits(resumed.stateDict()), bits(straight.stateDict()), "parameters after 6 steps",
                       file: file, line: line)
        // Dropout is really on: in training mode the same input gives another output.
        let probe = make(1), x = batch(0).0
        let trainingOutput = probe(x).scalars
        probe.eval()
        XCTAssertNotEqual(trainingOutput, probe(x).scalars, "dropout inactive", file: file, line: line)
    }
}
