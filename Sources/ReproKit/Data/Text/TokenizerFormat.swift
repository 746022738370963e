/// The line format that tokenizers serialise to: a header line "repro-tokenizer <kind> <version>",
/// then sections "<name> <count>" each followed by `count` lines. Tokens are escaped so that
/// every token (even "\n" or a space) is one line without blanks: "\" as "\\", and every
/// whitespace or control character as "\u{hex}".
enum TokenizerFormat {
    static let magic = "repro-tokenizer"

    static func header(kind: String, version: Int) -> String { "\(magic) \(kind) \(version)" }

    static func escape(_ token: String) -> String {
        var out = ""
        for s in token.unicodeScalars {
            if s == "\\" { out += "\\\\" }
            else if s.properties.isWhitespace || s.properties.generalCategory == .control {
                out += "\\u{" + String(s.value, radix: 16) + "}"
            } else { out.unicodeScalars.append(s) }
        }
        return out
    }

    /// Reads a serialised tokenizer line by line; every failure names the line and what was
    /// expected there, as one `DataError.invalid`.
    struct Reader {
        private let lines: [Substring]
        private let kind: String
        /// The next line to read, and the last one read (what an error names).
        private var line = 0, last = 0

        /// Checks the header: this `kind` and `version`.
        init(_ text: String, kind: String, version: Int) throws {
            lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            self.kind = kind
            let head = lines.first.map(String.init) ?? ""
            let words = head.split(separator: " ")
            guard words.count == 3, words[0] == Substring(TokenizerFormat.magic) else {
                throw DataError.invalid("not a serialised tokenizer: its first line is \"\(head.prefix(60))\", "
                    + "expected \"\(TokenizerFormat.header(kind: kind, version: version))\"; "
                    + "pass the string that the tokenizer's `serialized` gave")
            }
            guard words[1] == Substring(kind) else {
                throw DataError.invalid("this is a \(words[1]) tokenizer, not a \(kind) one; "
                    + "load it with the tokenizer type that saved it")
            }
            guard words[2] == Substring(String(version)) else {
                throw DataError.invalid("\(kind) tokenizer format version \(words[2]) is not the supported "
                    + "version \(version); train and save the tokenizer again with this version of repro")
            }
            line = 1
        }

        func fail(_ what: String) -> DataError {
            DataError.invalid("malformed \(kind) tokenizer, line \(last + 1): \(what); "
                + "the saved string is damaged: save the tokenizer again")
        }

        /// The next line, or an error if there is none.
        mutating func next() throws -> Substring {
            last = line   // a missing line is reported as the one that should be there
            guard line < lines.count else { throw fail("the text ends early") }
            line += 1
            return lines[last]
        }

        /// A section header "`name` <count>"; returns count.
        mutating func section(_ name: String) throws -> Int {
            let l = try next()
            let w = l.split(separator: " ")
            guard w.count == 2, w[0] == Substring(name), let n = Int(w[1]), n >= 0 else {
                throw fail("expected \"\(name) <count>\", found \"\(l.prefix(60))\"")
            }
            return n
        }

        /// The next line as an escaped token.
        mutating func token() throws -> String {
            let l = try next()
            var out = String.UnicodeScalarView()
            var it = l.unicodeScalars.makeIterator()
            while let s = it.next() {
                guard s == "\\" else { out.append(s); continue }
                switch it.next() {
                case "\\": out.append("\\")
                case "u":
                    var hex = ""
                    guard it.next() == "{" else { throw fail("bad escape in token \"\(l.prefix(60))\"") }
                    while let h = it.next(), h != "}" { hex.unicodeScalars.append(h) }
                    guard let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                        throw fail("bad escape in token \"\(l.prefix(60))\"")
                    }
                    out.append(u)
                default:
                    throw fail("bad escape in token \"\(l.prefix(60))\"")
                }
            }
            guard !out.isEmpty else { throw fail("empty token") }
            return String(out)
        }

        /// `count` tokens after a "vocabulary <count>" header, checking that the four specials
        /// come first and that no token among the first `uniquePrefix` (all if nil) repeats.
        mutating func vocabulary(uniquePrefix: Int? = nil) throws -> [String] {
            let n = try section("vocabulary")
            guard n >= SpecialTokens.all.count else {
                throw fail("a vocabulary needs at least the \(SpecialTokens.all.count) special tokens, found \(n)")
            }
            var tokens: [String] = []
            var seen = Set<String>()
            for i in 0..<n {
                let t = try token()
                if i < SpecialTokens.all.count && t != SpecialTokens.all[i] {
                    throw fail("token \(i) must be \(SpecialTokens.all[i]), found \(t)")
                }
                guard i >= uniquePrefix ?? n || seen.insert(t).inserted else { throw fail("token \"\(t)\" appears twice") }
                tokens.append(t)
            }
            return tokens
        }

        /// Throws unless every line has been read (a trailing newline is allowed).
        func end() throws {
            if let extra = lines[line...].firstIndex(where: { !$0.isEmpty }) {
                throw DataError.invalid("malformed \(kind) tokenizer, line \(extra + 1): unexpected text after "
                    + "the end; the saved string is damaged: save the tokenizer again")
            }
        }
    }

    /// A "vocabulary <count>" section, as `Reader.vocabulary()` reads it.
    static func vocabularyLines(_ tokens: [String]) -> [String] {
        ["vocabulary \(tokens.count)"] + tokens.map(escape)
    }
}
