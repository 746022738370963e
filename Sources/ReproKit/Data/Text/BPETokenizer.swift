import Foundation

/// Byte-pair encoding (Sennrich et al. 2016, arXiv 1508.07909): words are split into
/// characters, then the merges learnt from a training text join adjacent symbols, earliest
/// merge first, so frequent words end up as one token and rare ones as a few subwords.
///
/// Words are `PreTokenizer` pieces, so "▁" marks a space and `decode(encode(s)) == s` for any
/// `s` whose characters (Unicode scalars) were all in the training text. A character never
/// seen becomes `<unk>` (no byte fallback: a vocabulary fixed by the training text is easier
/// to read, and a translation corpus seldom meets new characters); its neighbours still merge.
///
/// Ids: the four specials, then the alphabet (every scalar of the training text, in scalar
/// order), then one id per merge, in the order they were learnt (`BPETokenizer(training:…)`).
public struct BPETokenizer: Tokenizer {
    /// The specials, the alphabet, then each merge's joined text.
    public let vocabulary: [String]
    /// Merge k joins ids `left` and `right` into id `vocabulary.count - merges.count + k`.
    public let merges: [(left: Int, right: Int)]
    private let symbolIDs: [Unicode.Scalar: Int]
    /// `pairKey(left, right)` → the merged id; a smaller id is an earlier (stronger) merge.
    private let mergedIDs: [Int: Int]
    private let cache = PieceCache()

    static let kind = "bpe", version = 1

    /// A tokenizer from its parts, which the caller has checked (the trainer made them, or
    /// `init(serialized:)` verified them).
    init(checkedVocabulary vocabulary: [String], merges: [(left: Int, right: Int)]) {
        self.vocabulary = vocabulary
        self.merges = merges
        let firstMerge = vocabulary.count - merges.count
        var symbols: [Unicode.Scalar: Int] = [:]
        for id in SpecialTokens.all.count..<firstMerge { symbols[vocabulary[id].unicodeScalars.first!] = id }
        symbolIDs = symbols
        var merged: [Int: Int] = [:]
        for (k, m) in merges.enumerated() { merged[pairKey(m.left, m.right)] = firstMerge + k }
        mergedIDs = merged
    }

    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        PreTokenizer.forEachPiece(text) { piece in
            let key = String(String.UnicodeScalarView(piece))
            if let ids = cache[key] { out.append(contentsOf: ids); return }
            let ids = encodePiece(piece)
            cache[key] = ids
            out.append(contentsOf: ids)
        }
        return out
    }

    /// One piece's ids: its characters, then the earliest applicable merge again and again,
    /// each time joining every occurrence of that pair from left to right, as training did.
    private func encodePiece(_ piece: ArraySlice<Unicode.Scalar>) -> [Int] {
        var ids = piece.map { symbolIDs[$0] ?? SpecialTokens.unk }
        while ids.count > 1 {
            var best = Int.max
            for i in 0..<(ids.count - 1) {
                if let m = mergedIDs[pairKey(ids[i], ids[i + 1])], m < best { best = m }
            }
            guard best != Int.max else { break }
            let (l, r) = merges[best - (vocabulary.count - merges.count)]
            ids = joiningPair(ids, l, r, into: best)
        }
        return ids
    }

    public func decode(_ ids: [Int]) -> String { PreTokenizer.join(tokenTexts(ids, vocabulary: vocabulary)) }

    public var serialized: String {
        ([TokenizerFormat.header(kind: Self.kind, version: Self.version)]
            + TokenizerFormat.vocabularyLines(vocabulary)
            + ["merges \(merges.count)"] + merges.map { "\($0.left) \($0.right)" }).joined(separator: "\n")
    }

    /// Reads what `serialized` wrote, checking that the alphabet is single characters and
    /// that every merge joins earlier ids into exactly the text its token has.
    public init(serialized: String) throws {
        var r = try TokenizerFormat.Reader(serialized, kind: Self.kind, version: Self.version)
        let vocabulary = try r.vocabulary(uniquePrefix: 0)
        let m = try r.section("merges")
        let firstMerge = vocabulary.count - m
        guard firstMerge >= SpecialTokens.all.count else {
            throw r.fail("\(m) merges but only \(vocabulary.count) tokens; every merge needs its own token")
        }
        let alphabet = vocabulary[SpecialTokens.all.count..<firstMerge]
        guard alphabet.allSatisfy({ $0.unicodeScalars.count == 1 }), Set(alphabet).count == alphabet.count else {
            throw r.fail("the \(alphabet.count) tokens before the merged ones must be distinct single characters")
        }
        var merges: [(left: Int, right: Int)] = []
        for k in 0..<m {
            let id = firstMerge + k
            let w = try r.next().split(separator: " ")
            guard w.count == 2, let l = Int(w[0]), let rr = Int(w[1]),
                  (SpecialTokens.all.count..<id).contains(l), (SpecialTokens.all.count..<id).contains(rr) else {
                throw r.fail("merge \(k) must be two ids of earlier non-special tokens (below \(id))")
            }
            guard vocabulary[l] + vocabulary[rr] == vocabulary[id] else {
                throw r.fail("merge \(k) joins \"\(vocabulary[l])\" and \"\(vocabulary[rr])\", "
                    + "but token \(id) is \"\(vocabulary[id])\"")
            }
            merges.append((l, rr))
        }
        try r.end()
        self.init(checkedVocabulary: vocabulary, merges: merges)
    }
}

/// Two ids as one dictionary key (ids stay far below 2³²).
@inline(__always)
func pairKey(_ left: Int, _ right: Int) -> Int { left << 32 | right }

/// `ids` with every occurrence of (`left`, `right`), scanned left to right without overlap,
/// replaced by `merged`.
func joiningPair(_ ids: [Int], _ left: Int, _ right: Int, into merged: Int) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(ids.count)
    var i = 0
    while i < ids.count {
        if i + 1 < ids.count && ids[i] == left && ids[i + 1] == right {
            out.append(merged); i += 2
        } else {
            out.append(ids[i]); i += 1
        }
    }
    return out
}

/// Each piece's ids once computed: a corpus repeats its words, and a piece's merges are the
/// expensive part of encoding. Shared by copies of one tokenizer and safe across threads
/// (a data loader may encode in parallel); emptied when it grows past `limit` pieces so an
/// endless stream of new words cannot exhaust memory.
final class PieceCache: @unchecked Sendable {
    private var ids: [String: [Int]] = [:]
    private let lock = NSLock()
    private let limit = 1 << 20

    subscript(piece: String) -> [Int]? {
        get { lock.lock(); defer { lock.unlock() }; return ids[piece] }
        set {
            lock.lock(); defer { lock.unlock() }
            if ids.count >= limit { ids.removeAll(keepingCapacity: true) }
            ids[piece] = newValue
        }
    }
}
