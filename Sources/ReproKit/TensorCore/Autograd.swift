/// Reverse-mode autograd.
///
/// Each op that produces a tensor from inputs needing gradients records a `GradNode`: the
/// inputs and a closure that, given the gradient of the output, adds each input's gradient
/// into it. `backward()` orders the recorded graph topologically from the loss and runs
/// the closures in reverse — the tape, read backwards. After the pass the graph is dropped
/// (as PyTorch does without `retain_graph`) so its buffers go back to the pool.
final class GradNode {
    let inputs: [Tensor]
    let backward: (Tensor) -> Void
    init(inputs: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Errors from tensor operations that a caller can get wrong at run time.
public enum TensorError: Error, CustomStringConvertible {
    case nonScalarBackward(shape: [Int])
    case seedShapeMismatch(expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .nonScalarBackward(let shape):
            return "backward() on a tensor of shape \(shape) needs a seed gradient of that shape "
                + "(only a one-element loss can seed itself); call backward(seed:)"
        case .seedShapeMismatch(let expected, let got):
            return "backward(seed:) got a seed of shape \(got) for a tensor of shape \(expected)"
        }
    }
}

/// Whether ops record the graph. Off inside `withNoGrad`, e.g. for evaluation.
public enum GradMode {
    public nonisolated(unsafe) static var isEnabled = true
}

/// Runs `body` without recording gradients; restores the previous mode afterwards.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    let saved = GradMode.isEnabled
    GradMode.isEnabled = false
    defer { GradMode.isEnabled = saved }
    return try body()
}

extension Tensor {
    /// True when gradients flow to or through this tensor.
    public var tracksGrad: Bool { requiresGrad || gradNode != nil }

    /// A view of the same elements without autograd history.
    public func detached() -> Tensor { Tensor(storage: storage, offset: offset, shape: shape) }

    /// Attaches the backward closure to an op's output if any input tracks gradients.
    /// `backward` receives the output's gradient and calls `accumulateGrad` on inputs.
    @discardableResult
    public func recordingGrad(inputs: [Tensor], _ backward: @escaping (Tensor) -> Void) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.tracksGrad }) {
            gradNode = GradNode(inputs: inputs, backward: backward)
        }
        return self
    }

    /// Adds `g` into this tensor's gradient. Leaves own their gradient buffer (optimizers and
    /// clipping change it in place), so a leaf copies `g` the first time; an intermediate
    /// may alias `g` because only its own backward closure reads it.
    public func accumulateGrad(_ g: Tensor) {
        guard tracksGrad else { return }
        precondition(g.shape == shape || g.count == count,
                     "gradient of shape \(g.shape) for tensor of shape \(shape)")
        if let existing = grad {
            if requiresGrad && gradNode == nil {
                Kernels.addInPlace(existing.data, g.data, count)
            } else {
                let sum = Tensor(uninitializedShape: shape)
                Kernels.add(existing.data, g.data, sum.data, count)
                grad = sum
            }
        } else {
            if requiresGrad && gradNode == nil {
                let own = Tensor(uninitializedShape: shape)
                own.data.update(from: g.data, count: count)
                grad = own
            } else {
                grad = g.shape == shape ? g : g.reshapedView(shape)
            }
        }
    }

    func reshapedView(_ s: [Int]) -> Tensor { Tensor(storage: storage, offset: offset, shape: s) }

    /// Back-propagates from this tensor. A one-element tensor seeds itself with 1;
    /// anything else needs `seed`, a gradient of its own shape.
    public func backward(seed: Tensor? = nil) throws {
        let start: Tensor
        if let seed {
            guard seed.count == count else {
                throw TensorError.seedShapeMismatch(expected: shape, got: seed.shape)
            }
            start = seed
        } else {
            guard count == 1 else { throw TensorError.nonScalarBackward(shape: shape) }
            start = Tensor(shape: shape, repeating: 1)
        }
        let order = topologicalOrder()
        // Backward closures compute with ordinary ops; they must not record a graph.
        let saved = GradMode.isEnabled
        GradMode.isEnabled = false
        defer { GradMode.isEnabled = saved }
        accumulateGrad(start)
        for t in order.reversed() {
            guard let node = t.gradNode, let g = t.grad else { continue }
            node.backward(g)
            // Free the graph as we go: intermediates keep neither node nor gradient.
            t.gradNode = nil
            if !t.requiresGrad { t.grad = nil }
        }
    }

    /// Every tensor with a grad node reachable from self, inputs before outputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative DFS: (tensor, next input to visit).
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (t, i) = stack.popLast() {
            let inputs = t.gradNode?.inputs ?? []
            if i < inputs.count {
                stack.append((t, i + 1))
                let child = inputs[i]
                if child.gradNode != nil && visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else if t.gradNode != nil {
                order.append(t)
            }
        }
        return order
    }

    /// Clears the gradient (before the next step's backward).
    public func zeroGrad() { grad = nil }
}
