// Learning Transferable Visual Models From Natural Language Supervision.
// Alec Radford, Jong Wook Kim, Chris Hallacy, Aditya Ramesh, Gabriel Goh, Sandhini Agarwal,
// Girish Sastry, Amanda Askell, Pamela Mishkin, Jack Clark, Gretchen Krueger, Ilya Sutskever.
// ICML 2021. arXiv:2103.00020.
//
// §2.4, the text encoder: a Transformer with the GPT-2 changes (pre-norm blocks, learned
// positions), masked (causal) self-attention, over text bracketed with [SOS] and [EOS]; "the
// activations of the highest layer of the transformer at the [EOS] token are treated as the
// feature representation of the text", layer-normed (the stack's final norm, `ln_final` in
// OpenAI's code). The projection into the joint space belongs to the model that uses it.
//
// Shared: CLIP trains it; a captioning or retrieval paper would reuse it.
import TensorCore

/// The shape of a text Transformer: CLIP's base text encoder is width 512, depth 12, 8 heads,
/// MLP 2048, 76 tokens of context.
public struct TextTransformerShape: Sendable {
    public var vocabulary: Int, contextLength: Int
    public var width: Int, depth: Int, heads: Int, mlp: Int
    public var dropout: Float

    public init(vocabulary: Int, contextLength: Int, width: Int, depth: Int, heads: Int, mlp: Int, dropout: Float = 0) {
        self.vocabulary = vocabulary; self.contextLength = contextLength
        self.width = width; self.depth = depth; self.heads = heads; self.mlp = mlp; self.dropout = dropout
    }
}

/// CLIP's text encoder: token ids → the final state at each sequence's [EOS], [B, width].
public final class TextTransformer: Module {
    public let token_embedding: Embedding
    public let positional_embedding: LearnedPositionalEmbedding
    /// Causal pre-norm blocks and the final norm (`ln_final`).
    public let transformer: TransformerEncoder
    public let shape: TextTransformerShape

    public init(_ s: TextTransformerShape, rng: inout RNG) {
        precondition(s.width % s.heads == 0, "TextTransformer: width \(s.width) does not split into \(s.heads) heads")
        shape = s
        // OpenAI's initialisation: token embeddings N(0, 0.02²), positions N(0, 0.01²).
        token_embedding = Embedding(s.vocabulary, s.width, rng: &rng)
        token_embedding.weight = Tensor.randn([s.vocabulary, s.width], std: 0.02, rng: &rng)
        positional_embedding = LearnedPositionalEmbedding(maxLength: s.contextLength, dim: s.width, std: 0.01, rng: &rng)
        transformer = TransformerEncoder(
            (0..<s.depth).map { _ in
                TransformerEncoderLayer(dModel: s.width, heads: s.heads, feedForward: s.mlp, dropout: s.dropout,
                                        activation: .gelu, normFirst: true, rng: &rng)
            },
            norm: LayerNorm(s.width))
        super.init()
    }

    /// Features [B, width] of `sequences`, each `<bos> … <eos>` of at most `contextLength` ids:
    /// the batch is padded after the shorter ones, which the causal mask keeps every [EOS]
    /// (a sequence's last id) from seeing, so a text's features do not depend on its batch.
    public func features(_ sequences: [[Int]]) -> Tensor {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty && $0.count <= shape.contextLength },
                     "TextTransformer: every sequence needs 1…\(shape.contextLength) ids")
        let b = sequences.count, t = sequences.map(\.count).max()!
        // Filler after the shorter sequences: id 0 (`<pad>` in every repro tokenizer), unseen
        // by any [EOS].
        let ids = sequences.flatMap { $0 + Array(repeating: 0, count: t - $0.count) }
        let x = positional_embedding(token_embedding(ids, shape: [b, t]))
        let h = transformer(x, causal: true).output
        // Row i·T + (length − 1) of [B·T, D]: each sequence's [EOS].
        let ends = sequences.enumerated().map { $0.offset * t + $0.element.count - 1 }
        return h.reshaped([b * t, shape.width]).indexSelect(axis: 0, ends)
    }
}
