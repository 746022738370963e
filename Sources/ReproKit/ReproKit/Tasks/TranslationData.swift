import Foundation

/// A translation corpus made ready for a model: the three splits as text, one tokenizer per
/// language learned on the training split alone, and every pair as token ids. Bahdanau and
/// Vaswani read their data through this, so both see the same splits and tokens.
public struct TranslationData {
    /// Where the pairs come from and how they become tokens; a task's config fills it.
    public struct Options: Sendable {
        /// "kjv-rv1909" (the EN–ES Bible of Debian's SWORD packages), "multi30k" (after
        /// `repro data fetch multi30k`), "toy" (the generated reverse-and-map task of
        /// `ToyTranslation`, for tests and quick runs) or "synthetic" (random sentences of
        /// fixed lengths, for `repro bench` only).
        public var dataset: String
        /// The language translated from ("en" or "es" for the Bible).
        public var sourceLanguage: String
        /// "word" (a shortlist of the most frequent words, the rest `<unk>`, as the paper
        /// had) or "bpe" (subwords: no unknown words).
        public var tokenizer: String
        /// Ids per language, the four specials included.
        public var vocabulary: Int
        /// One tokenizer learned on both languages' training text, so that source and target
        /// ids mean the same words (Vaswani et al.'s shared BPE vocabulary, which lets one
        /// embedding matrix serve both sides); `vocabulary` ids in all.
        public var sharedVocabulary: Bool
        /// Training pairs with at most this many words on either side (the paper's -30 and
        /// -50); 0: all. Validation and test keep every length.
        public var maxWords: Int
        /// At most this many pairs of each split, spread over it (0: all).
        public var trainSubset: Int, validSubset: Int, testSubset: Int
        /// The toy task's number of training pairs (validation and test get a quarter each)
        /// and sentence lengths; the synthetic bench data's sentence length.
        public var toyExamples: Int, toyLengths: ClosedRange<Int>

        public init(dataset: String, sourceLanguage: String = "en", tokenizer: String = "word", vocabulary: Int = 8000,
                    maxWords: Int = 0, trainSubset: Int = 0, validSubset: Int = 0, testSubset: Int = 0,
                    toyExamples: Int = 4000, toyLengths: ClosedRange<Int> = 3...10, sharedVocabulary: Bool = false) {
            self.dataset = dataset; self.sourceLanguage = sourceLanguage; self.tokenizer = tokenizer
            self.vocabulary = vocabulary; self.maxWords = maxWords
            self.trainSubset = trainSubset; self.validSubset = validSubset; self.testSubset = testSubset
            self.toyExamples = toyExamples; self.toyLengths = toyLengths; self.sharedVocabulary = sharedVocabulary
        }
    }

    /// The data sets a translation task can read.
    public static let datasets = ["kjv-rv1909", "multi30k", "toy", "synthetic"]

    /// The ranges of the config keys every translation plugin shares (the data, batching and
    /// decoding keys of Bahdanau's and the Transformer's configs), to merge into a plugin's
    /// `RangedConfig.ranges`.
    public static let configRanges: [String: ConfigRange] = [
        "dataset": .oneOf(datasets), "source_language": .oneOf(["en", "es", "de"]),
        "tokenizer": .oneOf(["word", "bpe"]), "vocabulary": .atLeast(8), "max_words": .atLeast(0),
        "train_subset": .atLeast(0), "test_subset": .atLeast(0), "valid_bleu_sentences": .atLeast(0),
        "batch_size": .atLeast(1), "epochs": .atLeast(1), "beam_size": .atLeast(1),
        "toy_examples": .atLeast(4), "toy_max_length": .atLeast(3),
    ]

    public let train: ParallelCorpus, valid: ParallelCorpus, test: ParallelCorpus
    public let sourceTokenizer: any Tokenizer, targetTokenizer: any Tokenizer
    /// Every pair of each split as ids (without `<bos>`/`<eos>`), in the corpus' order.
    public let trainIDs: [TokenPair], validIDs: [TokenPair], testIDs: [TokenPair]

    /// Reads the corpus `options` names, learns the tokenizers on its training split and
    /// encodes every split. Throws one line when the data set is missing or a setting
    /// cannot work.
    public static func load(_ options: Options) throws -> TranslationData {
        var (train, valid, test) = try corpus(options)
        if options.maxWords > 0 { train = train.filtered(maxWords: options.maxWords) }
        if options.trainSubset > 0 { train = train.limited(to: options.trainSubset) }
        if options.validSubset > 0 { valid = valid.limited(to: options.validSubset) }
        if options.testSubset > 0 { test = test.limited(to: options.testSubset) }
        guard train.count > 0, valid.count > 0, test.count > 0 else {
            throw DataError.invalid("\(train.name): a split is empty after max_words = \(options.maxWords) and the subsets "
                + "(train \(train.count), valid \(valid.count), test \(test.count)); raise max_words or the subsets")
        }
        // An empty sentence has nothing to encode or attend to (a whole batch of them cannot
        // be run): name the first one instead of failing deep inside the model.
        for c in [train, valid, test] {
            if let i = c.pairs.firstIndex(where: { $0.source.allSatisfy(\.isWhitespace) || $0.target.allSatisfy(\.isWhitespace) }) {
                throw DataError.invalid("\(c.name) \(c.split ?? ""): pair \(c.references[i]) has an empty side; "
                    + "remove empty lines from the data files")
            }
        }
        if options.sharedVocabulary {
            let both = try tokenizer(options.tokenizer, vocabulary: options.vocabulary,
                                     training: train.pairs.map(\.source) + train.pairs.map(\.target))
            return TranslationData(train: train, valid: valid, test: test, sourceTokenizer: both, targetTokenizer: both)
        }
        let source = try tokenizer(options.tokenizer, vocabulary: options.vocabulary, training: train.pairs.map(\.source))
        let target = try tokenizer(options.tokenizer, vocabulary: options.vocabulary, training: train.pairs.map(\.target))
        return TranslationData(train: train, valid: valid, test: test, sourceTokenizer: source, targetTokenizer: target)
    }

    /// Encodes the splits with the given tokenizers (a resumed run passes the ones it saved).
    public init(train: ParallelCorpus, valid: ParallelCorpus, test: ParallelCorpus,
                sourceTokenizer: any Tokenizer, targetTokenizer: any Tokenizer) {
        self.train = train; self.valid = valid; self.test = test
        self.sourceTokenizer = sourceTokenizer; self.targetTokenizer = targetTokenizer
        func encode(_ c: ParallelCorpus) -> [TokenPair] {
            c.pairs.map { TokenPair(source: sourceTokenizer.encode($0.source), target: targetTokenizer.encode($0.target)) }
        }
        trainIDs = encode(train); validIDs = encode(valid); testIDs = encode(test)
    }

    /// A tokenizer of kind `kind` ("word" or "bpe") learned on `sentences`.
    public static func tokenizer(_ kind: String, vocabulary: Int, training sentences: [String]) throws -> any Tokenizer {
        switch kind {
        case "word": return try WordTokenizer(training: sentences, maxVocabularySize: vocabulary)
        case "bpe": return try BPETokenizer(training: sentences, vocabularySize: vocabulary)
        default: throw ConfigError.invalid("tokenizer must be \"word\" or \"bpe\", got \"\(kind)\"")
        }
    }

    /// The tokenizer a `serialized` string holds, whichever kind saved it.
    public static func tokenizer(serialized: String) throws -> any Tokenizer {
        if serialized.hasPrefix(WordTokenizer.header) { return try WordTokenizer(serialized: serialized) }
        return try BPETokenizer(serialized: serialized)
    }

    /// The three splits of the named corpus, as text.
    static func corpus(_ o: Options) throws -> (ParallelCorpus, ParallelCorpus, ParallelCorpus) {
        switch o.dataset {
        case BibleCorpus.name:
            let bible = try BibleCorpus()
            return (try bible.corpus(.train, source: o.sourceLanguage), try bible.corpus(.valid, source: o.sourceLanguage),
                    try bible.corpus(.test, source: o.sourceLanguage))
        case Multi30k.name:
            return (try Multi30k.load(.train, source: o.sourceLanguage), try Multi30k.load(.valid, source: o.sourceLanguage),
                    try Multi30k.load(.test, source: o.sourceLanguage))
        case "toy":
            let n = o.toyExamples
            return (try toy(count: n, lengths: o.toyLengths, seed: 1, split: "train"),
                    try toy(count: Swift.max(n / 4, 1), lengths: o.toyLengths, seed: 2, split: "valid"),
                    try toy(count: Swift.max(n / 4, 1), lengths: o.toyLengths, seed: 3, split: "test"))
        case "synthetic":
            let n = Swift.max(o.toyExamples, 1), len = o.toyLengths.upperBound
            return (synthetic(count: n, length: len, seed: 1), synthetic(count: 64, length: len, seed: 2),
                    synthetic(count: 64, length: len, seed: 3))
        default:
            throw ConfigError.invalid("dataset must be one of \(datasets.joined(separator: ", ")), got \"\(o.dataset)\"")
        }
    }

    /// `ToyTranslation` as text: source words "a0"…"a15", target words "b0"…"b15", so it runs
    /// through the same tokenizers, decoding and BLEU as a real corpus. Each split has its own
    /// seed for the sentences; all share the dictionary (the stream of seed 0).
    static func toy(count: Int, lengths: ClosedRange<Int>, seed: UInt64, split: String) throws -> ParallelCorpus {
        let dictionary = try ToyTranslation(count: 0, lengths: lengths, seed: 0)
        let sentences = try ToyTranslation(count: count, lengths: lengths, seed: seed)
        let pairs = (0..<count).map { i -> TextPair in
            let source = sentences.example(at: i).source
            return TextPair(source: source.map { "a\($0)" }.joined(separator: " "),
                            target: dictionary.translate(source).map { "b\($0)" }.joined(separator: " "))
        }
        return ParallelCorpus(pairs: pairs, references: (0..<count).map { "\(split) \($0)" }, name: "toy-translation",
                              split: split, sourceLanguage: "a", targetLanguage: "b", unit: "sentence")
    }

    /// Random sentences of exactly `length` words from a 9,996-word vocabulary on each side:
    /// only their shapes matter (speed benchmarks).
    static func synthetic(count: Int, length: Int, seed: UInt64) -> ParallelCorpus {
        var rng = RNG(seed: seed)
        func sentence(_ prefix: String) -> String {
            (0..<length).map { _ in "\(prefix)\(rng.int(below: 9996))" }.joined(separator: " ")
        }
        let pairs = (0..<count).map { _ in TextPair(source: sentence("s"), target: sentence("t")) }
        return ParallelCorpus(pairs: pairs, references: (0..<count).map { "\($0)" }, name: "synthetic",
                              split: nil, sourceLanguage: "s", targetLanguage: "t", unit: "sentence")
    }
}
