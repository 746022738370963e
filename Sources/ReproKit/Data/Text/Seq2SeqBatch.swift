/// A batch for an encoder–decoder model trained with teacher forcing: the source sentences,
/// the decoder's input (the target shifted right behind `<bos>`) and what it must predict at
/// each position (the target followed by `<eos>`).
///
/// For a target "a b c": decoder input `<bos> a b c`, decoder target `a b c <eos>`: position t
/// sees the words before t and predicts word t. The decoder target is padded with
/// `ignoreIndex`, which TensorCore's `crossEntropy(_:targets:ignoreIndex:)` leaves out of the
/// loss, so `crossEntropy(logits, targets: batch.decoderTarget)` averages over real tokens.
public struct Seq2SeqBatch: Equatable, Sendable {
    /// The target id that marks padding: PyTorch's `ignore_index` default, and the default of
    /// `crossEntropy(_:targets:ignoreIndex:)`.
    public static let ignoreIndex = -100

    /// The source sentences, padded with `<pad>`: the encoder's input; its `keyPaddingMask`
    /// keeps attention off the padding.
    public let source: PaddedBatch
    /// `<bos>` + target, padded with `<pad>` to [B, T]: the decoder's input.
    public let decoderInput: PaddedBatch
    /// Row-major [B, T]: target + `<eos>`, then `ignoreIndex` up to T.
    public let decoderTarget: [Int]

    /// Builds the batch for `pairs`; `pad`, `bos`, `eos` are the tokenizer's special ids.
    public init(_ pairs: [(source: [Int], target: [Int])], pad: Int, bos: Int, eos: Int) {
        source = PaddedBatch(pairs.map(\.source), padID: pad)
        decoderInput = PaddedBatch(pairs.map { [bos] + $0.target }, padID: pad)
        decoderTarget = PaddedBatch(pairs.map { $0.target + [eos] }, padID: Self.ignoreIndex).ids
    }

    /// B: how many sentence pairs.
    public var count: Int { source.lengths.count }

    /// [B, T] of the decoder's input and target.
    public var targetShape: [Int] { decoderInput.shape }

    /// How many positions the loss counts (every target token and each `<eos>`).
    public var targetTokenCount: Int { decoderInput.tokenCount }

    /// [B·T] row-major, 1 where the decoder target is a real token, 0 at padding: per-token
    /// loss weights for a loss that takes weights rather than an ignore index.
    public var targetWeights: [Float] { decoderTarget.map { $0 == Self.ignoreIndex ? 0 : 1 } }

    /// [B][T], true = padding: the decoder's key padding mask for its self-attention (the
    /// causal mask is the model's business).
    public var decoderKeyPaddingMask: [[Bool]] { decoderInput.keyPaddingMask }
}

/// Collates (source ids, target ids) pairs, as a tokenizer encoded them without `<bos>` or
/// `<eos>`, into a `Seq2SeqBatch`.
public struct Seq2SeqCollator: Collator {
    /// The ids that pad, start and end a sequence.
    public let pad: Int, bos: Int, eos: Int

    /// The batches of a tokenizer that keeps the standard special ids (`SpecialTokens`).
    public init(pad: Int = SpecialTokens.pad, bos: Int = SpecialTokens.bos, eos: Int = SpecialTokens.eos) {
        self.pad = pad; self.bos = bos; self.eos = eos
    }

    /// The special ids of `tokenizer`.
    public init<T: Tokenizer>(_ tokenizer: T) { self.init(pad: tokenizer.pad, bos: tokenizer.bos, eos: tokenizer.eos) }

    /// - Throws: `DataError.invalid` for no pairs, or a negative id (it would index outside
    ///   any embedding, and -100 would read as padding in the loss).
    public func collate(_ examples: [(source: [Int], target: [Int])]) throws -> Seq2SeqBatch {
        guard !examples.isEmpty else {
            throw DataError.invalid("cannot collate an empty batch of sentence pairs; ask for at least one index")
        }
        for (i, e) in examples.enumerated() {
            if let bad = e.source.first(where: { $0 < 0 }) ?? e.target.first(where: { $0 < 0 }) {
                throw DataError.invalid("sentence pair \(i) of the batch has token id \(bad); ids must be 0 or "
                    + "more (encode the sentences with a Tokenizer)")
            }
        }
        return Seq2SeqBatch(examples, pad: pad, bos: bos, eos: eos)
    }
}
