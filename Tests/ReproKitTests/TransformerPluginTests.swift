import XCTest
import Foundation
import ReproKit

/// The Transformer plugin through the real binary and dlopen, on the generated toy task (the
/// quick variant of `transformer-mini`): it learns, draws each head's attention with token
/// labels, stores the model by PyTorch's names with the tokenizers, and the translations its
/// beam search (with the key/value cache) wrote carry the log-probabilities that teacher
/// forcing of the checkpoint's weights gives.
final class TransformerPluginTests: XCTestCase {
    private var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-transformer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: artifacts) }

    private func run(_ args: [String]) throws -> CLITests.Output {
        try CLITests.Running(args, papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
    }

    struct Hypotheses: Decodable {
        struct Sentence: Decodable {
            let reference: String, source: [Int], output: [Int], finished: Bool
            let log_probability: Double
        }
        let beam_size: Int
        let sentences: [Sentence]
    }

    func testQuickRunTranslatesDrawsHeadsAndItsBeamScoresMatchTheCheckpoint() throws {
        let o = try run(["run", "transformer-mini", "--quick", "--seed", "0"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["test_bleu"])
        // Reversing and mapping up to 10 tokens: a model that did not learn scores near 0.
        XCTAssertGreaterThan(summary.metrics["test_bleu"] ?? 0, 50)
        XCTAssertNotNil(summary.metrics["valid_ppl"])
        XCTAssertEqual(summary.drawings.filter { !$0.hasPrefix("curves") }.sorted(),
                       ["alignments.png", "attention_heads.png", "bleu_by_length.png", "test_hypotheses.json", "translations.md"])
        // Two rows (encoder self-attention, decoder over source) of four heads.
        let heads = try PNGImage(contentsOfFile: folder.appendingPathComponent("attention_heads.png").path)
        XCTAssertGreaterThan(heads.width, 4 * 6 * 18)
        XCTAssertGreaterThan(heads.height, 2 * 6 * 18)

        let checkpoint = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        XCTAssertEqual(checkpoint.metadata.plugin, "transformer")
        let tensors = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.0, $0.1) })
        for name in ["source_embedding.weight", "target_embedding.weight", "encoder.layers.1.self_attn.in_proj_weight",
                     "decoder.layers.1.multihead_attn.in_proj_weight", "decoder.layers.0.norm3.weight"] {
            XCTAssertNotNil(tensors[name], "\(name) missing from \(tensors.keys.sorted())")
        }
        XCTAssertFalse(tensors.keys.contains { $0.hasPrefix("output") || $0 == "pe" || $0.hasPrefix("sinusoids") },
                       "the output layer is the target embedding, the sinusoids no parameter: \(tensors.keys.sorted())")
        let target = try TranslationData.tokenizer(serialized: try XCTUnwrap(checkpoint.task.strings["target_tokenizer"]))
        XCTAssertEqual(target.vocabularySize, 20)

        // The checkpoint's model, teacher-forced on each saved output, gives the
        // log-probability beam search reported for it.
        let hyps = try JSONDecoder().decode(Hypotheses.self, from: Data(contentsOf: folder.appendingPathComponent("test_hypotheses.json")))
        XCTAssertEqual(hyps.beam_size, 4)
        XCTAssertEqual(hyps.sentences.count, 8)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        var settings: [String: ConfigValue] = [:]
        for key in ["d_model", "heads", "layers", "feed_forward"] {
            settings[key] = .int(Int(try XCTUnwrap((config["config"] as? [String: String])?[key]))!)
        }
        let model = try TransformerModelTests.makeModel(settings)
        for (name, p) in model.namedParameters() { p.assign(try XCTUnwrap(tensors[name], name)) }
        model.eval()
        for s in hyps.sentences {
            XCTAssertTrue(s.finished, "\(s.reference) did not end")
            let batch = Seq2SeqBatch([(s.source, s.output)], pad: target.pad, bos: target.bos, eos: target.eos)
            let logp = withNoGrad { model.logits(batch).logSoftmax(axis: -1) }.scalars
            let v = target.vocabularySize
            let wanted = s.output + [target.eos]
            let total = wanted.enumerated().reduce(0.0) { $0 + Double(logp[$1.offset * v + $1.element]) }
            XCTAssertEqual(total, s.log_probability, accuracy: 1e-3, s.reference)
        }
    }

    /// `repro compare` puts the quick transformer-mini beside the quick bahdanau-mini: the
    /// same test BLEU metric against each paper's reported number.
    func testCompareShowsItBesideBahdanau() throws {
        for name in ["transformer-mini", "bahdanau-mini"] {
            let o = try run(["run", name, "--quick", "--seed", "1"])
            XCTAssertEqual(o.status, 0, "\(name): \(o.stdout)\n\(o.stderr)")
        }
        let o = try run(["compare", "--quick", "--markdown"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let rows = o.stdout.split(separator: "\n").filter { $0.contains("test_bleu") }
        XCTAssertTrue(rows.contains { $0.contains("transformer-mini") && $0.contains("27.3") }, o.stdout)
        XCTAssertTrue(rows.contains { $0.contains("bahdanau-mini") && $0.contains("21.5") }, o.stdout)
        XCTAssertFalse(rows.contains { $0.contains("transformer-mini") && $0.contains("not run") }, o.stdout)
    }

    /// Ctrl-C mid-run, then `repro resume`, with one embedding matrix for source, target and
    /// output: the final checkpoint equals an uninterrupted run's in every tensor (the shared
    /// matrix stored once, Adam's moments, the many dropout streams) and in the tokenizer.
    func testResumeAfterCtrlCIsBitIdenticalWithASharedVocabulary() throws {
        // Three epochs stay below the card's 10-epoch quick floor: both runs end with exit 1
        // ("an assertion did not hold") after training to the end, which is all this needs.
        let args = ["run", "transformer-mini", "--quick", "--seed", "5", "--set", "shared_vocabulary=true", "--set", "epochs=3"]
        let (a, b) = try ResumeCheck.interruptResumeAndCompare(args, experiment: "transformer-mini", artifacts: artifacts,
                                                               exitStatus: 1)
        XCTAssertEqual(a.step, 375)
        XCTAssertEqual(b.step, 375)
        XCTAssertEqual(a.tensors.map(\.0).filter { $0.contains("embedding") }, ["embedding.weight"])
        XCTAssertEqual(a.task.strings["source_tokenizer"], a.task.strings["target_tokenizer"], "one vocabulary")
    }

    /// The Table 3 study at quick scale: each row changes only what it names (heads at a fixed
    /// d_model keep every parameter's shape; learned positions add two tables), every run
    /// evaluates every 125 steps for the perplexity figure, and the report's table gives each
    /// row's BLEU and perplexity.
    func testQuickAblationStudyRunsEveryRowAndWritesItsTable() throws {
        let o = try run(["run", "transformer-ablations", "--quick", "--seed", "0"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let (study, folder) = try o.study()
        let rows = ["base", "heads1", "heads8", "learned", "no_smoothing", "no_dropout"]
        XCTAssertEqual(Set(study.runs.keys), Set(rows))
        XCTAssertTrue(study.claims.allSatisfy(\.matchesRecorded), "\(study.claims)")

        var shapes: [String: [String: [Int]]] = [:]
        for row in rows {
            let dir = try RunFolder(url: URL(fileURLWithPath: XCTUnwrap(study.runs[row]?.first)))
            let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent("config.json"))) as? [String: Any])
            let settings = try XCTUnwrap(config["config"] as? [String: Any], "\(config.keys)")
            let expected = switch row {
            case "heads1": ["1", "sinusoidal", "0.1", "0.1"]
            case "heads8": ["8", "sinusoidal", "0.1", "0.1"]
            case "learned": ["4", "learned", "0.1", "0.1"]
            case "no_smoothing": ["4", "sinusoidal", "0.0", "0.1"]
            case "no_dropout": ["4", "sinusoidal", "0.1", "0.0"]
            default: ["4", "sinusoidal", "0.1", "0.1"]
            }
            XCTAssertEqual(["heads", "positions", "label_smoothing", "dropout"].map { settings[$0] as? String }, expected, row)
            let evals = try MetricsLogWriter.read(dir.url.appendingPathComponent("metrics.jsonl")).series("eval", "valid_ppl")
            XCTAssertEqual(evals.map(\.x), [125, 250, 375, 500], row)
            let checkpoint = try Checkpoint.read(from: dir.checkpoint)
            shapes[row] = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.0, $0.1.shape) })
        }
        XCTAssertEqual(shapes["heads1"], shapes["base"])
        XCTAssertEqual(shapes["heads8"], shapes["base"])
        let added = Set(shapes["learned"]!.keys).subtracting(shapes["base"]!.keys)
        XCTAssertEqual(added, ["source_positions.weight", "target_positions.weight"])

        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| variant | config | mean test_bleu | mean valid_ppl | runs |"), report)
        for row in rows {
            let cells = try XCTUnwrap(report.split(separator: "\n").first { $0.hasPrefix("| \(row) | ") }, row)
                .split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let bleu = try XCTUnwrap(Double(cells[2]), String(cells[2])), ppl = try XCTUnwrap(Double(cells[3]), String(cells[3]))
            XCTAssertEqual(bleu, study.means[row]!["test_bleu"]!, accuracy: 1e-4, row)
            XCTAssertEqual(ppl, study.means[row]!["valid_ppl"]!, accuracy: 1e-4, row)
            if row != "heads1" { XCTAssertGreaterThan(bleu, 10, "\(row) learned something") }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figure.png").path))
    }

    /// `repro bench transformer-mini` times training, then beam search with `<eos>` forbidden:
    /// every test sentence decodes to its length limit (2n + 10 tokens for n source tokens),
    /// whatever the untrained weights prefer, so PyTorch can be given the same work.
    func testBenchTimesTrainingThenFixedLengthBeamSearch() throws {
        let o = try run(["bench", "transformer-mini", "--threads", "1", "--steps", "2", "--items", "8",
                         "--set", "dataset=toy", "--set", "d_model=32", "--set", "feed_forward=64", "--set", "layers=1"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let lines = o.stdout.split(separator: "\n").map { try? JSONDecoder().decode(BenchResult.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.map { $0?.case }, ["train_step", "inference"], o.stdout)
        let inference = try XCTUnwrap(lines.last ?? nil)
        XCTAssertGreaterThan(inference.itemsPerSecond ?? 0, 0)
        let note = try XCTUnwrap(inference.note)
        XCTAssertTrue(note.hasPrefix("beam 4, <eos> forbidden"), note)
        let pairs = note.split(separator: ":").last!.split(separator: ",").compactMap { p -> (Int, Int)? in
            let n = p.split(separator: "→").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return n.count == 2 ? (n[0], n[1]) : nil
        }
        XCTAssertFalse(pairs.isEmpty, note)
        for (source, output) in pairs { XCTAssertEqual(output, 2 * source + 10, note) }
    }

    /// `transformer-vs-rnn` at quick scale: its `rnnsearch` variant is bahdanau-mini's own quick
    /// run (the Bahdanau plugin's folder, checkpoint and card assertion), beside this plugin's
    /// Transformer, and the claims are shown (not judged on the two different toy tasks).
    func testQuickTransformerAgainstRNNsearchRunsBothPlugins() throws {
        let o = try run(["run", "transformer-vs-rnn", "--quick", "--seed", "0"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let (study, _) = try o.study()
        XCTAssertEqual(study.claims.count, 2)
        XCTAssertTrue(study.claims.allSatisfy(\.matchesRecorded), "\(study.claims)")
        let rnn = try RunFolder(url: URL(fileURLWithPath: XCTUnwrap(study.runs["rnnsearch"]?.first)))
        let transformer = try RunFolder(url: URL(fileURLWithPath: XCTUnwrap(study.runs["transformer"]?.first)))
        XCTAssertEqual(rnn.url.deletingLastPathComponent().lastPathComponent, "bahdanau-mini")
        XCTAssertEqual(try rnn.readJSON(RunSummary.self, from: "summary.json").assertions.map(\.metric), ["test_bleu"])
        let rnnNames = try Checkpoint.read(from: rnn.checkpoint).tensors.map(\.0)
        let transformerNames = try Checkpoint.read(from: transformer.checkpoint).tensors.map(\.0)
        XCTAssertTrue(rnnNames.contains("encoder.weight_hh_l0_reverse") && rnnNames.contains("attention.v.weight"), "\(rnnNames)")
        XCTAssertFalse(rnnNames.contains { $0.contains("self_attn") }, "\(rnnNames)")
        XCTAssertTrue(transformerNames.contains { $0.contains("self_attn") }, "\(transformerNames)")
        for variant in ["transformer", "rnnsearch"] {
            XCTAssertGreaterThan(study.means[variant]?["test_bleu"] ?? 0, 50, variant)
        }
    }
}
