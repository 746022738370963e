// Neural Machine Translation by Jointly Learning to Align and Translate
// Dzmitry Bahdanau, Kyunghyun Cho, Yoshua Bengio — ICLR 2015, arXiv:1409.0473
//
// RNNsearch (§3, App. A): a bidirectional GRU encoder writes an annotation h_j = [→h_j; ←h_j]
// per source word; a GRU decoder attends over them at every step (additive attention) and
// emits each word through a maxout "deep output" layer. RNNencdec (Cho et al. 2014, the
// paper's baseline) is the same network with one fixed context vector instead of attention.
import ReproKit

/// The sizes and switches of an RNNsearch / RNNencdec model (the paper's in brackets).
struct RNNSearchShape {
    var sourceVocabulary: Int, targetVocabulary: Int
    /// E, word embedding size (620).
    var embed: Int
    /// H, hidden size of each encoder direction (1000); annotations have 2H.
    var hidden: Int
    /// D, decoder hidden size (1000).
    var decoderHidden: Int
    /// A, alignment model size (1000).
    var attentionDim: Int
    /// L, maxout units of the deep output (500); the layer before them has 2L.
    var maxout: Int
    /// false: RNNencdec, a fixed context c = [→h_{T_x}; ←h_1] and no attention.
    var attends: Bool
    /// false: logits straight from s_i, without the maxout deep output.
    var deepOutput: Bool
    /// Dropout on both embeddings and on t_i (or s_i) in training (0 in the paper).
    var dropout: Float
    /// The paper's init (App. B.1) rather than PyTorch's defaults of each layer.
    var paperInit: Bool
}

/// What the decoder carries between steps, for B rows.
struct RNNSearchState {
    /// s_{i−1} [B, D].
    var s: Tensor
    /// The annotations h_j [B, S, 2H].
    var annotations: Tensor
    /// U_a h_j [B, S, A] (attention only).
    var projectedKeys: Tensor?
    /// [B][S], true = padding (attention only).
    var keyPaddingMask: [[Bool]]
    /// The fixed context c [B, 2H] (RNNencdec only).
    var context: Tensor?
}

final class RNNSearch: Module, TranslationModel {
    typealias DecoderState = RNNSearchState

    let source_embedding: Embedding
    let target_embedding: Embedding
    /// The bidirectional encoder (App. A.2.1).
    let encoder: GRU
    /// W_s of s_0 = tanh(W_s ←h_1) (App. A.2.2).
    let init_state: Linear
    /// The alignment model a(s_{i−1}, h_j) (App. A.1.2); nil for RNNencdec.
    let attention: AdditiveAttention?
    /// The decoder GRU over [E y_{i−1}; c_i].
    let decoder: GRUCell
    /// U_o, V_o, C_o of the deep output (App. A.2.2); nil without it.
    let output_state: Linear?
    let output_embedding: Linear?
    let output_context: Linear?
    /// W_o: the logits.
    let output: Linear
    let source_dropout: Dropout
    let target_dropout: Dropout
    let readout_dropout: Dropout
    let shape: RNNSearchShape

    init(_ shape: RNNSearchShape, rng: inout RNG) {
        let (e, h, d, l) = (shape.embed, shape.hidden, shape.decoderHidden, shape.maxout)
        source_embedding = Embedding(shape.sourceVocabulary, e, rng: &rng)
        target_embedding = Embedding(shape.targetVocabulary, e, rng: &rng)
        encoder = GRU(inputSize: e, hiddenSize: h, bidirectional: true, rng: &rng)
        init_state = Linear(h, d, rng: &rng)
        attention = shape.attends
            ? AdditiveAttention(queryDim: d, keyDim: 2 * h, attentionDim: shape.attentionDim, rng: &rng) : nil
        decoder = GRUCell(inputSize: e + 2 * h, hiddenSize: d, rng: &rng)
        if shape.deepOutput {
            output_state = Linear(d, 2 * l, rng: &rng)
            output_embedding = Linear(e, 2 * l, bias: false, rng: &rng)
            output_context = Linear(2 * h, 2 * l, bias: false, rng: &rng)
        } else {
            output_state = nil; output_embedding = nil; output_context = nil
        }
        output = Linear(shape.deepOutput ? l : d, shape.targetVocabulary, rng: &rng)
        source_dropout = Dropout(shape.dropout, rng: &rng)
        target_dropout = Dropout(shape.dropout, rng: &rng)
        readout_dropout = Dropout(shape.dropout, rng: &rng)
        self.shape = shape
        super.init()
        if shape.paperInit { paperInitialize(rng: &rng) }
    }

    /// App. B.1: recurrent matrices (each gate's block of every `weight_hh`) random
    /// orthogonal; W_a, U_a ~ N(0, 0.001²); v_a and every bias 0; any other weight
    /// (embeddings included) ~ N(0, 0.01²).
    private func paperInitialize(rng: inout RNG) {
        for (name, p) in namedParameters() {
            let last = name.split(separator: ".").last.map(String.init) ?? name
            let value: Tensor
            if last.hasPrefix("weight_hh") {
                let n = p.shape[1]
                value = Tensor.concat((0..<p.shape[0] / n).map { _ in Init.orthogonal([n, n], rng: &rng) }, axis: 0)
            } else if last.hasPrefix("bias") || name == "attention.v.weight" {
                value = Tensor.zeros(p.shape)
            } else if name == "attention.W.weight" || name == "attention.U.weight" {
                value = Init.normal(p.shape, std: 0.001, rng: &rng)
            } else {
                value = Init.normal(p.shape, std: 0.01, rng: &rng)
            }
            p.assign(value)
        }
    }

    // MARK: Encoder

    private struct Encoded {
        /// h_j [B, S, 2H].
        let annotations: Tensor
        /// s_0 [B, D].
        let s0: Tensor
        /// RNNencdec's c = [→h_{T_x}; ←h_1] [B, 2H].
        let context: Tensor?
        let projectedKeys: Tensor?
        let mask: [[Bool]]
    }

    private func encode(_ source: PaddedBatch) -> Encoded {
        let (b, s) = (source.lengths.count, source.length)
        precondition(b > 0 && s > 0, "RNNSearch: an empty source batch \(source.shape)")
        let x = source_dropout(source_embedding(source.ids, shape: [b, s]))          // [B, S, E]
        // Packed semantics: the backward direction starts at each sentence's last real word.
        let (annotations, last) = encoder(x, h0: nil, lengths: source.lengths.map { Swift.max($0, 1) })
        let h = shape.hidden
        let forwardLast = last.slice(axis: 0, 0..<1).reshaped([b, h])               // →h_{T_x}
        let backwardFirst = last.slice(axis: 0, 1..<2).reshaped([b, h])             // ←h_1
        let s0 = init_state(backwardFirst).tanh()                                    // s_0 = tanh(W_s ←h_1)
        return Encoded(annotations: annotations, s0: s0,
                       context: attention == nil ? Tensor.concat([forwardLast, backwardFirst], axis: 1) : nil,
                       projectedKeys: attention?.projectKeys(annotations),          // U_a h_j, once
                       mask: source.keyPaddingMask)
    }

    // MARK: Output

    /// logits = W_o t_i (eq. 4 / App. A.2.2) for rows of any leading shape: `s` [..., D],
    /// `ey` [..., E] (E y_{i−1}), `contextTerm` C_o c_i [..., 2L] (or something that broadcasts
    /// to it). t̃_i = U_o s_i + V_o E y_{i−1} + C_o c_i, t_i = maxout pairs of t̃_i.
    /// The paper's eq. (4) feeds s_i, its appendix s_{i−1}: this uses s_i, as eq. (4) and most
    /// reimplementations do.
    private func readout(_ s: Tensor, _ ey: Tensor, contextTerm: () -> Tensor) -> Tensor {
        guard let uo = output_state, let vo = output_embedding else { return output(readout_dropout(s)) }
        let tilde = uo(s) + vo(ey) + contextTerm()
        let l = shape.maxout
        let lead = Array(tilde.shape.dropLast())
        let t = tilde.reshaped(lead + [l, 2]).max(axis: -1)                  // t_{i,j} = max(t̃_{2j}, t̃_{2j+1})
        return output(readout_dropout(t))
    }

    // MARK: Teacher forcing

    func logits(_ batch: Seq2SeqBatch) -> Tensor {
        let (b, t) = (batch.count, batch.decoderInput.length)
        let (e, d) = (shape.embed, shape.decoderHidden)
        let enc = encode(batch.source)
        let ey = target_dropout(target_embedding(batch.decoderInput.ids, shape: [b, t]))   // E y_{i−1} [B, T, E]
        // The decoder's input projection W [E y; c] + b split in two: the embedding part of
        // every step in one GEMM, time-major so that each step's rows are contiguous.
        let wih = decoder.weight_ih
        let wE = wih.slice(axis: 1, 0..<e), wC = wih.slice(axis: 1, e..<wih.shape[1])
        var giAll = project(ey.permuted([1, 0, 2]), wE, decoder.bias_ih)                 // [T, B, 3D]
        if let c = enc.context {
            giAll = giAll + project(c, wC, nil).unsqueeze(axis: 0)                       // fixed c: once
        }
        let gis = timeSlices(giAll)
        var s = enc.s0
        var states: [Tensor] = [], contexts: [Tensor] = []
        states.reserveCapacity(t); contexts.reserveCapacity(t)
        for i in 0..<t {
            var gi = gis[i]
            if let attention {
                // c_i = Σ_j α_ij h_j, α_ij = softmax_j(vᵀ tanh(W s_{i−1} + U h_j)).
                let c = attention(query: s, keys: enc.annotations, projectedKeys: enc.projectedKeys,
                                  keyPaddingMask: enc.mask).context
                gi = gi + project(c, wC, nil)
                contexts.append(c)
            }
            // s_i = GRU([E y_{i−1}; c_i], s_{i−1}).
            s = gruGates(gi: gi, gh: project(s, decoder.weight_hh, decoder.bias_hh), h: s)
            states.append(s)
        }
        // The deep output for all steps at once: [B, T, ·] GEMMs.
        let allS = Tensor.stack(states, axis: 1)                                        // [B, T, D]
        precondition(allS.shape == [b, t, d])
        return readout(allS, ey) {
            guard let co = output_context else { return Tensor.zeros([1]) }
            if let c = enc.context { return co(c).unsqueeze(axis: 1) }                   // [B, 1, 2L]
            return co(Tensor.stack(contexts, axis: 1))                                  // [B, T, 2L]
        }
    }

    // MARK: Step by step

    func startDecoding(_ source: PaddedBatch) -> RNNSearchState {
        let enc = encode(source)
        return RNNSearchState(s: enc.s0, annotations: enc.annotations, projectedKeys: enc.projectedKeys,
                              keyPaddingMask: enc.mask, context: enc.context)
    }

    func decodeStep(_ state: RNNSearchState, tokens: [Int])
        -> (logProbabilities: Tensor, state: RNNSearchState, attention: Tensor?) {
        precondition(tokens.count == state.s.shape[0], "RNNSearch.decodeStep: \(tokens.count) tokens for \(state.s.shape[0]) rows")
        let ey = target_dropout(target_embedding(tokens))                              // [B, E]
        let c: Tensor, alpha: Tensor?
        if let attention {
            (c, alpha) = attention(query: state.s, keys: state.annotations, projectedKeys: state.projectedKeys,
                                   keyPaddingMask: state.keyPaddingMask)
        } else {
            (c, alpha) = (state.context!, nil)
        }
        let s = decoder(Tensor.concat([ey, c], axis: 1), state.s)
        let logits = readout(s, ey) { output_context.map { $0(c) } ?? Tensor.zeros([1]) }
        var next = state
        next.s = s
        return (logits.logSoftmax(axis: -1), next, alpha)
    }

    func selectRows(_ state: RNNSearchState, _ rows: [Int]) -> RNNSearchState {
        RNNSearchState(s: state.s.indexSelect(axis: 0, rows),
                       annotations: state.annotations.indexSelect(axis: 0, rows),
                       projectedKeys: state.projectedKeys?.indexSelect(axis: 0, rows),
                       keyPaddingMask: rows.map { state.keyPaddingMask[$0] },
                       context: state.context?.indexSelect(axis: 0, rows))
    }
}
