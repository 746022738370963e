/// A stack of Transformer decoder layers with an optional final layer norm, as PyTorch's
/// `nn.TransformerDecoder(layer, num_layers, norm)`: parameters `layers.0.…` to
/// `layers.{N−1}.…`, then `norm.weight`, `norm.bias`. A pre-norm stack needs the final `norm`;
/// a post-norm stack (the paper's) ends in one already.
///
/// Besides the whole-sequence pass used in training, it decodes one position at a time with a
/// key/value cache (`startDecoding`, `step`): each step projects only the newest token and
/// attends over the cached keys and values of the earlier ones, so a sentence of n tokens
/// costs O(n) projections rather than the O(n²) of re-running the stack on every prefix.
public final class TransformerDecoder: Module {
    public let layers: [TransformerDecoderLayer]
    public let norm: LayerNorm?

    public init(_ layers: [TransformerDecoderLayer], norm: LayerNorm? = nil) {
        precondition(!layers.isEmpty, "TransformerDecoder: no layers")
        self.layers = layers
        self.norm = norm
        super.init()
    }

    /// The stack on the target x [B, T, d_model] attending over `memory` [B, S, d_model],
    /// causal in its self-attention; the masks as `TransformerDecoderLayer`'s. With
    /// `needWeights`, layer l's self- and cross-attention per head.
    public func callAsFunction(_ x: Tensor, memory: Tensor, tgtKeyPaddingMask: [[Bool]]? = nil,
                               memoryKeyPaddingMask: [[Bool]]? = nil, needWeights: Bool = false)
        -> (output: Tensor, selfWeights: [Tensor]?, crossWeights: [Tensor]?) {
        var h = x
        var selfWeights: [Tensor] = [], crossWeights: [Tensor] = []
        for layer in layers {
            let r = layer(h, memory: memory, causal: true, tgtKeyPaddingMask: tgtKeyPaddingMask,
                          memoryKeyPaddingMask: memoryKeyPaddingMask, needWeights: needWeights)
            h = r.output
            if let w = r.selfWeights { selfWeights.append(w) }
            if let w = r.crossWeights { crossWeights.append(w) }
        }
        return (norm.map { $0(h) } ?? h, needWeights ? selfWeights : nil, needWeights ? crossWeights : nil)
    }

    /// The caches before the first target token: each layer's keys and values of `memory`
    /// [B, S, d_model], projected once, and no self-attention cache yet.
    public func startDecoding(memory: Tensor) -> [DecoderLayerCache] {
        layers.map { DecoderLayerCache(memory: $0.multihead_attn.keysAndValues(memory), past: nil) }
    }

    /// The stack on the newest target position(s) x [B, Tn, d_model] (usually Tn = 1), the
    /// earlier ones in `caches`, which grow by Tn. Returns [B, Tn, d_model] and, with
    /// `needWeights`, the last layer's attention over memory per head [B, H, Tn, S].
    public func step(_ x: Tensor, caches: inout [DecoderLayerCache], memoryKeyPaddingMask: [[Bool]]? = nil,
                     needWeights: Bool = false) -> (output: Tensor, crossWeights: Tensor?) {
        precondition(caches.count == layers.count, "TransformerDecoder.step: \(caches.count) caches for \(layers.count) layers")
        var h = x
        var last: Tensor?
        for (l, layer) in layers.enumerated() {
            let r = layer.step(h, cache: &caches[l], memoryKeyPaddingMask: memoryKeyPaddingMask,
                               needWeights: needWeights && l == layers.count - 1)
            h = r.output
            last = r.crossWeights
        }
        return (norm.map { $0(h) } ?? h, last)
    }
}

/// What one decoder layer keeps between decoding steps: the key/value heads of the encoder's
/// output (fixed) and of the target positions generated so far (growing).
public struct DecoderLayerCache {
    public var memory: (key: Tensor, value: Tensor)
    public var past: KeyValueCache?

    public init(memory: (key: Tensor, value: Tensor), past: KeyValueCache?) {
        self.memory = memory; self.past = past
    }

    /// Rows `rows` of the batch, in that order.
    public func selecting(_ rows: [Int]) -> DecoderLayerCache {
        DecoderLayerCache(memory: (memory.key.indexSelect(axis: 0, rows), memory.value.indexSelect(axis: 0, rows)),
                          past: past?.selecting(rows))
    }
}

extension TransformerDecoderLayer {
    /// The layer on the newest position(s) x [B, Tn, d_model], in the same order of norms,
    /// residuals and dropouts as `callAsFunction`, with the self-attention over `cache.past`
    /// plus x and the cross-attention over the cached memory heads.
    public func step(_ x: Tensor, cache: inout DecoderLayerCache, memoryKeyPaddingMask: [[Bool]]? = nil,
                     needWeights: Bool = false) -> (output: Tensor, crossWeights: Tensor?) {
        func selfBlock(_ y: Tensor) -> Tensor { dropout1(self_attn.cachedSelfAttention(y, cache: &cache.past).output) }
        func crossBlock(_ y: Tensor) -> (Tensor, Tensor?) {
            let (a, w) = multihead_attn.attend(query: y, key: cache.memory.key, value: cache.memory.value,
                                               keyPaddingMask: memoryKeyPaddingMask, needWeights: needWeights)
            return (dropout2(a), w)
        }
        var h = x
        let weights: Tensor?
        if normFirst {
            h = h + selfBlock(norm1(h))
            let (c, w) = crossBlock(norm2(h))
            h = h + c
            h = h + feedForwardBlock(norm3(h))
            weights = w
        } else {
            h = norm1(h + selfBlock(h))
            let (c, w) = crossBlock(h)
            h = norm2(h + c)
            h = norm3(h + feedForwardBlock(h))
            weights = w
        }
        return (h, weights)
    }
}
