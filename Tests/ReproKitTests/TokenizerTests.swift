import XCTest
import ReproKit

final class TokenizerTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as DataError { return e.description } catch { return "other: \(error)" }
        return ""
    }

    private let spanish = [
        "¿Dónde está el perro?",
        "El perro está aquí.",
        "¡Hola, perro!",
        "En el principio creó Dios los cielos y la tierra.",
        "Y dijo Dios: Sea la luz; y fue la luz.",
        "La niña comió (otra vez) una piña en el año 1508…",
    ]
    private let english = [
        "In the beginning God created the heaven and the earth.",
        "And God said, Let there be light: and there was light.",
        "\"Don't go,\" she said -- it's 3:30 p.m., isn't it?",
        "The lower, the newer; the wider, the lowest!",
    ]

    // MARK: Pre-tokenisation

    func testPiecesSplitWordsAndPunctuationAndMarkSpaces() {
        XCTAssertEqual(PreTokenizer.pieces("¿Dónde está?"), ["▁¿", "Dónde", "▁está", "?"])
        XCTAssertEqual(PreTokenizer.pieces("niño, año 1508."), ["▁niño", ",", "▁año", "▁1508", "."])
        // Extra spaces are pieces of their own, so nothing is lost.
        XCTAssertEqual(PreTokenizer.pieces(" a  b "), ["▁", "▁a", "▁", "▁b", "▁"])
        XCTAssertEqual(PreTokenizer.pieces(""), [])
        for s in spanish + english + [" a  b ", "\ttab\nline", "  ", "x"] {
            XCTAssertEqual(PreTokenizer.join(PreTokenizer.pieces(s)), s)
        }
    }

    // MARK: Word-level

    func testWordVocabularyIsSpecialsThenMostFrequentThenTextOrder() throws {
        let t = try WordTokenizer(training: Array(spanish.prefix(3)))
        XCTAssertEqual(t.vocabulary, ["<pad>", "<bos>", "<eos>", "<unk>", "▁perro", "▁está",
                                      "!", ",", ".", "?", "Dónde", "Hola", "▁El", "▁aquí", "▁el", "▁¡", "▁¿"])
        XCTAssertEqual(t.vocabularySize, 17)
        XCTAssertEqual([t.pad, t.bos, t.eos, t.unk], [0, 1, 2, 3])
    }

    func testWordMinCountAndMaxSizeCutTheVocabularyAndTheRestIsUnknown() throws {
        let frequent = try WordTokenizer(training: Array(spanish.prefix(3)), minCount: 2)
        XCTAssertEqual(frequent.vocabulary, SpecialTokens.all + ["▁perro", "▁está"])
        XCTAssertEqual(frequent.encode("el perro está"), [3, 4, 5])
        XCTAssertEqual(frequent.decode([3, 4, 5]), "<unk> perro está")

        let small = try WordTokenizer(training: Array(spanish.prefix(3)), maxVocabularySize: 7)
        XCTAssertEqual(small.vocabulary, SpecialTokens.all + ["▁perro", "▁está", "!"])
        XCTAssertTrue(message { _ = try WordTokenizer(training: spanish, minCount: 0) }.contains("minCount"))
        XCTAssertTrue(message { _ = try WordTokenizer(training: spanish, maxVocabularySize: 3) }
            .contains("maxVocabularySize must be at least 4"))
    }

    func testWordRoundTripsTrainingTextWithPunctuation() throws {
        let t = try WordTokenizer(training: spanish + english)
        for s in spanish + english {
            let ids = t.encode(s)
            XCTAssertFalse(ids.contains(t.unk), s)
            XCTAssertEqual(t.decode(ids), s)
        }
        // Specials carry no text; ids outside the vocabulary print as <unk>, a word of its own
        // (glued to its neighbour it would spoil that word for BLEU).
        let perro = t.encode("perro")
        XCTAssertEqual(t.decode([t.bos] + perro + [t.eos, t.pad]), "perro")
        XCTAssertEqual(t.decode([-1, 10_000]), "<unk> <unk>")
        XCTAssertEqual(t.decode(t.encode("perro Elimelech") + perro), "perro <unk> perro")
    }

    func testWordSerializationRoundTrips() throws {
        let t = try WordTokenizer(training: spanish + english + ["tab\there, new\nline \\ back"])
        let u = try WordTokenizer(serialized: t.serialized)
        XCTAssertEqual(u.vocabulary, t.vocabulary)
        XCTAssertEqual(u.serialized, t.serialized)
        XCTAssertTrue(t.serialized.hasPrefix("repro-tokenizer word 1\n"))
    }

    // MARK: BPE

    /// The words of Sennrich et al.'s example, once each: pieces ▁low ▁lower ▁lowest ▁newer
    /// ▁wider. The alphabet in scalar order is d e i l n o r s t w ▁ (ids 4…14). Pairs seen 3
    /// times: ▁l, lo, ow, we, er; the smallest left id wins, e (5): "er" (15). Then l o (16),
    /// ▁ lo (17; 14 < 16), ▁lo w (18); every pair left occurs once, below minPairCount 2.
    func testBPEFirstMergesOnThePapersWords() throws {
        let t = try BPETokenizer(training: ["low lower lowest newer wider"], vocabularySize: 100)
        XCTAssertEqual(Array(t.vocabulary[4...]), ["d", "e", "i", "l", "n", "o", "r", "s", "t", "w", "▁",
                                                   "er", "lo", "▁lo", "▁low"])
        XCTAssertEqual(t.merges.map { [$0.left, $0.right] }, [[5, 10], [7, 9], [14, 16], [17, 13]])
        XCTAssertEqual(t.encode("lower newer"), [18, 15, 14, 8, 5, 13, 15])
        XCTAssertEqual(t.decode(t.encode("lower newer")), "lower newer")

        // A smaller size stops after the first merges.
        let two = try BPETokenizer(training: ["low lower lowest newer wider"], vocabularySize: 17)
        XCTAssertEqual(Array(two.vocabulary[15...]), ["er", "lo"])
        XCTAssertEqual(two.encode("low"), [14, 16, 13])
    }

    func testBPEVocabularySizeIsRespectedAndTooSmallIsAnError() throws {
        let text = spanish + english
        for size in [80, 100, 116] {
            let t = try BPETokenizer(training: text, vocabularySize: size)
            XCTAssertEqual(t.vocabularySize, size)
            XCTAssertEqual(Set(t.vocabulary).count, size)
        }
        // This little text has no pair left twice at 116 ids: a larger size stops there
        // rather than merging pairs seen once.
        XCTAssertEqual(try BPETokenizer(training: text, vocabularySize: 1000).vocabularySize, 116)
        // Merging pairs seen once, it stops when every word is one token.
        let whole = try BPETokenizer(training: text, vocabularySize: 1000, minPairCount: 1)
        XCTAssertLessThan(whole.vocabularySize, 1000)
        for s in text { XCTAssertEqual(whole.encode(s).count, PreTokenizer.pieces(s).count, s) }
        let m = message { _ = try BPETokenizer(training: ["abc"], vocabularySize: 6) }
        XCTAssertTrue(m.contains("set it to at least 8"), m)   // 4 specials + a b c ▁
    }

    func testBPETrainingIsDeterministic() throws {
        let text = spanish + english
        let a = try BPETokenizer(training: text, vocabularySize: 150)
        let b = try BPETokenizer(training: text.reversed(), vocabularySize: 150)
        XCTAssertEqual(a.serialized, b.serialized)
    }

    func testBPERoundTripsSpanishAndEnglishText() throws {
        let t = try BPETokenizer(training: spanish + english, vocabularySize: 150)
        let unseen = ["la tierra creó una luz", "  the   newer  earth ", "¿Dios?¡Sí!", "niña-perro"]
        for s in spanish + english + unseen {
            let ids = t.encode(s)
            XCTAssertFalse(ids.contains(t.unk), s)
            XCTAssertEqual(t.decode(ids), s)
        }
        // Frequent words become single tokens.
        XCTAssertEqual(t.encode("the").count, 1)
        // A character never seen is <unk>; its neighbours still encode.
        XCTAssertEqual(t.decode(t.encode("the 漢 earth")), "the <unk> earth")
    }

    func testBPESerializationRoundTripGivesIdenticalEncodings() throws {
        let t = try BPETokenizer(training: spanish + english + ["a\tb\nc \\ d"], vocabularySize: 150)
        let u = try BPETokenizer(serialized: t.serialized)
        XCTAssertEqual(u.serialized, t.serialized)
        XCTAssertEqual(u.vocabulary, t.vocabulary)
        for s in spanish + english + ["a\tb\nc \\ d"] { XCTAssertEqual(u.encode(s), t.encode(s)) }
    }

    func testMalformedSerializationsAreOneClearError() throws {
        let bpe = try BPETokenizer(training: ["low lower lowest newer wider"], vocabularySize: 100).serialized
        let word = try WordTokenizer(training: ["hola"]).serialized
        var lines = bpe.components(separatedBy: "\n")
        let cases: [(String, String)] = [
            ("", "not a serialised tokenizer"),
            ("hello world", "not a serialised tokenizer"),
            (word, "this is a word tokenizer, not a bpe one"),
            (bpe.replacingOccurrences(of: "bpe 1", with: "bpe 9"), "format version 9"),
            (lines.prefix(10).joined(separator: "\n"), "line 11: the text ends early"),
            (bpe.replacingOccurrences(of: "vocabulary 19", with: "vocabulary x"), "line 2: expected \"vocabulary <count>\""),
            (bpe + "\nextra", "unexpected text after the end"),
        ]
        for (text, expected) in cases {
            let m = message { _ = try BPETokenizer(serialized: text) }
            XCTAssertTrue(m.contains(expected), "\(m) should say \(expected)")
        }
        // A merge whose token is not the two tokens it joins: "er" made from e and s.
        lines[lines.firstIndex(of: "merges 4")! + 1] = "5 11"
        let m = message { _ = try BPETokenizer(serialized: lines.joined(separator: "\n")) }
        XCTAssertTrue(m.contains("merge 0 joins \"e\" and \"s\", but token 15 is \"er\""), m)
        let w = message { _ = try WordTokenizer(serialized: word.replacingOccurrences(of: "<bos>", with: "<b>")) }
        XCTAssertTrue(w.contains("line 4: token 1 must be <bos>"), w)
    }
}
