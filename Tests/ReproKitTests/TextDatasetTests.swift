import Foundation
import XCTest
import ReproKit

/// The generated translation task, character windows and Multi30k's file format.
final class TextDatasetTests: XCTestCase {
    private var tmp = ""

    override func setUpWithError() throws {
        tmp = try makeTemporaryFolder("repro-text")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: tmp) }

    func testToyTranslationIsAReversedBijectionKnownExactly() throws {
        let toy = try ToyTranslation(count: 500, vocabularySize: 12, lengths: 2...7, firstID: 3, seed: 42)
        XCTAssertEqual(toy.count, 500)
        XCTAssertEqual(toy.dictionary.sorted(), Array(0..<12), "a permutation: every token has one translation")
        XCTAssertNotEqual(toy.dictionary, Array(0..<12), "not the identity")
        var inverse = [Int](repeating: -1, count: 12)
        for (k, v) in toy.dictionary.enumerated() { inverse[v] = k }
        for i in 0..<toy.count {
            let e = toy.example(at: i)
            XCTAssertTrue((2...7).contains(e.source.count))
            XCTAssertTrue(e.source.allSatisfy { (3..<15).contains($0) }, "\(e.source)")
            XCTAssertEqual(e.target.count, e.source.count)
            // Undo it by hand: map back through the inverse and reverse.
            XCTAssertEqual(Array(e.target.map { 3 + inverse[$0 - 3] }.reversed()), e.source)
        }
        let e = toy.example(at: 7)
        XCTAssertEqual(e.target.first, 3 + toy.dictionary[e.source.last! - 3])
        XCTAssertEqual(try ToyTranslation(count: 500, vocabularySize: 12, lengths: 2...7, firstID: 3, seed: 42).example(at: 7), e, "deterministic")
        XCTAssertNotEqual(try ToyTranslation(count: 500, vocabularySize: 12, lengths: 2...7, firstID: 3, seed: 43).batch(Array(0..<10)),
                          toy.batch(Array(0..<10)), "the seed matters")
        XCTAssertEqual(Set((0..<toy.count).map { toy.example(at: $0).source.count }), Set(2...7), "every length occurs")
        XCTAssertEqual(toy.datasetDescription.description, "toy-translation: 500 examples, reversed-and-mapped token pairs, 12 tokens, lengths 2–7")
        XCTAssertThrowsError(try ToyTranslation(count: 5, vocabularySize: 1, seed: 1))
        XCTAssertThrowsError(try ToyTranslation(count: 5, lengths: 0...3, seed: 1))
    }

    func testCharacterWindows() throws {
        let w = try CharacterWindows(text: "abcabcabcd", length: 4, stride: 3, name: "t")
        XCTAssertEqual(w.vocabulary, ["a", "b", "c", "d"])
        XCTAssertEqual(w.count, 3)  // windows at 0, 3, 6; one at 9 would run past the end
        XCTAssertEqual(w.example(at: 0), [0, 1, 2, 0])
        XCTAssertEqual(w.example(at: 2), [0, 1, 2, 3])
        XCTAssertEqual(w.decode(w.example(at: 1)), "abca")
        XCTAssertThrowsError(try CharacterWindows(text: "abc", length: 4, name: "t")) {
            XCTAssertEqual("\($0)", "t: windows need length ≥ 1, stride ≥ 1 and a text of at least one window; got length 4, stride 4, 3 characters")
        }
        XCTAssertThrowsError(try CharacterWindows(text: "abz", length: 2, vocabulary: ["a", "b"], name: "t")) {
            XCTAssertEqual("\($0)", "t: the character z is not in the given vocabulary of 2")
        }
    }

    func testKJVCharacterWindowsShareOneVocabularyAcrossSplits() throws {
        let bible = try BibleCorpus()
        let train = try bible.characterWindows(.train, length: 129)
        let test = try bible.characterWindows(.test, length: 129, stride: 64)
        XCTAssertEqual(train.vocabulary, test.vocabulary)
        XCTAssertTrue(train.vocabulary.count > 60 && train.vocabulary.count < 100, "\(train.vocabulary.count)")
        XCTAssertTrue(train.decode(train.example(at: 0)).hasPrefix("In the beginning God created the heaven and the earth.\nAnd the earth"))
        let whole = bible.englishText(books: BibleCorpus.testBooks)
        XCTAssertEqual(test.count, (whole.unicodeScalars.count - 129) / 64 + 1)
        XCTAssertEqual(test.decode(test.example(at: 3)), String(String.UnicodeScalarView(whole.unicodeScalars.dropFirst(192).prefix(129))))
        XCTAssertEqual(train.datasetDescription.description, "kjv-chars train: \(train.count) examples, windows of 129 characters, \(train.vocabulary.count) distinct")
    }

    /// Writes Multi30k-format files (gzip, one sentence a line) for `split`.
    private func write(_ split: CorpusSplit, en: String, de: String) throws {
        for (lang, text) in [("en", en), ("de", de)] {
            try Data(Gzip.compress(Array(text.utf8))).write(to: URL(fileURLWithPath: tmp + "/" + Multi30k.fileName(split, lang)))
        }
    }

    func testMulti30kReadsItsPublishedFormat() throws {
        try write(.valid, en: "Two dogs play.\nA man rides a bike.\r\nÜber alles.\n",
                  de: "Zwei Hunde spielen.\nEin Mann fährt Fahrrad.\r\nÜber alles.\n")
        let c = try Multi30k.load(.valid, directory: tmp)
        XCTAssertEqual(c.pairs, [TextPair(source: "Two dogs play.", target: "Zwei Hunde spielen."),
                                 TextPair(source: "A man rides a bike.", target: "Ein Mann fährt Fahrrad."),
                                 TextPair(source: "Über alles.", target: "Über alles.")])
        XCTAssertEqual(c.references, ["val.en.gz:1", "val.en.gz:2", "val.en.gz:3"])
        XCTAssertEqual(c.datasetDescription.description, "multi30k valid: 3 examples, EN–DE sentence pairs")
        let de = try Multi30k.load(.valid, source: "de", directory: tmp)
        XCTAssertEqual(de.example(at: 1), TextPair(source: "Ein Mann fährt Fahrrad.", target: "A man rides a bike."))

        try write(.test, en: "one\ntwo\n", de: "eins\n")
        XCTAssertThrowsError(try Multi30k.load(.test, directory: tmp)) {
            XCTAssertEqual("\($0)", "malformed data file \(tmp)/test_2016_flickr.de.gz: 1 lines where \(tmp)/test_2016_flickr.en.gz has 2; "
                + "each line must translate the same line of the other; repro data fetch multi30k again")
        }
        XCTAssertThrowsError(try Multi30k.load(.train, directory: tmp)) {
            XCTAssertEqual("\($0)", "data file not found: \(tmp)/train.en.gz; repro data fetch multi30k")
        }
    }

    func testMulti30kRegistryEntryFetchesThePublishedFiles() throws {
        let e = try DatasetRegistry.entry("multi30k")
        XCTAssertEqual(e.kind, .parallelText)
        XCTAssertEqual(e.installHint, "repro data fetch multi30k")
        XCTAssertEqual(e.files.map(\.name), CorpusSplit.allCases.flatMap { s in ["en", "de"].map { Multi30k.fileName(s, $0) } })
        guard case .files(let base) = e.source else { return XCTFail("downloaded file by file") }
        XCTAssertEqual(base, "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/")
    }
}
