// Attention Is All You Need
// Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit, Llion Jones, Aidan N. Gomez,
// Łukasz Kaiser, Illia Polosukhin — NeurIPS 2017, arXiv:1706.03762
//
// The encoder–decoder of §3: N encoder and N decoder layers (ReproKit's
// TransformerEncoderLayer / TransformerDecoderLayer, PyTorch's names), token embeddings scaled
// by √d_model plus positional encodings (§3.4-3.5), dropout on their sum (§5.4), and the
// output softmax sharing its weight matrix with the target embedding (§3.4).
import ReproKit

/// The sizes and switches of the model (the paper's base model in brackets).
struct TransformerShape {
    var sourceVocabulary: Int, targetVocabulary: Int
    /// d_model (512), h heads (8), N layers on each side (6), d_ff (2048).
    var dModel: Int, heads: Int, layers: Int, feedForward: Int
    /// P_drop (0.1): on the embedding sums and each sub-layer's output (§5.4), and, as in
    /// PyTorch's layers, on the attention weights and between the feed-forward projections.
    var dropout: Float
    /// Pre-norm (LayerNorm before each sub-layer, a final norm on each stack) instead of the
    /// paper's post-norm.
    var normFirst: Bool
    /// Learned position embeddings (Table 3 row E) instead of the sinusoids.
    var learnedPositions: Bool
    /// Longest sequence the position tables cover.
    var maxPositions: Int
    /// One embedding matrix for source, target and output (the paper's shared BPE vocabulary);
    /// needs one vocabulary for both languages. Otherwise the target embedding and the output
    /// projection share theirs.
    var sharedEmbeddings: Bool
}

/// What decoding carries between steps for B rows.
struct TransformerDecodingState {
    /// Per decoder layer: the encoder output's key/value heads and the generated positions'.
    var caches: [DecoderLayerCache]
    /// [B][S], true = source padding.
    var memoryMask: [[Bool]]
    /// Position of the next token.
    var position: Int
}

final class Seq2SeqTransformer: Module, AttentionHeadsModel {
    typealias DecoderState = TransformerDecodingState

    /// Shared source/target/output embedding (with `sharedEmbeddings`), stored once.
    let embedding: Embedding?
    let source_embedding: Embedding?
    /// The target embedding, also the output projection (its transpose).
    let target_embedding: Embedding?
    let source_positions: LearnedPositionalEmbedding?
    let target_positions: LearnedPositionalEmbedding?
    /// The sinusoids of §3.5 (no parameters), unless positions are learned.
    let sinusoids: SinusoidalPositionalEncoding?
    let encoder: TransformerEncoder
    let decoder: TransformerDecoder
    let source_dropout: Dropout
    let target_dropout: Dropout
    let shape: TransformerShape
    private let scale: Float

    init(_ shape: TransformerShape, rng: inout RNG) {
        let d = shape.dModel
        // N(0, d^−1/2): scaled by √d on the way in, the embeddings have unit size; as the
        // output projection, logits start near 0 (fairseq's init for tied embeddings).
        func table(_ n: Int) -> Embedding {
            let e = Embedding(n, d, rng: &rng)
            e.weight = Init.normal([n, d], std: 1 / Float(d).squareRoot(), rng: &rng)
            return e
        }
        if shape.sharedEmbeddings {
            precondition(shape.sourceVocabulary == shape.targetVocabulary, "shared embeddings need one vocabulary")
            embedding = table(shape.sourceVocabulary)
            source_embedding = nil; target_embedding = nil
        } else {
            embedding = nil
            source_embedding = table(shape.sourceVocabulary)
            target_embedding = table(shape.targetVocabulary)
        }
        if shape.learnedPositions {
            source_positions = LearnedPositionalEmbedding(maxLength: shape.maxPositions, dim: d, rng: &rng)
            target_positions = LearnedPositionalEmbedding(maxLength: shape.maxPositions, dim: d, rng: &rng)
            sinusoids = nil
        } else {
            source_positions = nil; target_positions = nil
            sinusoids = SinusoidalPositionalEncoding(dim: d, maxLength: shape.maxPositions)
        }
        encoder = TransformerEncoder((0..<shape.layers).map { _ in
            TransformerEncoderLayer(dModel: d, heads: shape.heads, feedForward: shape.feedForward, dropout: shape.dropout,
                                    normFirst: shape.normFirst, rng: &rng)
        }, norm: shape.normFirst ? LayerNorm(d) : nil)
        decoder = TransformerDecoder((0..<shape.layers).map { _ in
            TransformerDecoderLayer(dModel: d, heads: shape.heads, feedForward: shape.feedForward, dropout: shape.dropout,
                                    normFirst: shape.normFirst, rng: &rng)
        }, norm: shape.normFirst ? LayerNorm(d) : nil)
        source_dropout = Dropout(shape.dropout, rng: &rng)
        target_dropout = Dropout(shape.dropout, rng: &rng)
        self.shape = shape
        scale = Float(d).squareRoot()
        super.init()
    }

    private var sourceTable: Embedding { (embedding ?? source_embedding)! }
    private var targetTable: Embedding { (embedding ?? target_embedding)! }

    /// dropout(E·x·√d + PE) for ids [B, T] (§3.4, §3.5, §5.4), positions from `offset`.
    private func embed(_ ids: [Int], _ b: Int, _ t: Int, table: Embedding, positions: LearnedPositionalEmbedding?,
                       dropout: Dropout, offset: Int = 0) -> Tensor {
        let x = table(ids, shape: [b, t]) * scale
        let p = positions.map { $0(x, offset: offset) } ?? sinusoids!(x, offset: offset)
        return dropout(p)
    }

    /// The encoder's output [B, S, d] ("memory").
    func encode(_ source: PaddedBatch, needWeights: Bool = false) -> (memory: Tensor, weights: [Tensor]?) {
        let (b, s) = (source.lengths.count, source.length)
        precondition(b > 0 && s > 0, "Seq2SeqTransformer: an empty source batch \(source.shape)")
        let x = embed(source.ids, b, s, table: sourceTable, positions: source_positions, dropout: source_dropout)
        let r = encoder(x, keyPaddingMask: source.keyPaddingMask, needWeights: needWeights)
        return (r.output, r.weights)
    }

    /// The output layer: h [..., d] → logits [..., V] = h Eᵀ (the shared matrix, §3.4).
    private func project(_ h: Tensor) -> Tensor { h.matmul(targetTable.weight, transposeB: true) }

    // MARK: Teacher forcing

    func logits(_ batch: Seq2SeqBatch) -> Tensor { forward(batch, needWeights: false).logits }

    /// Logits [B, T, V] and, with `needWeights`, every layer's attention per head: encoder
    /// self-attention [B, H, S, S], decoder self- [B, H, T, T] and cross-attention [B, H, T, S].
    func forward(_ batch: Seq2SeqBatch, needWeights: Bool)
        -> (logits: Tensor, encoderSelf: [Tensor]?, decoderSelf: [Tensor]?, decoderCross: [Tensor]?) {
        let (b, t) = (batch.count, batch.decoderInput.length)
        let (memory, encoderWeights) = encode(batch.source, needWeights: needWeights)
        let y = embed(batch.decoderInput.ids, b, t, table: targetTable, positions: target_positions, dropout: target_dropout)
        // The causal mask alone keeps real positions off the padding that follows them.
        let out = decoder(y, memory: memory, memoryKeyPaddingMask: batch.source.keyPaddingMask, needWeights: needWeights)
        return (project(out.output), encoderWeights, out.selfWeights, out.crossWeights)
    }

    /// The last layer's encoder self-attention and decoder attention over the source, per head.
    func attentionHeads(_ pair: Seq2SeqBatch) -> [AttentionHeads] {
        let r = forward(pair, needWeights: true)
        guard let enc = r.encoderSelf?.last, let cross = r.decoderCross?.last else { return [] }
        func first(_ w: Tensor) -> Tensor { w.slice(axis: 0, 0..<1).reshaped(Array(w.shape.dropFirst())) }
        return [AttentionHeads(title: "encoder self-attention, layer \(shape.layers)", weights: first(enc), rows: .source, columns: .source),
                AttentionHeads(title: "decoder over source, layer \(shape.layers)", weights: first(cross), rows: .target, columns: .source)]
    }

    // MARK: Step by step, with a key/value cache

    func startDecoding(_ source: PaddedBatch) -> TransformerDecodingState {
        let memory = encode(source).memory
        return TransformerDecodingState(caches: decoder.startDecoding(memory: memory),
                                        memoryMask: source.keyPaddingMask, position: 0)
    }

    func decodeStep(_ state: TransformerDecodingState, tokens: [Int])
        -> (logProbabilities: Tensor, state: TransformerDecodingState, attention: Tensor?) {
        let b = tokens.count
        precondition(b == state.memoryMask.count, "Seq2SeqTransformer.decodeStep: \(b) tokens for \(state.memoryMask.count) rows")
        let y = embed(tokens, b, 1, table: targetTable, positions: target_positions, dropout: target_dropout,
                      offset: state.position)
        var next = state
        let (h, cross) = decoder.step(y, caches: &next.caches, memoryKeyPaddingMask: state.memoryMask, needWeights: true)
        next.position += 1
        let logits = project(h).reshaped([b, shape.targetVocabulary])
        // The last layer's attention over the source, averaged over heads: [B, S].
        let alignment = cross.map { $0.mean(axis: 1).reshaped([b, $0.shape[3]]) }
        return (logits.logSoftmax(axis: -1), next, alignment)
    }

    func selectRows(_ state: TransformerDecodingState, _ rows: [Int]) -> TransformerDecodingState {
        TransformerDecodingState(caches: state.caches.map { $0.selecting(rows) },
                                 memoryMask: rows.map { state.memoryMask[$0] }, position: state.position)
    }
}
