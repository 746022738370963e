import Foundation

/// A plain-text table with aligned columns. Given a width, columns that do not fit share
/// it and their cells wrap at spaces onto more lines (a blank line then separates rows).
public enum TextTable {
    /// Two spaces between columns.
    static let gap = 2

    /// The table with columns padded to their widest cell; with `maxWidth`, no line is longer
    /// (when the columns fit at all), and the columns in `keepWhole` (a verdict) are not wrapped
    /// as long as the others keep some room.
    public static func render(header: [String], rows: [[String]], maxWidth: Int? = nil,
                              keepWhole: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() where i < widths.count { widths[i] = Swift.max(widths[i], cell.count) } }
        if let maxWidth { widths = fitted(widths, into: maxWidth - gap * (widths.count - 1), keepWhole: keepWhole) }
        func lines(_ cells: [String]) -> [String] {
            let wrapped = widths.indices.map { i in wrap(i < cells.count ? cells[i] : "", width: widths[i]) }
            let height = wrapped.map(\.count).max() ?? 1
            return (0..<height).map { row in
                let line = wrapped.enumerated().map { i, parts in
                    (row < parts.count ? parts[row] : "").padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: String(repeating: " ", count: gap))
                return String(line.reversed().drop { $0 == " " }.reversed())
            }
        }
        let body = rows.map(lines)
        let separator = body.contains { $0.count > 1 } ? "\n" : ""
        var out = lines(header).joined(separator: "\n") + "\n"
            + widths.map { String(repeating: "─", count: $0) }.joined(separator: String(repeating: " ", count: gap)) + "\n"
        out += body.map { $0.joined(separator: "\n") + "\n" }.joined(separator: separator)
        return out
    }

    /// The terminal's width from $COLUMNS, else 120.
    public static func terminalWidth(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 120
    }

    /// The narrowest a wrapped column gets, so that words stay readable.
    static let minimum = 4

    /// Column widths that sum to at most `total`: narrow columns keep their width, the
    /// others share what is left equally (at least `minimum` each).
    static func fitted(_ natural: [Int], into total: Int, keepWhole: Set<Int> = []) -> [Int] {
        guard natural.reduce(0, +) > total else { return natural }
        let whole = keepWhole.filter(natural.indices.contains)
        let rest = total - whole.map { natural[$0] }.reduce(0, +)
        // Kept whole only while every other column still gets its minimum.
        if !whole.isEmpty, rest >= minimum * (natural.count - whole.count) {
            var widths = fitted(natural.enumerated().filter { !whole.contains($0.offset) }.map(\.element), into: rest)
            for i in whole.sorted() { widths.insert(natural[i], at: i) }
            return widths
        }
        var widths = natural, left = total
        var open = Set(natural.indices)
        // Settle the narrowest columns first: each that fits its fair share keeps its width.
        for i in natural.indices.sorted(by: { natural[$0] < natural[$1] }) {
            let share = left / open.count
            guard natural[i] <= share else { break }
            left -= natural[i]
            open.remove(i)
        }
        for (n, i) in open.sorted().enumerated() {
            widths[i] = Swift.max(minimum, left / open.count + (n < left % open.count ? 1 : 0))
        }
        return widths
    }

    /// `text` in lines of at most `width` characters, broken at spaces where it can be.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard text.count > width else { return [text] }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = Substring(word)
            if !line.isEmpty && line.count + 1 + word.count <= width {
                line += " " + word
                continue
            }
            if !line.isEmpty { lines.append(line); line = "" }
            while word.count > width {
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            line = String(word)
        }
        lines.append(line)
        return lines
    }
}
