/// Cuts text into the pieces that word-level and BPE tokenizers build on, and glues pieces
/// back into exactly that text.
///
/// A piece is a word (a run of letters, digits and combining marks: "año", "1508", "niño")
/// or any one other character ("¿", ",", "\n"), preceded by "▁" when a space came right before
/// it (SentencePiece's convention). Text gets one leading space first, so the first word looks
/// like every other ("▁Hola" wherever it stands); a space not followed by a piece (doubled,
/// trailing) is a piece "▁" of its own. So `join(pieces(s)) == s` for every `s` without a
/// literal "▁" (U+2581), which reads back as a space.
public enum PreTokenizer {
    /// Stands for one space before a piece.
    public static let spaceMark: Character = "▁"
    static let spaceScalar: Unicode.Scalar = "▁"

    /// `text`'s pieces, each as its Unicode scalars (the BPE trainer's symbols) and in order.
    public static func pieces(_ text: String) -> [String] {
        var out: [String] = []
        forEachPiece(text) { out.append(String(String.UnicodeScalarView($0))) }
        return out
    }

    /// Calls `body` with each piece's scalars, without building a String for pieces a caller
    /// only counts or looks up.
    static func forEachPiece(_ text: String, _ body: (ArraySlice<Unicode.Scalar>) -> Void) {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return }
        var buf: [Unicode.Scalar] = [spaceScalar]   // the leading space every text gets
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == " " {
                // A space followed by another space or the end stands alone.
                if buf.count == 1 && buf[0] == spaceScalar { body(buf[...]) }
                buf.removeAll(keepingCapacity: true)
                buf.append(spaceScalar)
                i += 1
                continue
            }
            if isWordScalar(s) {
                var j = i
                while j < scalars.count && isWordScalar(scalars[j]) { j += 1 }
                buf.append(contentsOf: scalars[i..<j])
                i = j
            } else {
                buf.append(s)
                i += 1
            }
            body(buf[...])
            buf.removeAll(keepingCapacity: true)
        }
        if buf.count == 1 { body(buf[...]) }   // a trailing space
    }

    /// Letters, digits and combining marks make words; everything else stands alone.
    @inline(__always)
    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39)
        }
        let p = s.properties
        if p.isAlphabetic { return true }
        switch p.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    /// The text of `pieces`: each "▁" becomes a space, and the leading space `pieces(_:)`
    /// added goes again.
    public static func join<S: Sequence>(_ pieces: S) -> String where S.Element == String {
        var scalars = String.UnicodeScalarView()
        for piece in pieces {
            for s in piece.unicodeScalars { scalars.append(s == spaceScalar ? " " : s) }
        }
        var text = String(scalars)
        if text.first == " " { text.removeFirst() }
        return text
    }
}
