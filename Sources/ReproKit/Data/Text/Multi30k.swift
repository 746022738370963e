/// Multi30k task 1 (Elliott et al. 2016): English image captions and their German translations,
/// 29,000 / 1,014 / 1,000 sentence pairs, from the gzip files the dataset repository publishes
/// (one sentence a line, UTF-8). `repro data fetch multi30k` downloads and checks them.
public enum Multi30k {
    /// The registry name.
    public static let name = "multi30k"
    /// Where `repro data fetch multi30k` puts the files.
    public static var defaultDirectory: String { DataRoot.path + "/multi30k" }

    /// The published file of `split` in `language` ("en" or "de"), e.g. "val.en.gz".
    public static func fileName(_ split: CorpusSplit, _ language: String) -> String {
        switch split {
        case .train: return "train.\(language).gz"
        case .valid: return "val.\(language).gz"
        case .test: return "test_2016_flickr.\(language).gz"
        }
    }

    /// The pairs of `split`, translated from `source` ("en" or "de"), in file order. Files
    /// with different line counts are a one-line error naming both.
    public static func load(_ split: CorpusSplit, source: String = "en", directory: String = defaultDirectory) throws -> ParallelCorpus {
        let hint = "repro data fetch \(name)"
        let enPath = directory + "/" + fileName(split, "en"), dePath = directory + "/" + fileName(split, "de")
        let en = lines(try Gzip.readFile(enPath, missingHint: hint))
        let de = lines(try Gzip.readFile(dePath, missingHint: hint))
        guard en.count == de.count else {
            throw DataError.malformed(path: dePath, detail: "\(de.count) lines where \(enPath) has \(en.count); "
                + "each line must translate the same line of the other; \(hint) again")
        }
        let pairs = zip(en, de).map { TextPair(source: $0, target: $1) }
        let refs = en.indices.map { "\(fileName(split, "en")):\($0 + 1)" }
        return try ParallelCorpus(pairs: pairs, references: refs, name: name, split: split.rawValue,
                                  sourceLanguage: "en", targetLanguage: "de", unit: "sentence").from(source)
    }

    /// The lines of UTF-8 `bytes`, without their "\n" or "\r\n"; a final newline ends the
    /// last line rather than starting an empty one.
    static func lines(_ bytes: [UInt8]) -> [String] {
        // Split the bytes, not the String: Swift reads "\r\n" as one Character.
        var out = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
        if out.last == "" { out.removeLast() }
        return out
    }
}
