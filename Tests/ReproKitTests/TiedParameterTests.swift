import Foundation
import XCTest
import ReproKit

/// Tied weights (Vaswani et al. 2017, §3.4: embedding and output projection share one
/// matrix): the shared tensor is one parameter — counted, saved and stepped once — and two
/// SGD steps match PyTorch's (Tests/Fixtures/golden_tied.json, from
/// scripts/golden/make_tied_fixture.py).
final class TiedParameterTests: XCTestCase {
    struct TiedFixture: Decodable {
        struct Step: Decodable { let loss: Float; let weight: GoldenTensor; let bias: GoldenTensor }
        let vocab: Int, dim: Int, ids: [Int], targets: [Int]
        let lr: Float, momentum: Float
        let named_parameters: [String]
        let initial: [String: GoldenTensor]
        let steps: [Step]
    }

    static let fixture: TiedFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden_tied.json")
        return try! JSONDecoder().decode(TiedFixture.self, from: Data(contentsOf: url))
    }()

    /// Embedding(V, D) → Linear(D, V) whose weight is the embedding's tensor.
    final class TiedLM: Module {
        let embed: Embedding
        let out: Linear

        /// The random init is overwritten by the fixture's formula unless `formula` is false
        /// (a model to load a checkpoint into).
        init(vocab: Int, dim: Int, seed: UInt64, formula: Bool = true) {
            var rng = RNG(seed: seed)
            embed = Embedding(vocab, dim, rng: &rng)
            out = Linear(dim, vocab, rng: &rng)
            out.weight = embed.weight
            super.init()
            guard formula else { return }
            // Exact binary fractions, as make_tied_fixture.py's initial_weight/initial_bias.
            var w: [Float] = [], b: [Float] = []
            for i in 0..<vocab {
                for j in 0..<dim { w.append(Float((3 * i + 5 * j) % 7 - 3) / 8) }
                b.append(Float(i % 3 - 1) / 4)
            }
            embed.weight.assign(Tensor(w, shape: [vocab, dim]))
            out.bias!.assign(Tensor(b))
        }

        func callAsFunction(_ ids: [Int]) -> Tensor { out(embed(ids)) }
    }

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tied-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func model(seed: UInt64 = 1, formula: Bool = true) -> TiedLM {
        TiedLM(vocab: Self.fixture.vocab, dim: Self.fixture.dim, seed: seed, formula: formula)
    }

    func testSharedTensorIsListedOnceUnderItsFirstName() {
        let f = Self.fixture, m = model()
        XCTAssertTrue(m.out.weight === m.embed.weight, "the test model must really share the tensor")
        XCTAssertEqual(m.namedParameters().map(\.0), f.named_parameters)
        XCTAssertEqual(m.stateDict().map(\.0), ["embed.weight", "out.bias"])
        XCTAssertEqual(m.parameters.count, 2)
        XCTAssertEqual(m.parameterCount, f.vocab * f.dim + f.vocab)
        let ties = m.tiedParameters()
        XCTAssertEqual(ties.map(\.alias), ["out.weight"])
        XCTAssertEqual(ties.map(\.canonical), ["embed.weight"])
        XCTAssertEqual(m.embed.weight.scalars, f.initial["weight"]!.data, "Swift's init formula is the script's")
        XCTAssertEqual(m.out.bias!.scalars, f.initial["bias"]!.data)
    }

    func testUntiedModelHasNoTies() {
        var rng = RNG(seed: 3)
        let m = Sequential([Embedding(5, 3, rng: &rng), Linear(3, 5, rng: &rng)])
        XCTAssertTrue(m.tiedParameters().isEmpty)
        XCTAssertEqual(m.stateDict().map(\.0), ["0.weight", "1.weight", "1.bias"])
    }

    /// The same module reachable twice (a shared block) is one set of parameters, as PyTorch's
    /// named_parameters() gives, and its tensors are aliases under the second path; a shared
    /// Dropout is one random stream.
    func testSharedModuleIsListedOnce() {
        var rng = RNG(seed: 4)
        let block = Linear(2, 2, rng: &rng), drop = Dropout(0.5, rng: &rng)
        let m = Sequential([block, drop, Linear(2, 2, rng: &rng), block, drop])
        XCTAssertEqual(m.namedRandomStates().map(\.0), ["1.rng"])
        XCTAssertEqual(m.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(m.tiedParameters().map(\.alias), ["3.weight", "3.bias"])
        XCTAssertEqual(m.tiedParameters().map(\.canonical), ["0.weight", "0.bias"])
    }

    /// An optimizer handed the shared tensor under both names still holds it once.
    func testParameterGroupKeepsATensorOnce() {
        let m = model()
        let group = ParameterGroup(m.namedParameters() + [("out.weight", m.out.weight)])
        XCTAssertEqual(group.parameters.map(\.name), ["embed.weight", "out.bias"])
    }

    func testTwoSGDStepsMatchPyTorch() throws {
        let f = Self.fixture, m = model()
        let opt = SGD(m.namedParameters(), learningRate: f.lr, momentum: f.momentum)
        for (k, golden) in f.steps.enumerated() {
            for p in m.parameters { p.zeroGrad() }
            let loss = crossEntropy(m(f.ids), targets: f.targets)
            try loss.backward()
            opt.step()
            XCTAssertEqual(loss.item(), golden.loss, accuracy: 1e-6, "loss at step \(k + 1)")
            assertAbsClose(m.embed.weight, golden.weight, "weight after step \(k + 1)")
            assertAbsClose(m.out.bias!, golden.bias, "bias after step \(k + 1)")
        }
        XCTAssertTrue(m.out.weight === m.embed.weight, "stepping must not untie")
        XCTAssertEqual(opt.stateDict().tensors.keys.sorted(), ["momentum.embed.weight", "momentum.out.bias"])
    }

    func testCheckpointRoundTripKeepsTheTie() throws {
        let trained = model()
        let opt = SGD(trained.namedParameters(), learningRate: 0.1, momentum: 0.9)
        try crossEntropy(trained(Self.fixture.ids), targets: Self.fixture.targets).backward()
        opt.step()
        let url = dir.appendingPathComponent("tied.h5")
        let meta = CheckpointMetadata(plugin: "test", pluginVersion: "1", experiment: "tied", configJSON: "{}")
        try Checkpoint.write(CheckpointContents(tensors: trained.stateDict(), metadata: meta), to: url)

        let read = try Checkpoint.read(from: url)
        XCTAssertEqual(read.tensors.map(\.0), ["embed.weight", "out.bias"], "the shared tensor is saved once")
        let fresh = model(seed: 2, formula: false)
        XCTAssertNotEqual(fresh.embed.weight.scalars, trained.embed.weight.scalars)
        try Checkpoint.load(read, into: fresh)
        XCTAssertTrue(fresh.out.weight === fresh.embed.weight, "loading must not untie")
        for ((name, a), (_, b)) in zip(trained.stateDict(), fresh.stateDict()) {
            XCTAssertEqual(a.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern), name)
        }
        XCTAssertEqual(fresh(Self.fixture.ids).scalars, trained(Self.fixture.ids).scalars)
    }

    func assertAbsClose(_ t: Tensor, _ g: GoldenTensor, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(t.shape, g.shape, what, file: file, line: line)
        for (i, (a, b)) in zip(t.scalars, g.data).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-6, "\(what)[\(i)]", file: file, line: line)
        }
    }
}
