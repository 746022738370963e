/// Fixed-length windows of a text's characters, as integer codes: the data of a
/// character-level language model. Window *i* starts at character `i * stride`; ask for one
/// more character than the context to get inputs (the first `length - 1`) and next-character
/// targets (the last `length - 1`) from one window.
///
/// Characters are Unicode scalars; code *k* is `vocabulary[k]`, sorted by scalar value, so the
/// same characters always get the same codes.
public struct CharacterWindows: Dataset, Sendable {
    public typealias Example = [Int]

    /// Every character a code can stand for, in code order.
    public let vocabulary: [Unicode.Scalar]
    /// The whole text as codes.
    public let codes: [Int32]
    /// Characters per window.
    public let length: Int
    /// Characters from one window's start to the next's.
    public let stride: Int
    /// What the data set is called, e.g. "kjv-chars".
    public let name: String
    /// Which split, e.g. "train".
    public let split: String?

    /// - Parameters:
    ///   - vocabulary: the characters to code; nil: the text's own. Give the whole corpus's
    ///     vocabulary when splits must share codes.
    ///   - stride: how far apart windows start; nil: `length` (windows do not overlap).
    /// Throws a one-line error when the text is shorter than one window, a setting is below 1,
    /// or the text has a character outside `vocabulary`.
    public init(text: String, length: Int, stride: Int? = nil, vocabulary: [Unicode.Scalar]? = nil,
                name: String, split: String? = nil) throws {
        let stride = stride ?? length
        let vocab = vocabulary ?? Self.vocabulary(of: text)
        var index: [Unicode.Scalar: Int32] = [:]
        for (k, c) in vocab.enumerated() { index[c] = Int32(k) }
        var codes: [Int32] = []
        codes.reserveCapacity(text.unicodeScalars.count)
        for c in text.unicodeScalars {
            guard let k = index[c] else {
                throw DataError.invalid("\(name): the character \(c.escaped(asASCII: true)) is not in the given vocabulary of \(vocab.count)")
            }
            codes.append(k)
        }
        guard length >= 1, stride >= 1, codes.count >= length else {
            throw DataError.invalid("\(name): windows need length ≥ 1, stride ≥ 1 and a text of at least one window; "
                + "got length \(length), stride \(stride), \(codes.count) characters")
        }
        self.vocabulary = vocab; self.codes = codes; self.length = length; self.stride = stride
        self.name = name; self.split = split
    }

    /// The distinct characters of `text`, sorted.
    public static func vocabulary(of text: String) -> [Unicode.Scalar] {
        Set(text.unicodeScalars).sorted { $0.value < $1.value }
    }

    /// How many whole windows fit.
    public var count: Int { (codes.count - length) / stride + 1 }

    /// Window `index`'s codes.
    public func example(at index: Int) -> [Int] {
        codes[index * stride..<index * stride + length].map(Int.init)
    }

    /// The text that `codes` stand for.
    public func decode(_ codes: [Int]) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: codes.map { vocabulary[$0] })
        return String(s)
    }

    public var datasetDescription: DatasetDescription {
        DatasetDescription(name: name, split: split, count: count,
                           example: "windows of \(length) characters, \(vocabulary.count) distinct")
    }
}

extension BibleCorpus {
    /// Character windows of the KJV English text (one verse a line) of `split`'s books
    /// (see `BibleCorpus` for which), coded with the whole English Bible's vocabulary.
    public func characterWindows(_ split: CorpusSplit, length: Int, stride: Int? = nil) throws -> CharacterWindows {
        let books = Set(KJVVersification.books.indices.filter { Self.split(ofBook: $0) == split }.map { KJVVersification.books[$0].osisID })
        return try CharacterWindows(text: englishText(books: books), length: length, stride: stride,
                                    vocabulary: CharacterWindows.vocabulary(of: englishText()),
                                    name: "kjv-chars", split: split.rawValue)
    }
}
