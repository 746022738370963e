/// One id per word or punctuation mark, with the vocabulary of the most frequent pieces of
/// a training text; everything else is `<unk>`.
///
/// Pieces come from `PreTokenizer`, so a word carries "▁" when a space came before it
/// ("▁casa", but "casa" right after "¿"), and decoding puts every space back:
/// `decode(encode(s)) == s` whenever every piece of `s` is in the vocabulary.
public struct WordTokenizer: Tokenizer {
    /// The specials, then the kept pieces, most frequent first.
    public let vocabulary: [String]
    private let ids: [String: Int]

    static let kind = "word", version = 1
    /// The first line of every `serialized` word tokenizer: how a reader tells the kinds apart.
    public static var header: String { TokenizerFormat.header(kind: kind, version: version) }

    /// Learns the vocabulary from `sentences`: the specials, then every piece seen at least
    /// `minCount` times, most frequent first (equal counts in `String` order, so training is
    /// deterministic), cut to `maxVocabularySize` ids in all (specials included) if given.
    /// - Throws: `DataError.invalid` for `minCount` below 1 or `maxVocabularySize` below 4.
    public init(training sentences: [String], minCount: Int = 1, maxVocabularySize: Int? = nil) throws {
        guard minCount >= 1 else {
            throw DataError.invalid("minCount must be at least 1, got \(minCount); set it to a positive number")
        }
        if let m = maxVocabularySize, m < SpecialTokens.all.count {
            throw DataError.invalid("maxVocabularySize must be at least \(SpecialTokens.all.count) (the special "
                + "tokens), got \(m); raise it")
        }
        var counts: [String: Int] = [:]
        for s in sentences {
            PreTokenizer.forEachPiece(s) { counts[String(String.UnicodeScalarView($0)), default: 0] += 1 }
        }
        var kept = counts.filter { $0.value >= minCount }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        if let m = maxVocabularySize { kept = Array(kept.prefix(m - SpecialTokens.all.count)) }
        self.init(checkedVocabulary: SpecialTokens.all + kept.map(\.key))
    }

    /// A tokenizer with this vocabulary (unique tokens, specials first: checked by callers).
    private init(checkedVocabulary vocabulary: [String]) {
        self.vocabulary = vocabulary
        ids = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        PreTokenizer.forEachPiece(text) { out.append(ids[String(String.UnicodeScalarView($0))] ?? SpecialTokens.unk) }
        return out
    }

    /// An unknown word is written "<unk>" with a space before it: the word it stands for had
    /// its own piece, and glued to the word before ("Y<unk>") it would spoil that word too
    /// when BLEU compares words.
    public func decode(_ ids: [Int]) -> String {
        PreTokenizer.join(tokenTexts(ids, vocabulary: vocabulary, unknown: "▁" + SpecialTokens.all[SpecialTokens.unk]))
    }

    public var serialized: String {
        ([TokenizerFormat.header(kind: Self.kind, version: Self.version)]
            + TokenizerFormat.vocabularyLines(vocabulary)).joined(separator: "\n")
    }

    public init(serialized: String) throws {
        var r = try TokenizerFormat.Reader(serialized, kind: Self.kind, version: Self.version)
        let vocabulary = try r.vocabulary()
        try r.end()
        self.init(checkedVocabulary: vocabulary)
    }
}

/// The text of each id for decoding: nothing for `<pad>`, `<bos>`, `<eos>`; `unknown`
/// ("<unk>" by default) for `<unk>` and for ids outside `vocabulary`.
func tokenTexts(_ ids: [Int], vocabulary: [String], unknown: String = SpecialTokens.all[SpecialTokens.unk]) -> [String] {
    ids.compactMap { id in
        switch id {
        case SpecialTokens.pad, SpecialTokens.bos, SpecialTokens.eos: return nil
        case SpecialTokens.all.count..<vocabulary.count: return vocabulary[id]
        default: return unknown
        }
    }
}
