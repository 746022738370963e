/// A batch for a next-token language model (a character-level RNN, a small GPT): B windows
/// of T + 1 consecutive ids become inputs x[0..<T] and targets x[1...T], so position t
/// predicts the id that follows it.
public struct LanguageModelBatch: Equatable, Sendable {
    /// Row-major [B, T]: each window's first T ids.
    public let inputs: [Int]
    /// Row-major [B, T]: each window's last T ids, the inputs shifted left by one.
    public let targets: [Int]
    /// B.
    public let count: Int
    /// T.
    public let length: Int

    /// [B, T].
    public var shape: [Int] { [count, length] }

    /// From windows of `length` + 1 ids each (checked by the caller).
    init(windows: [[Int]], length t: Int) {
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(windows.count * t); targets.reserveCapacity(windows.count * t)
        for w in windows {
            inputs.append(contentsOf: w[0..<t])
            targets.append(contentsOf: w[1...t])
        }
        self.inputs = inputs; self.targets = targets; count = windows.count; length = t
    }
}

/// Cuts windows of T + 1 ids into a `LanguageModelBatch`.
public struct LanguageModelCollator: Collator {
    /// A collator; windows say their own length.
    public init() {}

    /// - Throws: `DataError.invalid` for no windows, a window shorter than 2 ids (nothing to
    ///   predict), or windows of different lengths.
    public func collate(_ examples: [[Int]]) throws -> LanguageModelBatch {
        guard let first = examples.first else {
            throw DataError.invalid("cannot collate an empty batch of windows; ask for at least one index")
        }
        guard first.count >= 2 else {
            throw DataError.invalid("a language-model window needs at least 2 ids (an input and its next id), "
                + "got \(first.count)")
        }
        if let bad = examples.firstIndex(where: { $0.count != first.count }) {
            throw DataError.invalid("window \(bad) has \(examples[bad].count) ids but window 0 has \(first.count); "
                + "every window of a batch needs the same length")
        }
        return LanguageModelBatch(windows: examples, length: first.count - 1)
    }
}

/// A long stream of ids (an encoded text) as windows of `length` + 1 ids starting every
/// `stride` ids: window i covers ids[i·stride ... i·stride + length]. With the default
/// stride = length, windows share one id at their seams, so every id but the first is a
/// target exactly once.
public struct TokenWindows: Dataset {
    /// The whole stream (e.g. a text encoded character by character).
    public let ids: [Int]
    /// T: inputs (and targets) per window.
    public let length: Int
    /// How far apart windows start.
    public let stride: Int
    /// `name`, `split`, the window count and "windows of T + 1 token ids".
    public let datasetDescription: DatasetDescription

    /// Windows over `ids`, described as `name` (and `split`) in run folders.
    /// - Throws: `DataError.invalid` for a `length` or `stride` below 1, or a stream shorter
    ///   than one window (`length` + 1 ids).
    public init(ids: [Int], length: Int, stride: Int? = nil, name: String = "token windows",
                split: String? = nil) throws {
        guard length >= 1 else {
            throw DataError.invalid("window length must be at least 1, got \(length); set it to a positive number")
        }
        let stride = stride ?? length
        guard stride >= 1 else {
            throw DataError.invalid("window stride must be at least 1, got \(stride); set it to a positive number")
        }
        guard ids.count > length else {
            throw DataError.invalid("\(ids.count) ids cannot fill one window of \(length) + 1 ids; "
                + "use a longer text or a shorter window")
        }
        self.ids = ids; self.length = length; self.stride = stride
        let count = (ids.count - length - 1) / stride + 1
        datasetDescription = DatasetDescription(name: name, split: split, count: count,
                                                example: "windows of \(length) + 1 token ids")
    }

    /// How many whole windows fit: (ids − length − 1) / stride + 1; a shorter tail is left out.
    public var count: Int { datasetDescription.count }

    /// Window `index`: `length` + 1 ids.
    public func example(at index: Int) -> [Int] { Array(ids[index * stride...index * stride + length]) }

    /// The windows `indices` as inputs and next-id targets (B = 0 for no indices).
    public func batch(_ indices: [Int]) -> LanguageModelBatch {
        LanguageModelBatch(windows: indices.map { example(at: $0) }, length: length)
    }
}
