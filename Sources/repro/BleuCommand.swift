import ArgumentParser
import Foundation
import ReproKit

/// `repro bleu HYP REF…`: corpus BLEU and chrF of a translation file, as sacreBLEU scores it.
struct BleuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bleu",
        abstract: "Score a translation file with corpus BLEU and chrF (sacreBLEU's defaults).",
        discussion: """
            Files are UTF-8 with one sentence a line; line i of every reference file translates \
            line i of <hyp-file>. Scores equal sacreBLEU \(BLEU.sacreBLEUVersion)'s (13a tokens, \
            'exp' smoothing, case kept; chrF with 6-character n-grams, beta 2).
            """)

    @Argument(help: ArgumentHelp("The translations to score, one sentence a line.", valueName: "hyp-file"))
    var hypothesis: String

    @Argument(help: ArgumentHelp("One or more reference translations, line by line parallel to <hyp-file>.", valueName: "ref-file"))
    var references: [String] = []

    @Flag(help: "Print one JSON line (scores, n-gram precisions, lengths, signatures) instead of text.")
    var json = false

    func run() throws {
        do {
            let corpus = try TranslationFile.corpus(hypothesis: hypothesis, references: references)
            let bleu = try BLEU.corpusScore(hypotheses: corpus.hypotheses, references: corpus.references)
            let chrf = try ChrF.corpusScore(hypotheses: corpus.hypotheses, references: corpus.references)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let line = try encoder.encode(Scores(bleu: bleu, chrf: chrf))
                print(String(decoding: line, as: UTF8.self))
            } else {
                print(bleu)
                print(chrf)
            }
        } catch { throw fail(error) }
    }

    /// The --json line.
    struct Scores: Encodable { let bleu: BLEUScore; let chrf: ChrFScore }
}
