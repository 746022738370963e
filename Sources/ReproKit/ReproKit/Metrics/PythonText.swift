/// Text as Python sees it, for scoring exactly as sacreBLEU does.
///
/// sacreBLEU works on Python strings: sequences of Unicode code points, compared code point
/// by code point, split at Python's whitespace. Swift's `String` compares canonically
/// ("é" == "e\u{301}") and counts grapheme clusters, so the text metrics work on arrays of
/// code points instead and never compare `String`s.
enum PythonText {
    typealias CodePoints = [UInt32]

    static func codePoints(_ s: String) -> CodePoints { s.unicodeScalars.map(\.value) }

    static func string(_ c: some Sequence<UInt32>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: c.compactMap(Unicode.Scalar.init))
        return String(s)
    }

    /// `str.isspace()` for one code point: exactly the 29 code points CPython 3 treats as
    /// whitespace (Unicode White_Space, plus the ASCII separators U+001C…U+001F).
    static func isSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029,
             0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.split()`: the runs between whitespace, none empty.
    static func split(_ s: CodePoints) -> [CodePoints] {
        s.split(whereSeparator: isSpace).map(Array.init)
    }

    /// `str.rstrip()`.
    static func rstrip(_ s: CodePoints) -> CodePoints {
        var end = s.count
        while end > 0 && isSpace(s[end - 1]) { end -= 1 }
        return Array(s[..<end])
    }

    /// `str.replace(old, new)`: every non-overlapping occurrence, left to right.
    static func replace(_ s: CodePoints, _ old: String, _ new: String) -> CodePoints {
        let o = codePoints(old), n = codePoints(new)
        guard !o.isEmpty, s.count >= o.count else { return s }
        var out = CodePoints()
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + o.count <= s.count && s[i..<(i + o.count)].elementsEqual(o) {
                out += n
                i += o.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}
