extension BPETokenizer {
    /// Learns merges from `sentences` (the train split) until the vocabulary has
    /// `vocabularySize` ids or no adjacent pair occurs `minPairCount` times any more.
    ///
    /// Each step merges the most frequent adjacent pair of symbols over all words (counted
    /// with the words' frequencies); equal counts go to the pair with the smaller left id,
    /// then the smaller right id, so two trainings on the same text give the same tokenizer.
    /// Pair counts are updated only for the words a merge touches, and the next pair comes
    /// from a heap, so a step costs the affected words, not the whole corpus.
    /// - Throws: `DataError.invalid` when `vocabularySize` cannot hold the specials and every
    ///   character of the text, or `minPairCount` is below 1.
    public init(training sentences: [String], vocabularySize: Int, minPairCount: Int = 2) throws {
        guard minPairCount >= 1 else {
            throw DataError.invalid("minPairCount must be at least 1, got \(minPairCount); set it to a positive number")
        }
        var pieceCounts: [String: Int] = [:]
        for s in sentences {
            PreTokenizer.forEachPiece(s) { pieceCounts[String(String.UnicodeScalarView($0)), default: 0] += 1 }
        }
        var scalars = Set<Unicode.Scalar>()
        for piece in pieceCounts.keys { scalars.formUnion(piece.unicodeScalars) }
        let alphabet = scalars.sorted { $0.value < $1.value }
        let minimum = SpecialTokens.all.count + alphabet.count
        guard vocabularySize >= minimum else {
            throw DataError.invalid("vocabularySize \(vocabularySize) cannot hold the \(SpecialTokens.all.count) "
                + "special tokens and the \(alphabet.count) characters of the training text; "
                + "set it to at least \(minimum)")
        }
        var vocabulary = SpecialTokens.all + alphabet.map { String($0) }
        let symbolIDs = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, SpecialTokens.all.count + $0) })
        var words = PairCounts(pieceCounts.map { (ids: $0.key.unicodeScalars.map { symbolIDs[$0]! }, count: $0.value) })
        var merges: [(left: Int, right: Int)] = []
        while vocabulary.count < vocabularySize, let (l, r) = words.mostFrequent(atLeast: minPairCount) {
            words.merge(l, r, into: vocabulary.count)
            merges.append((l, r))
            vocabulary.append(vocabulary[l] + vocabulary[r])
        }
        self.init(checkedVocabulary: vocabulary, merges: merges)
    }
}

/// The training words as symbol ids, and how often each adjacent pair occurs across them.
private struct PairCounts {
    private var words: [[Int]]
    private let wordCounts: [Int]
    private var pairCounts: [Int: Int] = [:]
    /// Which words contain (or once contained) each pair; checked again before use.
    private var pairWords: [Int: [Int]] = [:]
    private var heap = PairHeap()

    init(_ words: [(ids: [Int], count: Int)]) {
        self.words = words.map(\.ids)
        wordCounts = words.map(\.count)
        for (w, word) in self.words.enumerated() {
            for i in word.indices.dropLast() {
                let k = pairKey(word[i], word[i + 1])
                pairCounts[k, default: 0] += wordCounts[w]
                pairWords[k, default: []].append(w)
            }
        }
        for (k, c) in pairCounts { heap.push(count: c, key: k) }
    }

    /// The pair to merge next: the most frequent, ties to the smallest (left, right).
    mutating func mostFrequent(atLeast minimum: Int) -> (Int, Int)? {
        while let top = heap.pop() {
            // The heap keeps outdated entries; only one matching the current count is real.
            guard pairCounts[top.key] == top.count else { continue }
            guard top.count >= minimum else { return nil }
            return (top.key >> 32, top.key & 0xFFFF_FFFF)
        }
        return nil
    }

    /// Joins every (left, right) into `merged` in the words that have it, and updates the
    /// counts of the pairs around each join.
    mutating func merge(_ left: Int, _ right: Int, into merged: Int) {
        let key = pairKey(left, right)
        var changed: [Int: Int] = [:]   // pair → change in count
        for w in pairWords[key] ?? [] {
            let old = words[w]
            let new = joiningPair(old, left, right, into: merged)
            guard new.count != old.count else { continue }   // already merged, or a stale entry
            let c = wordCounts[w]
            for i in old.indices.dropLast() { changed[pairKey(old[i], old[i + 1]), default: 0] -= c }
            for i in new.indices.dropLast() {
                let k = pairKey(new[i], new[i + 1])
                changed[k, default: 0] += c
                if new[i] == merged || new[i + 1] == merged { pairWords[k, default: []].append(w) }
            }
            words[w] = new
        }
        pairWords[key] = nil
        for (k, d) in changed where d != 0 {
            let c = pairCounts[k, default: 0] + d
            pairCounts[k] = c > 0 ? c : nil
            if c > 0 { heap.push(count: c, key: k) }
        }
    }
}

/// A max-heap of (count, pair key): highest count first, then the smallest key, i.e. the
/// smallest left id, then the smallest right id.
private struct PairHeap {
    private var items: [(count: Int, key: Int)] = []

    private func above(_ a: (count: Int, key: Int), _ b: (count: Int, key: Int)) -> Bool {
        a.count > b.count || (a.count == b.count && a.key < b.key)
    }

    mutating func push(count: Int, key: Int) {
        items.append((count, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard above(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (count: Int, key: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < items.count && above(items[l], items[best]) { best = l }
            if r < items.count && above(items[r], items[best]) { best = r }
            guard best != i else { return top }
            items.swapAt(i, best)
            i = best
        }
    }
}
