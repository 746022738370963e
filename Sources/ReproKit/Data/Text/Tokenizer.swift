/// Turns text into token ids and back, and saves itself as one string (a task keeps it in
/// its `TaskState.strings`, so a resumed run or an evaluation encodes exactly as training did).
///
/// Every tokenizer reserves the same four ids: `<pad>` 0, `<bos>` 1, `<eos>` 2, `<unk>` 3, so
/// a batch collated for one tokenizer means the same to a model trained with another.
public protocol Tokenizer: Sendable {
    /// The ids of `text`'s tokens, without `<bos>`/`<eos>` (a collator adds those).
    /// What the tokenizer never saw becomes `unk`.
    func encode(_ text: String) -> [Int]

    /// The text of `ids`. `<pad>`, `<bos>` and `<eos>` carry no text and are dropped;
    /// `<unk>` and ids outside the vocabulary are written as "<unk>", so a model's raw output
    /// can always be printed.
    func decode(_ ids: [Int]) -> String

    /// Token `id`'s text, as `vocabulary` has it (specials first, then the tokenizer's own).
    var vocabulary: [String] { get }

    /// The whole tokenizer as one string, whose first line names its kind and format version.
    var serialized: String { get }

    /// The tokenizer that `serialized` gave. Throws `DataError.invalid` with one line saying
    /// what is wrong when the string is not one this type wrote.
    init(serialized: String) throws
}

/// The four ids every tokenizer reserves, in this order from 0.
public enum SpecialTokens {
    /// `<pad>`, `<bos>`, `<eos>`, `<unk>`: ids 0, 1, 2, 3.
    public static let all = ["<pad>", "<bos>", "<eos>", "<unk>"]
    /// The ids of `<pad>`, `<bos>`, `<eos>` and `<unk>`.
    public static let pad = 0, bos = 1, eos = 2, unk = 3
}

extension Tokenizer {
    /// How many ids there are: the size a model's embedding and output layer need.
    public var vocabularySize: Int { vocabulary.count }
    /// `<pad>`: fills a batch up to its longest sequence.
    public var pad: Int { SpecialTokens.pad }
    /// `<bos>`: starts a decoder's input.
    public var bos: Int { SpecialTokens.bos }
    /// `<eos>`: ends a sequence (a decoder's target, a generated sentence).
    public var eos: Int { SpecialTokens.eos }
    /// `<unk>`: stands for whatever the tokenizer never saw.
    public var unk: Int { SpecialTokens.unk }
}
