/// The King James Version (English, 1769 text) and the Reina-Valera 1909 (Spanish), verse
/// by verse: 31,084 EN–ES pairs, both public domain, read from the Debian packages
/// `sword-text-kjv` and `sword-text-sparv` (SWORD zText modules, KJV versification, so entry
/// *i* of one is entry *i* of the other).
///
/// A pair is a verse whose text is non-empty in both Bibles after `OSISText` cleaning (18 of
/// the 31,102 verses are empty on one side). Splits go by book, so no book is in
/// two of them and a model is tested on books it never saw:
/// - valid: Joshua, Ecclesiastes, Mark, 1 Peter (history, wisdom, gospel, epistle);
/// - test: Ruth, Esther, Lamentations, Daniel, John, Philippians, James;
/// - train: the other 55 books.
public struct BibleCorpus: Sendable {
    /// Where `sword-text-*` packages install zText modules.
    public static let defaultDirectory = "/usr/share/sword/modules/texts/ztext"
    /// The registry name.
    public static let name = "kjv-rv1909"
    /// The books (OSIS abbreviations) of the validation split.
    public static let validBooks: Set<String> = ["Josh", "Eccl", "Mark", "1Pet"]
    /// The books of the test split.
    public static let testBooks: Set<String> = ["Ruth", "Esth", "Lam", "Dan", "John", "Phil", "Jas"]

    /// One verse in both languages.
    public struct Verse: Sendable {
        /// Which verse.
        public let ref: KJVVersification.VerseRef
        /// The KJV's text, plain; empty where the module has none.
        public let english: String
        /// The Reina-Valera 1909's text, plain; empty where the module has none.
        public let spanish: String
    }

    /// Every verse, in canonical order, including those empty on one side or both.
    public let verses: [Verse]

    /// Reads both modules from `directory` (engKJV2006eb and spaRV1909eb).
    public init(directory: String = defaultDirectory) throws {
        let kjv = try Self.module(directory + "/engKJV2006eb", package: "sword-text-kjv")
        let rv = try Self.module(directory + "/spaRV1909eb", package: "sword-text-sparv")
        verses = KJVVersification.verses.map { v in
            Verse(ref: v.ref, english: kjv.text(at: v.entry), spanish: rv.text(at: v.entry))
        }
    }

    /// A module whose index has exactly the KJV versification's entry counts.
    private static func module(_ path: String, package: String) throws -> SwordZText {
        let m = try SwordZText(directory: path, installHint: "apt-get install \(package) (scripts/setup does it)")
        let want = KJVVersification.entriesPerTestament
        for (t, name) in ["ot", "nt"].enumerated() where m.entriesPerTestament[t] != want[t] {
            throw DataError.malformed(path: path + "/\(name).bzv", detail: "\(m.entriesPerTestament[t]) index entries where the KJV "
                + "versification has \(want[t]); this is not the \(package) module repro reads (apt-get install --reinstall \(package))")
        }
        return m
    }

    /// Which split book `book` (0..<66) is in.
    public static func split(ofBook book: Int) -> CorpusSplit {
        let id = KJVVersification.books[book].osisID
        return validBooks.contains(id) ? .valid : testBooks.contains(id) ? .test : .train
    }

    /// The pairs of `split`, translated from `source` ("en" or "es"), in canonical order.
    /// - Parameters:
    ///   - maxWords: keep only pairs with at most this many words on each side.
    ///   - maxPairs: then at most this many pairs, spread evenly over the split.
    public func corpus(_ split: CorpusSplit, source: String = "en", maxWords: Int? = nil,
                       maxPairs: Int? = nil) throws -> ParallelCorpus {
        let chosen = verses.filter { !$0.english.isEmpty && !$0.spanish.isEmpty && Self.split(ofBook: $0.ref.book) == split }
        var c = ParallelCorpus(pairs: chosen.map { TextPair(source: $0.english, target: $0.spanish) },
                               references: chosen.map { "\($0.ref)" }, name: Self.name, split: split.rawValue,
                               sourceLanguage: "en", targetLanguage: "es", unit: "verse")
        if let maxWords { c = c.filtered(maxWords: maxWords) }
        if let maxPairs { c = c.limited(to: maxPairs) }
        return try c.from(source)
    }

    /// The English text of the books `books` (OSIS abbreviations; all 66 when nil), one
    /// non-empty verse a line: the character-level language-model corpus.
    public func englishText(books: Set<String>? = nil) -> String {
        verses.lazy.filter { !$0.english.isEmpty && (books?.contains(KJVVersification.books[$0.ref.book].osisID) ?? true) }
            .map(\.english).joined(separator: "\n")
    }
}
