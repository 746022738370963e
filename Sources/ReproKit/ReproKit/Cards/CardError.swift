/// A problem in a paper card, said in one line as `FILE:LINE: problem` so that editors and
/// terminals can jump to it. `line` is nil only for problems with a whole file or folder
/// (unreadable, missing).
public struct CardError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

extension CardError {
    /// How many problems of one card are printed; the rest are counted in one line.
    public static let perCardLimit = 5

    /// The first `limit` problems of one card, then "… and N more problems in this card": a
    /// card with thousands of bad keys gives a few lines, not thousands.
    public static func capped(_ problems: [CardError], limit: Int = perCardLimit) -> [CardError] {
        guard problems.count > limit, let file = problems.first?.file else { return problems }
        return Array(problems.prefix(limit))
            + [CardError(file: file, line: nil, "… and \(problems.count - limit) more problems in this card")]
    }
}

/// "Did you mean" help for misspelt keys, variants and experiment names.
enum CardSuggest {
    /// The closest of `candidates` to `word` if it is a plausible typo (a few edits, or one
    /// is a prefix of the other, as "rel_tol" for "rel_tolerance"), else nil.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let w = word.lowercased()
        var best: (name: String, distance: Int)?
        for c in candidates {
            let d = distance(w, c.lowercased())
            if best == nil || d < best!.distance { best = (c, d) }
        }
        if let best {
            let limit = w.count <= 4 ? 1 : max(2, min(w.count, best.name.count) / 3)
            if best.distance <= limit { return best.name }
        }
        guard w.count >= 3 else { return nil }
        return candidates.first { c in
            let l = c.lowercased()
            return l.count >= 3 && (l.hasPrefix(w) || w.hasPrefix(l))
        }
    }

    /// " (did you mean 'x'?)" or "".
    static func didYouMean(_ word: String, _ candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance, with a swap of two neighbours counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
