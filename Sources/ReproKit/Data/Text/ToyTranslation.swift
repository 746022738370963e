/// A token sequence and its translation.
public struct TokenPair: Equatable, Hashable, Sendable {
    /// Token ids of the sentence.
    public var source: [Int]
    /// Token ids of its translation.
    public var target: [Int]
    public init(source: [Int], target: [Int]) { self.source = source; self.target = target }
    /// The padded length the pair costs in a batch: its source, or its target with
    /// `<bos>`/`<eos>` (decoder input and target are one longer than the target).
    public var paddedLength: Int { Swift.max(source.count, target.count + 1) }
}

/// A generated translation task whose correct output is known exactly, for tests and quick
/// variants of the translation papers: the source is random tokens, the target is the source
/// reversed with each token mapped through a fixed permutation of the vocabulary (so a model
/// must learn both word order and a "dictionary", and attention must look far back).
///
/// Example *i* depends on the seed and *i* alone (its own random stream), so the data set
/// stores nothing and any index can be read in any order. Tokens are
/// `firstID..<firstID + vocabularySize`; ids below `firstID` stay free for padding and
/// sentence marks.
public struct ToyTranslation: Dataset, Sendable {
    public typealias Example = TokenPair

    /// How many examples.
    public let count: Int
    /// How many distinct tokens a sentence draws from.
    public let vocabularySize: Int
    /// The smallest token id.
    public let firstID: Int
    /// The source lengths, drawn uniformly (the target has the same length).
    public let lengths: ClosedRange<Int>
    /// Decides the dictionary and every example.
    public let seed: UInt64
    /// The dictionary: token `firstID + k` translates to `firstID + dictionary[k]`.
    public let dictionary: [Int]

    /// Throws a one-line error for settings that cannot make examples (no tokens, a length
    /// below 1, a negative count).
    public init(count: Int, vocabularySize: Int = 16, lengths: ClosedRange<Int> = 3...10, firstID: Int = 0, seed: UInt64) throws {
        guard count >= 0, vocabularySize >= 2, lengths.lowerBound >= 1, firstID >= 0 else {
            throw DataError.invalid("toy translation needs count ≥ 0, vocabulary size ≥ 2, lengths from 1 and firstID ≥ 0; "
                + "got count \(count), vocabulary \(vocabularySize), lengths \(lengths), firstID \(firstID)")
        }
        self.count = count; self.vocabularySize = vocabularySize; self.lengths = lengths
        self.firstID = firstID; self.seed = seed
        // A Fisher–Yates shuffle from the seed's own stream: a permutation, so translation is
        // a bijection and can be undone.
        var rng = RNG(seed: seed).split(0)
        var table = Array(0..<vocabularySize)
        for i in stride(from: vocabularySize - 1, to: 0, by: -1) { table.swapAt(i, rng.int(below: i + 1)) }
        dictionary = table
    }

    /// Example `index`: from its own random stream, the same on every call.
    public func example(at index: Int) -> TokenPair {
        var rng = RNG(seed: seed).split(UInt64(index) + 1)
        let n = lengths.lowerBound + rng.int(below: lengths.count)
        let source = (0..<n).map { _ in firstID + rng.int(below: vocabularySize) }
        return TokenPair(source: source, target: translate(source))
    }

    /// The correct translation of `source`: reversed, each token through `dictionary`.
    public func translate(_ source: [Int]) -> [Int] {
        source.reversed().map { firstID + dictionary[$0 - firstID] }
    }

    public var datasetDescription: DatasetDescription {
        DatasetDescription(name: "toy-translation", split: nil, count: count,
                           example: "reversed-and-mapped token pairs, \(vocabularySize) tokens, lengths \(lengths.lowerBound)–\(lengths.upperBound)")
    }
}
