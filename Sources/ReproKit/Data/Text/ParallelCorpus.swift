/// A sentence and its translation.
public struct TextPair: Equatable, Hashable, Sendable {
    public var source: String
    public var target: String
    public init(source: String, target: String) { self.source = source; self.target = target }
}

/// Which part of a text corpus: training, validation (model selection) or test.
public enum CorpusSplit: String, Sendable, CaseIterable {
    /// What a model learns from.
    case train
    /// What picks hyperparameters and checkpoints.
    case valid
    /// What the reported score is measured on.
    case test
}

/// Aligned pairs of sentences (or verses) in two languages: one split of a translation
/// corpus, such as the KJV–Reina-Valera verse pairs (`BibleCorpus`) or Multi30k's captions.
public struct ParallelCorpus: Dataset, Sendable {
    public typealias Example = TextPair

    /// The pairs, source in `sourceLanguage`.
    public let pairs: [TextPair]
    /// Where each pair comes from: an OSIS reference ("Gen.1.1") or a file and line.
    public let references: [String]
    /// The registry name, e.g. "kjv-rv1909".
    public let name: String
    /// Which split, e.g. "train".
    public let split: String?
    /// The language of each pair's source, an ISO 639-1 code such as "en".
    public let sourceLanguage: String
    /// The language of each pair's target, e.g. "es".
    public let targetLanguage: String
    /// What one pair is, e.g. "verse" or "sentence".
    public let unit: String

    public init(pairs: [TextPair], references: [String], name: String, split: String?,
                sourceLanguage: String, targetLanguage: String, unit: String) {
        precondition(references.count == pairs.count, "one reference per pair")
        self.pairs = pairs; self.references = references; self.name = name; self.split = split
        self.sourceLanguage = sourceLanguage; self.targetLanguage = targetLanguage; self.unit = unit
    }

    /// How many pairs.
    public var count: Int { pairs.count }
    /// Pair `index`.
    public func example(at index: Int) -> TextPair { pairs[index] }

    /// "kjv-rv1909 train: 27672 examples, EN–ES verse pairs".
    public var datasetDescription: DatasetDescription {
        DatasetDescription(name: name, split: split, count: count,
                           example: "\(sourceLanguage.uppercased())–\(targetLanguage.uppercased()) \(unit) pairs")
    }

    /// The pairs translated from `language`: as they are, or with source and target swapped.
    /// Throws a one-line error when the corpus has no such language.
    public func from(_ language: String) throws -> ParallelCorpus {
        if language == sourceLanguage { return self }
        guard language == targetLanguage else {
            throw DataError.invalid("\(name) pairs \(sourceLanguage) with \(targetLanguage); source language '\(language)' is neither")
        }
        return ParallelCorpus(pairs: pairs.map { TextPair(source: $0.target, target: $0.source) }, references: references,
                              name: name, split: split, sourceLanguage: targetLanguage, targetLanguage: sourceLanguage, unit: unit)
    }

    /// The pairs with at most `maxWords` words (runs of non-spaces) on each side.
    public func filtered(maxWords: Int) -> ParallelCorpus {
        keeping { Self.words(pairs[$0].source) <= maxWords && Self.words(pairs[$0].target) <= maxWords }
    }

    /// At most `maxPairs` pairs, spread evenly over the corpus (pair ⌊k·count/maxPairs⌋ for
    /// each k), so that a small quick run still sees every part of it, not only its start.
    public func limited(to maxPairs: Int) -> ParallelCorpus {
        guard maxPairs < count else { return self }
        let keep = Set((0..<max(maxPairs, 0)).map { $0 * count / maxPairs })
        return keeping { keep.contains($0) }
    }

    /// The pairs whose indices `include` accepts, in order, with their references.
    private func keeping(_ include: (Int) -> Bool) -> ParallelCorpus {
        let kept = pairs.indices.filter(include)
        return ParallelCorpus(pairs: kept.map { pairs[$0] }, references: kept.map { references[$0] }, name: name,
                              split: split, sourceLanguage: sourceLanguage, targetLanguage: targetLanguage, unit: unit)
    }

    /// How many runs of non-space characters `text` has.
    public static func words(_ text: String) -> Int {
        var n = 0, inWord = false
        for c in text.utf8 {
            let space = c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
            if !space && !inWord { n += 1 }
            inWord = !space
        }
        return n
    }
}
