import Foundation

/// Position information added to a sequence of embeddings x [B, T, D] (batch first).
/// Neither scales x nor applies dropout: Vaswani et al. multiply the embeddings by √D
/// before and drop out after; compose those around it.

/// The fixed sinusoids of Vaswani et al. 2017, §3.5:
///   PE(pos, 2i) = sin(pos / 10000^(2i/D)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/D)).
///
/// The table [maxLength, D] is a constant, not a buffer: it is not in `stateDict()`, so
/// checkpoints do not carry it (PyTorch's `register_buffer("pe", …, persistent=False)`).
/// A PyTorch checkpoint that saved "pe" as a persistent buffer loads once that entry is
/// dropped.
public final class SinusoidalPositionalEncoding: Module {
    public let dim: Int, maxLength: Int
    /// PE [maxLength, dim].
    public let table: Tensor

    public init(dim: Int, maxLength: Int) {
        precondition(dim >= 1 && maxLength >= 1, "SinusoidalPositionalEncoding: dim \(dim), maxLength \(maxLength)")
        self.dim = dim; self.maxLength = maxLength
        let t = Tensor(uninitializedShape: [maxLength, dim])
        for pos in 0..<maxLength {
            for j in 0..<dim {
                // Pairs (2i, 2i+1) share the frequency 10000^(−2i/D); computed in Double.
                let angle = Double(pos) * Foundation.exp(-Double(j - j % 2) / Double(dim) * Foundation.log(10000))
                t.data[pos * dim + j] = Float(j % 2 == 0 ? Foundation.sin(angle) : Foundation.cos(angle))
            }
        }
        table = t
        super.init()
    }

    /// x [B, T, D] + PE[0..<T].
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, offset: 0) }

    /// x [B, T, D] + PE[offset..<offset+T]: positions from `offset` on, for a decoder that
    /// feeds one new position at a time.
    public func callAsFunction(_ x: Tensor, offset: Int) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == dim && offset >= 0 && offset + x.shape[1] <= maxLength,
                     "SinusoidalPositionalEncoding: input must be [B, T, \(dim)] with offset + T ≤ \(maxLength), got \(x.shape) at offset \(offset)")
        return x + table.slice(axis: 0, offset..<(offset + x.shape[1]))
    }
}

/// A trained position table (BERT, GPT-2, ViT): weight [maxLength, dim], row t added at
/// position t. Init N(0, std²) with std 0.02 as those models use (`nn.Embedding`'s
/// default would be std 1, which swamps the token embeddings).
public final class LearnedPositionalEmbedding: Module {
    @Parameter public var weight: Tensor

    public init(maxLength: Int, dim: Int, std: Float = 0.02, rng: inout RNG) {
        weight = Tensor.randn([maxLength, dim], std: std, rng: &rng)
        super.init()
    }

    /// x [B, T, D] + weight[0..<T].
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, offset: 0) }

    /// x [B, T, D] + weight[offset..<offset+T].
    public func callAsFunction(_ x: Tensor, offset: Int) -> Tensor {
        let (maxLength, dim) = (weight.shape[0], weight.shape[1])
        precondition(x.rank == 3 && x.shape[2] == dim && offset >= 0 && offset + x.shape[1] <= maxLength,
                     "LearnedPositionalEmbedding: input must be [B, T, \(dim)] with offset + T ≤ \(maxLength), got \(x.shape) at offset \(offset)")
        return x + weight.slice(axis: 0, offset..<(offset + x.shape[1]))
    }
}
