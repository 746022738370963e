/// What a sequence-to-sequence model gives the shared translation machinery: teacher-forced
/// logits for training, and one-token-at-a-time decoding for greedy and beam search
/// (`greedyDecode`, `beamSearch`). The Bahdanau (RNNsearch) and Vaswani (Transformer) plugins
/// implement it; `TranslationTask` trains and scores any model that does.

/// A model that writes a target sentence one token at a time from an encoded source.
public protocol IncrementalDecoder: AnyObject {
    /// What the decoder carries from one step to the next for a batch of rows: its hidden
    /// state, the encoded source (annotations, their padding mask), a key/value cache.
    associatedtype DecoderState

    /// Encodes `source` (B sentences of token ids, without `<bos>`/`<eos>`, padded with
    /// `<pad>`) and returns the state before the first target token.
    func startDecoding(_ source: PaddedBatch) -> DecoderState

    /// One step for every row: `tokens` [B], each row's previous token (`<bos>` at the first
    /// step) → log-probabilities over the target vocabulary [B, V], the state after the step,
    /// and, for a model that attends, the attention weights over source positions [B, S].
    func decodeStep(_ state: DecoderState, tokens: [Int])
        -> (logProbabilities: Tensor, state: DecoderState, attention: Tensor?)

    /// Rows `rows` of `state`, in that order (a row may repeat): beam search expands each
    /// source into its beams, and reorders the beams after every step, with this.
    func selectRows(_ state: DecoderState, _ rows: [Int]) -> DecoderState
}

/// An encoder–decoder translation model: a `Module` the trainer optimises, trained with
/// teacher forcing and decoded step by step.
public protocol TranslationModel: Module, IncrementalDecoder {
    /// Teacher forcing: logits [B, T, V] for every position of `batch.decoderInput`, to be
    /// scored against `batch.decoderTarget`.
    func logits(_ batch: Seq2SeqBatch) -> Tensor
}
