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

/// A translation model that can show each head's attention (Vaswani et al. Figures 3-5):
/// `TranslationTask` then draws `attention_heads.png` for a test sentence.
public protocol AttentionHeadsModel: TranslationModel {
    /// The per-head maps of one teacher-forced pair (a batch of one), e.g. the encoder's
    /// self-attention and the decoder's attention over the source in the last layer.
    func attentionHeads(_ pair: Seq2SeqBatch) -> [AttentionHeads]
}

/// One layer's attention, per head: `weights` [H, Tq, Tk], queries of side `rows` attending
/// over keys of side `columns`.
public struct AttentionHeads {
    /// Which tokens label an axis: the source sentence, or the decoder's positions (the
    /// output tokens, `<eos>` last, as each position predicts them).
    public enum Side: Sendable { case source, target }

    public let title: String
    public let weights: Tensor
    public let rows: Side, columns: Side

    public init(title: String, weights: Tensor, rows: Side, columns: Side) {
        precondition(weights.rank == 3, "AttentionHeads: weights must be [H, Tq, Tk], got \(weights.shape)")
        self.title = title; self.weights = weights; self.rows = rows; self.columns = columns
    }
}
