/// Text that the TOML library (toml++, inside TOMLKit) cannot be given: it asserts instead of
/// returning a syntax error, which aborts the process. Found by `FuzzTests`; each is checked
/// here first and becomes an ordinary one-line card error.
enum TOMLPreflight {
    /// The line and problem of the first such spot in `text`, or nil.
    ///
    /// Known: a `}` where an array expects a value (after `[` or `,`, with only whitespace,
    /// line breaks and comments between): toml++'s array parser hands it to its value parser,
    /// whose first assertion is that the value does not start with a terminator. A `}` there
    /// is a syntax error in TOML anyway, so nothing valid is refused.
    static func problem(_ text: String) -> (line: Int, message: String)? {
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1
        var lastSignificant: Unicode.Scalar = "\n"
        func at(_ k: Int) -> Unicode.Scalar? { k < chars.count ? chars[k] : nil }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\n":
                line += 1; i += 1
            case " ", "\t", "\r":
                i += 1
            case "#":
                while i < chars.count && chars[i] != "\n" { i += 1 }
            case "\"", "'":
                // A string, basic or literal, one line or three quotes: skipped whole.
                let triple = at(i + 1) == c && at(i + 2) == c
                i += triple ? 3 : 1
                while i < chars.count {
                    if chars[i] == "\\" && c == "\"" {
                        if at(i + 1) == "\n" { line += 1 }
                        i += 2
                        continue
                    }
                    if chars[i] == "\n" {
                        if !triple { break }
                        line += 1
                    }
                    if chars[i] == c && (!triple || (at(i + 1) == c && at(i + 2) == c)) {
                        i += triple ? 3 : 1
                        // Up to two more quotes may close a multi-line string ("""a"""").
                        while triple && at(i) == c { i += 1 }
                        break
                    }
                    i += 1
                }
                lastSignificant = c
            default:
                if c == "}" && (lastSignificant == "[" || lastSignificant == ",") {
                    return (line, "'}' right after '\(lastSignificant)', where a value (or the ']' that closes an array) must come")
                }
                lastSignificant = c
                i += 1
            }
        }
        return nil
    }
}
