import XCTest
import Foundation
import ReproKit

/// The Bahdanau plugin through the real binary and dlopen, on the generated toy task (its
/// quick variants): training, beam-search BLEU, the alignment figure, sample translations in
/// the report, the tokenizers in the checkpoint, and a Ctrl-C + resume that ends bit-identical
/// to an uninterrupted run.
final class BahdanauPluginTests: XCTestCase {
    private var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-bahdanau-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: artifacts) }

    private func run(_ args: [String]) throws -> CLITests.Output {
        try CLITests.Running(args, papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
    }

    func testQuickRunTranslatesTheToyTaskAndDrawsItsAlignments() throws {
        let o = try run(["run", "bahdanau-mini", "--quick", "--seed", "0"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["test_bleu"])
        // Reversing and mapping up to 10 tokens: a model that did not learn scores near 0.
        XCTAssertGreaterThan(summary.metrics["test_bleu"] ?? 0, 50)
        XCTAssertGreaterThan(summary.metrics["test_chrf"] ?? 0, 50)
        XCTAssertNotNil(summary.metrics["test_bleu_len_0_9"])
        XCTAssertNotNil(summary.metrics["valid_bleu"])
        XCTAssertEqual(summary.drawings.filter { !$0.hasPrefix("curves") }.sorted(),
                       ["alignments.png", "bleu_by_length.png", "test_hypotheses.json", "translations.md"])
        let alignments = try PNGImage(contentsOfFile: folder.appendingPathComponent("alignments.png").path)
        XCTAssertGreaterThan(alignments.width, 400)
        XCTAssertGreaterThan(alignments.height, 300)
        // The samples are in the report as text: source, reference and the model's output.
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| reference | b"), report)
        XCTAssertTrue(report.contains("| output | b"), report)
        XCTAssertTrue(report.contains("![alignments.png](alignments.png)"), report)

        // The checkpoint holds the model by PyTorch-style names and both tokenizers, which
        // read back as the 16-word vocabularies of the toy task plus the four specials.
        let checkpoint = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        XCTAssertEqual(checkpoint.metadata.plugin, "bahdanau")
        let names = Set(checkpoint.tensors.map(\.0))
        for name in ["encoder.weight_hh_l0_reverse", "attention.v.weight", "decoder.weight_ih", "output.weight"] {
            XCTAssertTrue(names.contains(name), "\(name) missing from \(names.sorted())")
        }
        let source = try TranslationData.tokenizer(serialized: try XCTUnwrap(checkpoint.task.strings["source_tokenizer"]))
        let target = try TranslationData.tokenizer(serialized: try XCTUnwrap(checkpoint.task.strings["target_tokenizer"]))
        XCTAssertEqual(source.vocabularySize, 20)
        XCTAssertEqual(target.vocabularySize, 20)
        XCTAssertEqual(target.decode(target.encode("b3 b12 b0")), "b3 b12 b0")
    }

    /// `repro run bahdanau-length --quick`: RNNsearch and RNNencdec on the toy task with
    /// sentences of up to 20 tokens, the card's claims judged as recorded, Figure 2 drawn with
    /// the attention model above the fixed-context one on long sentences.
    func testQuickLengthStudyJudgesTheClaimsAndDrawsFigure2() throws {
        let o = try run(["run", "bahdanau-length", "--quick", "--seed", "0"])
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let (study, folder) = try o.study()
        XCTAssertEqual(Set(study.runs.keys), ["rnnsearch", "rnnencdec"])
        XCTAssertFalse(study.claims.isEmpty)
        XCTAssertTrue(study.claims.allSatisfy(\.matchesRecorded), "\(study.claims)")
        let search = try XCTUnwrap(study.means["rnnsearch"]), encdec = try XCTUnwrap(study.means["rnnencdec"])
        XCTAssertGreaterThan(search["test_bleu_len_10_19"] ?? 0, encdec["test_bleu_len_10_19"] ?? 100)
        XCTAssertGreaterThan(search["test_bleu_long_over_short"] ?? 0, encdec["test_bleu_long_over_short"] ?? 1)
        let figure = try PNGImage(contentsOfFile: folder.appendingPathComponent("figure.png").path)
        XCTAssertEqual([figure.width, figure.height], [760, 500])
    }

    /// Ctrl-C mid-run, then `repro resume`: the final checkpoint equals an uninterrupted
    /// run's in every tensor (model, Adadelta or Adam state, dropout streams) and in the
    /// tokenizers; so do the evaluations.
    func testResumeAfterCtrlCIsBitIdentical() throws {
        _ = try ResumeCheck.interruptResumeAndCompare(["run", "bahdanau-mini", "--quick", "--seed", "5"],
                                                      experiment: "bahdanau-mini", artifacts: artifacts, exitStatus: 0)
    }
}
