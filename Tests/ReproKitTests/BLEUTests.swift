import XCTest
import ReproKit

/// Corpus BLEU, chrF and the 13a tokenizer against sacreBLEU's own output on the same text
/// (Tests/Fixtures/bleu.json): edge cases, punctuation, Unicode and Genesis verses.
final class BLEUTests: XCTestCase {
    let fixture = BLEUFixture.shared
    /// Far below the 0.01 that matters; the scores are computed operation for operation as
    /// sacreBLEU does, so they agree to the last bit or nearly.
    let tolerance = 1e-9

    func testFixtureIsFromTheVersionWeClaim() {
        XCTAssertEqual(fixture.sacrebleu_version, BLEU.sacreBLEUVersion)
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 10)
    }

    func testTokenizerMatchesSacreBLEU13a() throws {
        let cases = fixture.cases.filter { $0.tokenized != nil }
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        for c in cases {
            let golden = try XCTUnwrap(c.tokenized)
            XCTAssertEqual(c.hypotheses.map(Tokenizer13a.tokenize), golden.hypotheses, c.name)
            for (stream, goldenStream) in zip(c.references, golden.references) {
                XCTAssertEqual(stream.map(Tokenizer13a.tokenize), goldenStream, c.name)
            }
        }
    }

    func testTokenizerKeepsNumbersAndSplitsPunctuation() {
        XCTAssertEqual(Tokenizer13a.tokenize("It costs $3,000.50, a 12-year-old's e-mail."),
                       "It costs $ 3,000.50 , a 12 - year-old's e-mail .")
        XCTAssertEqual(Tokenizer13a.tokenize("&amp;lt;x&gt; <skipped>¿sí?"), "< x > ¿sí ?")
    }

    func testCorpusBLEUMatchesSacreBLEU() throws {
        for c in fixture.cases {
            let s = try BLEU.corpusScore(hypotheses: c.hypotheses, references: c.references)
            assertEqual(s, c.bleu, c.name)
        }
    }

    func testChrFMatchesSacreBLEU() throws {
        for c in fixture.cases {
            let s = try ChrF.corpusScore(hypotheses: c.hypotheses, references: c.references)
            XCTAssertEqual(s.score, c.chrf.score, accuracy: tolerance, c.name)
            XCTAssertEqual(s.signature, c.chrf.signature, c.name)
            XCTAssertEqual(s.description, c.chrf.text, c.name)
        }
    }

    /// Python compares code points: "e\u{301}" is not "é" there, though Swift's == says it is.
    func testCombiningAccentIsNotThePrecomposedLetter() throws {
        let s = try BLEU.corpusScore(hypotheses: ["cafe\u{301} noir"], references: [["café noir"]])
        XCTAssertEqual(s.counts[0], 1)
        let c = try ChrF.corpusScore(hypotheses: ["e\u{301}"], references: [["é"]])
        XCTAssertEqual(c.score, 0)
    }

    func testBLEUBySourceLengthMatchesSacreBLEUOnEachBucket() throws {
        let b = fixture.buckets
        let c = fixture.case(b.case)
        let buckets = try BLEU.bySourceLength(sourceLengths: b.source_lengths, hypotheses: c.hypotheses,
                                              references: c.references, edges: b.edges)
        XCTAssertEqual(buckets.count, b.scores.count)
        for (ours, golden) in zip(buckets, b.scores) {
            XCTAssertEqual(ours.lower, golden.lower); XCTAssertEqual(ours.upper, golden.upper)
            XCTAssertEqual(ours.sentences, golden.sentences, "bucket from \(golden.lower)")
            if let g = golden.bleu {
                assertEqual(try XCTUnwrap(ours.score), g, "bucket from \(golden.lower)")
            } else {
                XCTAssertNil(ours.score)
            }
        }
        XCTAssertEqual(buckets.map(\.sentences).reduce(0, +), c.hypotheses.count)
        // Lengths below the first edge are left out.
        let cut = try BLEU.bySourceLength(sourceLengths: b.source_lengths, hypotheses: c.hypotheses,
                                          references: c.references, edges: [10, 30])
        XCTAssertEqual(cut.map(\.sentences), [b.scores[1].sentences + b.scores[2].sentences,
                                              b.scores[3...].map(\.sentences).reduce(0, +)])
    }

    func testBadInputThrowsAndSaysWhat() {
        XCTAssertThrowsError(try BLEU.corpusScore(hypotheses: ["a"], references: [])) {
            XCTAssertEqual($0 as? TextMetricError, .noReferences)
        }
        XCTAssertThrowsError(try ChrF.corpusScore(hypotheses: ["a", "b"], references: [["a", "b"], ["a"]])) {
            XCTAssertEqual($0 as? TextMetricError, .lengthMismatch(stream: 1, lines: 1, hypotheses: 2))
            XCTAssertTrue("\($0)".hasPrefix("reference 2 has 1 lines but there are 2 hypotheses"), "\($0)")
        }
        XCTAssertThrowsError(try BLEU.bySourceLength(sourceLengths: [1], hypotheses: ["a"], references: [["a"]],
                                                     edges: [0, 10, 10]))
        XCTAssertThrowsError(try BLEU.bySourceLength(sourceLengths: [], hypotheses: ["a"], references: [["a"]],
                                                     edges: [0]))
    }

    private func assertEqual(_ s: BLEUScore, _ g: BLEUFixture.BLEUGolden, _ name: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.score, g.score, accuracy: tolerance, name, file: file, line: line)
        XCTAssertEqual(s.counts, g.counts, name, file: file, line: line)
        XCTAssertEqual(s.totals, g.totals, name, file: file, line: line)
        XCTAssertEqual(s.precisions.count, g.precisions.count, name, file: file, line: line)
        for (p, q) in zip(s.precisions, g.precisions) {
            XCTAssertEqual(p, q, accuracy: tolerance, name, file: file, line: line)
        }
        XCTAssertEqual(s.bp, g.bp, accuracy: tolerance, name, file: file, line: line)
        XCTAssertEqual(s.sysLen, g.sys_len, name, file: file, line: line)
        XCTAssertEqual(s.refLen, g.ref_len, name, file: file, line: line)
        XCTAssertEqual(s.ratio, g.ratio, accuracy: tolerance, name, file: file, line: line)
        XCTAssertEqual(s.signature, g.signature, name, file: file, line: line)
        XCTAssertEqual(s.description, g.text, name, file: file, line: line)
    }
}
