/// Where each key of a TOML document is written and the order keys first appear in.
///
/// TOMLKit reports source positions only for syntax errors, and toml++ keeps a table's keys
/// sorted, so a card's file order (config keys, experiments, variants) and the line of a
/// misspelt key are recovered here from the raw text. The scanner runs only on text that
/// toml++ has already accepted, so it can be lenient; it stops quietly on anything it does
/// not expect, and lookups then fall back to the nearest known ancestor.
struct TOMLSourceMap {
    /// A path into the document: table keys, and `TOMLSourceMap.index(i)` for array elements.
    typealias Path = [String]

    private var lines: [String: Int] = [:]
    private var order: [String: [String]] = [:]

    /// The path component of element `i` of an array (never a valid decoded TOML key).
    static func index(_ i: Int) -> String { "\u{2}\(i)" }
    static func isIndex(_ component: String) -> Bool { component.hasPrefix("\u{2}") }

    private static func key(_ path: Path) -> String { path.joined(separator: "\u{1}") }

    init(text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.run()
        lines = scanner.lines
        order = scanner.order
    }

    /// The line `path` was first written on, else that of its nearest written ancestor, else 1.
    func line(_ path: Path) -> Int {
        var p = path
        while !p.isEmpty {
            if let l = lines[Self.key(p)] { return l }
            p.removeLast()
        }
        return 1
    }

    /// Whether `path` itself was seen in the text.
    func contains(_ path: Path) -> Bool { lines[Self.key(path)] != nil }

    /// The children of `path` in the order they first appear in the file.
    func children(_ path: Path) -> [String] { order[Self.key(path)] ?? [] }

    private struct Stop: Error {}

    /// A lexer just thorough enough to find keys: headers, dotted keys, inline tables and
    /// arrays are followed; strings are skipped with their escapes; other values are skipped
    /// to the next delimiter.
    private struct Scanner {
        let bytes: [UInt8]
        var p = 0
        var line = 1
        var lines: [String: Int] = [:]
        var order: [String: [String]] = [:]
        var arrayCounts: [String: Int] = [:]

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p = 3 }  // a UTF-8 byte-order mark
        }

        var atEnd: Bool { p >= bytes.count }
        func peek(_ k: Int = 0) -> UInt8? { p + k < bytes.count ? bytes[p + k] : nil }

        mutating func advance() {
            if bytes[p] == UInt8(ascii: "\n") { line += 1 }
            p += 1
        }

        mutating func record(_ path: Path, line: Int) {
            for n in stride(from: 1, through: path.count, by: 1) {
                let k = TOMLSourceMap.key(Array(path[..<n]))
                if lines[k] == nil {
                    lines[k] = line
                    order[TOMLSourceMap.key(Array(path[..<(n - 1)])), default: []].append(path[n - 1])
                }
            }
        }

        mutating func run() {
            var current: Path = []
            do {
                while true {
                    try skipBlank(newlines: true)
                    if atEnd { return }
                    let startLine = line
                    if peek() == UInt8(ascii: "[") {
                        let isArray = peek(1) == UInt8(ascii: "[")
                        p += isArray ? 2 : 1
                        let raw = try dottedKey()
                        try skipBlank(newlines: false)
                        try expect("]")
                        if isArray { try expect("]") }
                        current = resolve(raw, arrayHeader: isArray, line: startLine)
                    } else {
                        try keyValue(prefix: current)
                    }
                }
            } catch {
                return  // unexpected text: keep what was found so far
            }
        }

        /// A header's path with the current element of every array of tables it passes
        /// through, as TOML reads `[fruits.physical]` after `[[fruits]]`.
        mutating func resolve(_ raw: [String], arrayHeader: Bool, line: Int) -> Path {
            var path: Path = []
            for (i, comp) in raw.enumerated() {
                path.append(comp)
                record(path, line: line)
                let k = TOMLSourceMap.key(path)
                if arrayHeader && i == raw.count - 1 {
                    let n = arrayCounts[k, default: 0]
                    arrayCounts[k] = n + 1
                    path.append(TOMLSourceMap.index(n))
                    record(path, line: line)
                } else if let n = arrayCounts[k] {
                    path.append(TOMLSourceMap.index(n - 1))
                }
            }
            return path
        }

        mutating func keyValue(prefix: Path) throws {
            let startLine = line
            let path = prefix + (try dottedKey())
            record(path, line: startLine)
            try skipBlank(newlines: false)
            try expect("=")
            try skipBlank(newlines: false)
            try value(path)
        }

        mutating func value(_ path: Path) throws {
            guard let c = peek() else { throw Stop() }
            switch c {
            case UInt8(ascii: "{"):
                p += 1
                while true {
                    try skipBlank(newlines: true)
                    if peek() == UInt8(ascii: "}") { p += 1; return }
                    try keyValue(prefix: path)
                    try skipBlank(newlines: true)
                    if peek() == UInt8(ascii: ",") { p += 1; continue }
                    try expect("}")
                    return
                }
            case UInt8(ascii: "["):
                p += 1
                var i = 0
                while true {
                    try skipBlank(newlines: true)
                    if peek() == UInt8(ascii: "]") { p += 1; return }
                    let element = path + [TOMLSourceMap.index(i)]
                    record(element, line: line)
                    try value(element)
                    i += 1
                    try skipBlank(newlines: true)
                    if peek() == UInt8(ascii: ",") { p += 1; continue }
                    try expect("]")
                    return
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                _ = try string()
            default:
                try scalar()
            }
        }

        /// Numbers, booleans, dates: up to the next delimiter (a date-time may hold one space).
        mutating func scalar() throws {
            let start = p
            while let c = peek() {
                if c == UInt8(ascii: " "), p - start == 10, bytes[start + 4] == UInt8(ascii: "-"),
                   let d = peek(1), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") {
                    p += 1; continue
                }
                if [",", "]", "}", "#", " ", "\t", "\r", "\n"].contains(where: { UInt8(ascii: $0) == c }) { break }
                p += 1
            }
            if p == start { throw Stop() }
        }

        /// A key of one or more parts joined by dots.
        mutating func dottedKey() throws -> [String] {
            var parts: [String] = []
            while true {
                try skipBlank(newlines: false)
                guard let c = peek() else { throw Stop() }
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    parts.append(try string())
                } else {
                    let start = p
                    while let b = peek(), isBare(b) { p += 1 }
                    if p == start { throw Stop() }
                    parts.append(String(decoding: bytes[start..<p], as: UTF8.self))
                }
                try skipBlank(newlines: false)
                if peek() == UInt8(ascii: ".") { p += 1 } else { return parts }
            }
        }

        func isBare(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }

        /// Any of the four string forms; returns the decoded text (used for quoted keys).
        mutating func string() throws -> String {
            let quote = bytes[p]
            let literal = quote == UInt8(ascii: "'")
            let multi = peek(1) == quote && peek(2) == quote
            p += multi ? 3 : 1
            var out: [UInt8] = []
            while true {
                guard let c = peek() else { throw Stop() }
                if c == quote && (!multi || (peek(1) == quote && peek(2) == quote)) {
                    p += multi ? 3 : 1
                    // A multi-line string may end with up to two more quotes of its own.
                    var extra = 0
                    while multi, extra < 2, peek() == quote { out.append(quote); p += 1; extra += 1 }
                    return String(decoding: out, as: UTF8.self)
                }
                if c == UInt8(ascii: "\n") && !multi { throw Stop() }
                if c == UInt8(ascii: "\\") && !literal {
                    advance()
                    guard let e = peek() else { throw Stop() }
                    advance()
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        let n = e == UInt8(ascii: "u") ? 4 : 8
                        guard p + n <= bytes.count,
                              let v = UInt32(String(decoding: bytes[p..<(p + n)], as: UTF8.self), radix: 16),
                              let s = Unicode.Scalar(v) else { throw Stop() }
                        p += n
                        out += Array(String(Character(s)).utf8)
                    default: out.append(e)  // \" \\ and a line-ending backslash's newline
                    }
                    continue
                }
                out.append(c)
                advance()
            }
        }

        /// Spaces, tabs, comments, and (if allowed) line breaks.
        mutating func skipBlank(newlines: Bool) throws {
            while let c = peek() {
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                    p += 1
                } else if c == UInt8(ascii: "#") {
                    while let d = peek(), d != UInt8(ascii: "\n") { p += 1 }
                } else if c == UInt8(ascii: "\n") && newlines {
                    advance()
                } else {
                    return
                }
            }
        }

        mutating func expect(_ s: Unicode.Scalar) throws {
            guard peek() == UInt8(ascii: s) else { throw Stop() }
            p += 1
        }
    }
}
