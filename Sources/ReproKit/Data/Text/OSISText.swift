/// Plain text from the OSIS XML of one Bible verse, as SWORD modules store it.
///
/// Word-level markup (`<w lemma=…>`, `<transChange>`, `<divineName>`, `<q>`, `<seg>`,
/// `<foreign>`, `<hi>`) is removed without a trace, since it sits inside or around words
/// ("<w>earth</w>." must stay "earth."). Notes (`<note>…</note>`, with the cross references
/// inside) go with their content, and so do titles (`<title>…</title>`: psalm headings,
/// colophons), which are not part of the verse. Every other tag (`<div>`, `<chapter>`,
/// `<milestone>`, `<l>`, `<lb/>`, …) marks a boundary and becomes a space. Whitespace runs
/// collapse to one space and the ends are trimmed. The modules repro reads hold no character
/// entities, so `&` is kept as it is.
public enum OSISText {
    /// The plain text of `markup` (UTF-8 bytes), per the rules above.
    public static func plain(_ markup: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(markup.count / 2)
        var pendingSpace = false
        var i = markup.startIndex
        let end = markup.endIndex
        while i < end {
            let c = markup[i]
            if c == UInt8(ascii: "<") {
                guard let tag = Tag(markup, at: i) else { break }  // an unclosed '<': drop the rest
                if !tag.closing && !tag.selfClosing, let drop = dropped.firstIndex(where: { $0.elementsEqual(tag.name) }) {
                    i = skipElement(markup, from: tag.end, name: dropped[drop])
                    if dropped[drop] != note { pendingSpace = true }
                } else {
                    if !inline.contains(where: { $0.elementsEqual(tag.name) }) { pendingSpace = true }
                    i = tag.end
                }
            } else if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                pendingSpace = true
                i += 1
            } else {
                if pendingSpace && !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let note = Array("note".utf8)
    private static let dropped = [note, Array("title".utf8)]
    private static let inline = ["w", "transChange", "divineName", "q", "seg", "foreign", "hi"].map { Array($0.utf8) }

    /// One tag: its name, whether it is `</…>` or `<…/>`, and the index after its '>'.
    private struct Tag {
        let name: ArraySlice<UInt8>
        let closing: Bool
        let selfClosing: Bool
        let end: Int

        init?(_ b: ArraySlice<UInt8>, at start: Int) {
            guard let close = b[start...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            closing = start + 1 < close && b[start + 1] == UInt8(ascii: "/")
            selfClosing = b[close - 1] == UInt8(ascii: "/") && close - 1 > start
            let nameStart = start + (closing ? 2 : 1)
            var nameEnd = nameStart
            while nameEnd < close, b[nameEnd] != 0x20, b[nameEnd] != UInt8(ascii: "/"), b[nameEnd] != 0x0A { nameEnd += 1 }
            name = b[nameStart..<nameEnd]
            end = close + 1
        }
    }

    /// The index after the `</name>` that closes the element whose start tag ended at `from`
    /// (same-name elements nest); the end of the input when it is never closed.
    private static func skipElement(_ b: ArraySlice<UInt8>, from: Int, name: [UInt8]) -> Int {
        var depth = 1
        var i = from
        while let lt = b[i...].firstIndex(of: UInt8(ascii: "<")) {
            guard let tag = Tag(b, at: lt) else { return b.endIndex }
            if tag.name.elementsEqual(name) && !tag.selfClosing {
                depth += tag.closing ? -1 : 1
                if depth == 0 { return tag.end }
            }
            i = tag.end
        }
        return b.endIndex
    }
}
