import Foundation

/// A linear probe: logistic regression on frozen features, the standard measure of what a
/// representation holds (CLIP §3.2 and Fig. 10; the paper fits scikit-learn's L-BFGS logistic
/// regression with an L2 penalty tuned on a validation split). Here: features standardised by
/// the training set's mean and sd, one linear layer, softmax cross-entropy with L2 weight
/// decay, full-batch Adam for a fixed number of steps from zero weights, so the result depends
/// only on the features and labels.
public struct LinearProbe {
    public let weight: Tensor, bias: Tensor
    let mean: Tensor, scale: Tensor

    /// Fits on `features` [N, D] with `labels` (0..<classes), with gradients on even when
    /// called without them (from a task's `evaluate`).
    public init(features: Tensor, labels: [Int], classes: Int, steps: Int = 300, learningRate: Float = 0.05,
                weightDecay: Float = 1e-4) {
        precondition(features.rank == 2 && features.shape[0] == labels.count && !labels.isEmpty,
                     "LinearProbe: features [N, D] with one label each")
        let d = features.shape[1]
        let (mean, scale) = withNoGrad { () -> (Tensor, Tensor) in
            let m = features.mean(axes: [0], keepDims: true)
            let centred = features - m
            let sd = ((centred * centred).mean(axes: [0], keepDims: true) + 1e-6).sqrt()
            return (m, 1 / sd)
        }
        self.mean = mean; self.scale = scale
        let x = withNoGrad { (features - mean) * scale }
        let w = Tensor.zeros([d, classes]), b = Tensor.zeros([classes])
        w.requiresGrad = true; b.requiresGrad = true
        let adam = Adam([("weight", w), ("bias", b)], learningRate: learningRate)
        // A task evaluates without gradients; the probe's own fit needs them.
        let saved = GradMode.isEnabled
        GradMode.isEnabled = true
        defer { GradMode.isEnabled = saved }
        for _ in 0..<steps {
            w.zeroGrad(); b.zeroGrad()
            let logits = x.matmul(w) + b
            let loss = crossEntropy(logits, targets: labels) + (w * w).sum() * (weightDecay / 2)
            try! loss.backward()
            adam.step()
        }
        weight = w.detached(); bias = b.detached()
    }

    /// The predicted class of each row of `features` [N, D].
    public func predict(_ features: Tensor) -> [Int] {
        withNoGrad { (((features - mean) * scale).matmul(weight) + bias).argmax(axis: -1) }
    }

    /// The share of `features`' rows predicted as `labels`.
    public func accuracy(_ features: Tensor, labels: [Int]) -> Double {
        Double(zip(predict(features), labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }
}
