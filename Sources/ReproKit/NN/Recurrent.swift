/// Recurrent layers with PyTorch's parameter names, layouts, gate orders and init: one-step
/// cells (`GRUCell`, `LSTMCell`) and multi-layer, optionally bidirectional sequence layers
/// (`GRU`, `LSTM`) unrolled over time under autograd (back-propagation through time is the
/// ordinary backward pass over the unrolled graph).

/// PyTorch's init for every recurrent weight and bias: U(−1/√H, 1/√H).
private func recurrentInit(_ shape: [Int], hidden: Int, rng: inout RNG) -> Tensor {
    let bound = 1 / Float(hidden).squareRoot()
    return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
}

/// x·Wᵀ + b over any leading axes (one GEMM): a Linear layer's map with given weights.
public func project(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
    let y = x.matmul(w, transposeB: true)
    return b.map { y + $0 } ?? y
}

/// What GRU and LSTM cells share: the input and hidden projections of all gates at once,
/// weight_ih [gates·H, I], weight_hh [gates·H, H], bias_ih, bias_hh [gates·H], PyTorch's
/// U(±1/√H) init.
public class RecurrentCell: Module {
    @Parameter public var weight_ih: Tensor
    @Parameter public var weight_hh: Tensor
    @Parameter public var bias_ih: Tensor?
    @Parameter public var bias_hh: Tensor?
    public let inputSize: Int, hiddenSize: Int

    init(gates: Int, inputSize: Int, hiddenSize: Int, bias: Bool, rng: inout RNG) {
        let g = gates * hiddenSize
        weight_ih = recurrentInit([g, inputSize], hidden: hiddenSize, rng: &rng)
        weight_hh = recurrentInit([g, hiddenSize], hidden: hiddenSize, rng: &rng)
        bias_ih = bias ? recurrentInit([g], hidden: hiddenSize, rng: &rng) : nil
        bias_hh = bias ? recurrentInit([g], hidden: hiddenSize, rng: &rng) : nil
        self.inputSize = inputSize; self.hiddenSize = hiddenSize
        super.init()
    }
}

/// GRU cell, one step: h' = GRU(x, h) with gates r, z, n (see `gruGates`).
/// weight_ih [3H, I], weight_hh [3H, H], bias_ih, bias_hh [3H], as PyTorch's `nn.GRUCell`.
public final class GRUCell: RecurrentCell {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, rng: inout RNG) {
        super.init(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, rng: &rng)
    }

    /// x [B, I], h [B, H] (nil: zeros) → h' [B, H].
    public func callAsFunction(_ x: Tensor, _ h: Tensor?) -> Tensor {
        let h = h ?? Tensor.zeros([x.shape[0], hiddenSize])
        return gruGates(gi: project(x, weight_ih, bias_ih), gh: project(h, weight_hh, bias_hh), h: h)
    }

    /// One step from a zero state.
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, nil) }
}

/// LSTM cell, one step: (h', c') = LSTM(x, (h, c)) with gates i, f, g, o (see `lstmGates`).
/// weight_ih [4H, I], weight_hh [4H, H], bias_ih, bias_hh [4H], as PyTorch's `nn.LSTMCell`.
public final class LSTMCell: RecurrentCell {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, rng: inout RNG) {
        super.init(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, rng: &rng)
    }

    /// x [B, I], state (h, c) each [B, H] (nil: zeros) → (h', c').
    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        let zero = Tensor.zeros([x.shape[0], hiddenSize])
        let (h, c) = state ?? (zero, zero)
        let hc = lstmGates(gi: project(x, weight_ih, bias_ih), gh: project(h, weight_hh, bias_hh), h: h, c: c)
        return splitState(hc)
    }
}

/// [2, B, H] → (h, c), both views.
private func splitState(_ hc: Tensor) -> (h: Tensor, c: Tensor) {
    let shape = Array(hc.shape.dropFirst())
    return (hc.slice(axis: 0, 0..<1).reshaped(shape), hc.slice(axis: 0, 1..<2).reshaped(shape))
}

/// What `GRU` and `LSTM` share: the stacked weights, registered under PyTorch's flat names,
/// and the stream of the dropout masks between layers.
public class RecurrentLayer: Module {
    let stack: RecurrentStack
    /// Module-held so that a checkpoint saves it (`dropout_rng`): a resumed run draws the
    /// masks an uninterrupted one would.
    @RandomState var dropout_rng: RNG
    public var inputSize: Int { stack.inputSize }
    public var hiddenSize: Int { stack.hiddenSize }
    public var numLayers: Int { stack.layers }
    public var bidirectional: Bool { stack.directions == 2 }

    init(gates: Int, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, dropout: Float,
         bidirectional: Bool, rng: inout RNG) {
        stack = RecurrentStack(gates: gates, inputSize: inputSize, hiddenSize: hiddenSize, layers: numLayers,
                               bidirectional: bidirectional, bias: bias, dropout: dropout, rng: &rng)
        // After the weights: the draws every existing seed's weights and masks came from.
        dropout_rng = rng.split(rng.next())
        super.init()
    }

    public override func registeredParameters() -> [(String, Parameter<Tensor>)] { stack.named }

    func run(_ x: Tensor, h0: Tensor?, c0: Tensor?, lengths: [Int]?) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        stack.run(x, h0: h0, c0: c0, lengths: lengths, training: isTraining, rng: &dropout_rng)
    }
}

/// Multi-layer GRU over a batch-first sequence, as `nn.GRU(batch_first=True)`.
///
/// x [B, T, I] → output [B, T, D·H] (D = 2 when bidirectional: forward then reverse halves)
/// and the final hidden state [layers·D, B, H] (layer 0 forward, layer 0 reverse, layer 1 …).
/// State-dict names as PyTorch's: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, the
/// reverse direction's with `_reverse`. `dropout` acts on every layer's output but the last,
/// in training. `lengths` gives each sequence's true length (padding after it), with the
/// semantics of a packed sequence: steps past the end leave the state unchanged (so the
/// reverse direction starts at the last real step) and give zero output.
public final class GRU: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                dropout: Float = 0, bidirectional: Bool = false, rng: inout RNG) {
        super.init(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   dropout: dropout, bidirectional: bidirectional, rng: &rng)
    }

    /// Output and final hidden state; `h0` [layers·D, B, H] (nil: zeros).
    public func callAsFunction(_ x: Tensor, h0: Tensor?, lengths: [Int]? = nil) -> (output: Tensor, hidden: Tensor) {
        let r = run(x, h0: h0, c0: nil, lengths: lengths)
        return (r.output, r.hidden)
    }

    /// The output sequence alone, from a zero state (so the layer fits a `Sequential`);
    /// `gru(x, h0: nil)` gives the final state too.
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, h0: nil).output }
}

/// Multi-layer LSTM over a batch-first sequence, as `nn.LSTM(batch_first=True)`: like `GRU`
/// with a cell state too. x [B, T, I] → output [B, T, D·H], final hidden and cell states
/// [layers·D, B, H] each.
public final class LSTM: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                dropout: Float = 0, bidirectional: Bool = false, rng: inout RNG) {
        super.init(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   dropout: dropout, bidirectional: bidirectional, rng: &rng)
    }

    /// Output and final states; `state` (h0, c0), each [layers·D, B, H] (nil: zeros).
    public func callAsFunction(_ x: Tensor, state: (h: Tensor, c: Tensor)?,
                               lengths: [Int]? = nil) -> (output: Tensor, hidden: Tensor, cell: Tensor) {
        let r = run(x, h0: state?.h, c0: state?.c, lengths: lengths)
        return (r.output, r.hidden, r.cell!)
    }

    /// The output sequence alone, from a zero state (so the layer fits a `Sequential`);
    /// `lstm(x, state: nil)` gives the final states too.
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, state: nil).output }
}

/// The weights and the time loop shared by `GRU` (3 gates) and `LSTM` (4 gates). Not a
/// Module: its parameters are registered by the owning layer under PyTorch's flat names, and
/// the owner holds the dropout stream.
final class RecurrentStack {
    /// One direction of one layer: W_ih [G·H, in], W_hh [G·H, H], b_ih, b_hh [G·H].
    struct Weights {
        let ih: Parameter<Tensor>, hh: Parameter<Tensor>
        let bih: Parameter<Tensor>?, bhh: Parameter<Tensor>?
    }

    let gates: Int, inputSize: Int, hiddenSize: Int, layers: Int, directions: Int
    let dropout: Float
    /// Layer-major, forward before reverse: PyTorch's order.
    let weights: [Weights]
    let named: [(String, Parameter<Tensor>)]

    init(gates: Int, inputSize: Int, hiddenSize: Int, layers: Int, bidirectional: Bool, bias: Bool,
         dropout: Float, rng: inout RNG) {
        precondition(layers >= 1 && hiddenSize >= 1 && inputSize >= 1,
                     "recurrent layer: sizes must be positive (input \(inputSize), hidden \(hiddenSize), layers \(layers))")
        precondition(dropout >= 0 && dropout < 1, "recurrent layer: dropout \(dropout) not in [0, 1)")
        self.gates = gates; self.inputSize = inputSize; self.hiddenSize = hiddenSize
        self.layers = layers; self.directions = bidirectional ? 2 : 1; self.dropout = dropout
        let g = gates * hiddenSize
        var ws: [Weights] = [], named: [(String, Parameter<Tensor>)] = []
        for l in 0..<layers {
            let inSize = l == 0 ? inputSize : hiddenSize * directions
            for d in 0..<directions {
                func make(_ shape: [Int]) -> Parameter<Tensor> {
                    Parameter(wrappedValue: recurrentInit(shape, hidden: hiddenSize, rng: &rng))
                }
                let w = Weights(ih: make([g, inSize]), hh: make([g, hiddenSize]),
                                bih: bias ? make([g]) : nil, bhh: bias ? make([g]) : nil)
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                named += [("weight_ih" + suffix, w.ih), ("weight_hh" + suffix, w.hh)]
                if let b = w.bih, let c = w.bhh { named += [("bias_ih" + suffix, b), ("bias_hh" + suffix, c)] }
                ws.append(w)
            }
        }
        weights = ws
        self.named = named
    }

    /// `rng` draws the dropout masks between layers (in training only).
    func run(_ x: Tensor, h0: Tensor?, c0: Tensor?, lengths: [Int]?, training: Bool, rng: inout RNG)
        -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "recurrent layer: input must be [B, T, \(inputSize)] (batch first), got \(x.shape)")
        let (b, steps, hid) = (x.shape[0], x.shape[1], hiddenSize)
        let stateShape = [layers * directions, b, hid]
        precondition(h0.map { $0.shape == stateShape } ?? true, "recurrent layer: h0 must be \(stateShape), got \(h0!.shape)")
        precondition(c0.map { $0.shape == stateShape } ?? true, "recurrent layer: c0 must be \(stateShape), got \(c0!.shape)")
        // keep[t][i] = 1 while step t lies inside sequence i.
        var keep: [Tensor]? = nil
        if let lengths {
            precondition(lengths.count == b && lengths.allSatisfy { $0 >= 1 && $0 <= steps },
                         "recurrent layer: lengths \(lengths) must be \(b) values in 1...\(steps)")
            keep = (0..<steps).map { t in Tensor(lengths.map { t < $0 ? 1 : 0 }) }
        }
        let isLSTM = gates == 4
        var input = x.permuted([1, 0, 2])            // time-major [T, B, in]
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        for l in 0..<layers {
            var outputs: [Tensor] = []
            for d in 0..<directions {
                let k = l * directions + d, w = weights[k]
                let whh = w.hh.wrappedValue, bhh = w.bhh?.wrappedValue
                // Every step's input projection in one GEMM.
                let gi = timeSlices(project(input, w.ih.wrappedValue, w.bih?.wrappedValue))
                var h = h0.map { $0.slice(axis: 0, k..<(k + 1)).reshaped([b, hid]) } ?? Tensor.zeros([b, hid])
                var c = c0.map { $0.slice(axis: 0, k..<(k + 1)).reshaped([b, hid]) } ?? Tensor.zeros([b, hid])
                var hs = [Tensor](repeating: h, count: steps)
                let order = d == 0 ? Array(0..<steps) : Array((0..<steps).reversed())
                for t in order {
                    let gh = project(h, whh, bhh)
                    if isLSTM {
                        (h, c) = splitState(lstmGates(gi: gi[t], gh: gh, h: h, c: c, keep: keep?[t]))
                    } else {
                        h = gruGates(gi: gi[t], gh: gh, h: h, keep: keep?[t])
                    }
                    hs[t] = h
                }
                finalH.append(h)
                finalC.append(c)
                outputs.append(Tensor.stack(hs, axis: 0))
            }
            input = directions == 1 ? outputs[0] : Tensor.concat(outputs, axis: 2)
            if training && dropout > 0 && l + 1 < layers {
                input = TensorCore.dropout(input, p: dropout, training: true, rng: &rng)
            }
        }
        if let lengths {
            // Steps past a sequence's end carry its state; their output is 0, as
            // pad_packed_sequence gives.
            var m = [Float](repeating: 0, count: steps * b)
            for t in 0..<steps { for i in 0..<b where t < lengths[i] { m[t * b + i] = 1 } }
            input = input * Tensor(m, shape: [steps, b, 1])
        }
        return (input.permuted([1, 0, 2]), Tensor.stack(finalH, axis: 0),
                isLSTM ? Tensor.stack(finalC, axis: 0) : nil)
    }
}

/// The views x[0], x[1], … of x [T, …] along its first axis, each with a backward that
/// adds its gradient into one shared full-size buffer for x: the per-step inputs of any
/// recurrence unrolled under autograd. (`slice` would allocate and
/// zero a full-size gradient per step: O(T²) for a sequence.)
public func timeSlices(_ x: Tensor) -> [Tensor] {
    let steps = x.shape[0], inner = x.count / Swift.max(steps, 1), sub = Array(x.shape.dropFirst())
    let views = withNoGrad { (0..<steps).map { x.slice(axis: 0, $0..<($0 + 1)).reshaped(sub) } }
    guard GradMode.isEnabled && x.tracksGrad else { return views }
    let sink = GradientSink(x)
    return views.enumerated().map { t, v in
        v.recordingGrad(inputs: [x]) { g in sink.add(g, at: t * inner) }
    }
}

/// A gradient buffer for `target` that several backward closures add blocks into.
private final class GradientSink {
    let target: Tensor
    var buffer: Tensor?
    init(_ target: Tensor) { self.target = target }

    func add(_ g: Tensor, at offset: Int) {
        if buffer == nil || target.grad !== buffer {
            // First block, or someone else set the gradient meanwhile: own a copy of it.
            let own = Tensor.zeros(target.shape)
            if let existing = target.grad { Kernels.addInPlace(own.data, existing.data, own.count) }
            buffer = own
            target.grad = own
        }
        Kernels.addInPlace(buffer!.data + offset, g.data, g.count)
    }
}
