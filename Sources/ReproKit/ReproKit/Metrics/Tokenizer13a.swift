/// The "13a" tokenizer of sacreBLEU (the tokenisation of WMT's mteval-v13a.pl), code point
/// for code point the same as `sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a`.
///
/// It splits off ASCII punctuation and symbols, splits periods and commas except inside
/// numbers ("3,000.50" stays whole), splits a dash after a digit ("12-year" → "12 - year"),
/// unescapes `&quot; &amp; &lt; &gt;`, and drops `<skipped>`.
public enum Tokenizer13a {
    /// The tokenised line, tokens separated by one space (sacreBLEU's `Tokenizer13a()(line)`).
    public static func tokenize(_ line: String) -> String {
        tokens(PythonText.codePoints(line)).map(PythonText.string).joined(separator: " ")
    }

    /// The tokens of a line, as code points.
    static func tokens(_ line: PythonText.CodePoints) -> [PythonText.CodePoints] {
        var s = PythonText.replace(line, "<skipped>", "")
        s = PythonText.replace(s, "-\n", "")
        s = PythonText.replace(s, "\n", " ")
        // In this order, so "&amp;lt;" becomes "<" as it does in sacreBLEU.
        for (entity, text) in [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] {
            s = PythonText.replace(s, entity, text)
        }
        s = [space] + s + [space]
        // The four regular expressions of sacreBLEU's TokenizerRegexp, each a pass of re.sub.
        var split = PythonText.CodePoints()
        split.reserveCapacity(s.count + s.count / 2)
        for c in s {
            if isSplitSymbol(c) { split += [space, c, space] } else { split.append(c) }
        }
        s = split
        s = substitutePairs(s, matching: { !isDigit($0) && isPeriodOrComma($1) }, with: { [$0, space, $1, space] })
        s = substitutePairs(s, matching: { isPeriodOrComma($0) && !isDigit($1) }, with: { [space, $0, space, $1] })
        s = substitutePairs(s, matching: { isDigit($0) && $1 == dash }, with: { [$0, space, $1, space] })
        return PythonText.split(s)
    }

    private static let space: UInt32 = 0x20, dash: UInt32 = 0x2D

    /// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: ASCII punctuation and symbols except ' , - .
    private static func isSplitSymbol(_ c: UInt32) -> Bool {
        switch c {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    private static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isPeriodOrComma(_ c: UInt32) -> Bool { c == 0x2E || c == 0x2C }

    /// `re.sub` of a two-character pattern: scanning left to right, each match is replaced
    /// and scanning resumes after it, so matches never overlap (as in Python).
    private static func substitutePairs(_ s: PythonText.CodePoints,
                                        matching: (UInt32, UInt32) -> Bool,
                                        with replacement: (UInt32, UInt32) -> [UInt32]) -> PythonText.CodePoints {
        var out = PythonText.CodePoints()
        out.reserveCapacity(s.count + s.count / 4)
        var i = 0
        while i < s.count {
            if i + 1 < s.count && matching(s[i], s[i + 1]) {
                out += replacement(s[i], s[i + 1])
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}
