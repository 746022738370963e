// ImageNet Classification with Deep Convolutional Neural Networks
// Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton — NIPS 2012 (no arXiv id)
//
// §3.5 and Fig. 2: five conv layers and three fully connected ones, ReLU after each (§3.1),
// local response normalisation after conv1 and conv2 (§3.3), overlapping max-pooling (z = 3,
// s = 2, §3.4) after the two normalisations and after conv5, dropout 0.5 on the outputs of
// the two hidden FC layers (§4.2). Scaled here to 28×28×1 images (see Papers/alexnet.toml):
// conv1 is 5×5 stride 1 instead of 11×11 stride 4, every width is cut down, and the two-GPU
// column split is one column.
import ReproKit

/// The paper's weight init (§5): N(0, 0.01²) for every weight; bias 1 in conv2, conv4, conv5
/// and the hidden FC layers ("accelerates the early stages of learning by providing the
/// ReLUs with positive inputs"), 0 elsewhere. `.kaiming` is He-normal weights and zero biases.
enum InitScheme: String {
    case paper, kaiming, pytorch
}

/// The paper's LRN (§3.3): b = a / (k + α Σ a²)^β over n = 5 adjacent channels, k = 2,
/// α = 1e-4, β = 0.75. `LocalResponseNorm` follows PyTorch and divides α by n, so it gets α·n.
func paperLRN() -> LocalResponseNorm {
    LocalResponseNorm(size: 5, alpha: 1e-4 * 5, beta: 0.75, k: 2)
}

/// AlexNet at mini scale: conv1–conv5, fc1–fc3, named like a state_dict of those layers.
final class MiniAlexNet: Module {
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d, conv4: Conv2d, conv5: Conv2d
    let fc1: Linear, fc2: Linear, fc3: Linear
    let norm1: Module, norm2: Module
    let pool: MaxPool2d
    let drop1: Dropout, drop2: Dropout

    /// - Parameters:
    ///   - widths: the five conv layers' channels (the paper: 96, 256, 384, 384, 256).
    ///   - hidden: the two hidden FC layers' width (the paper: 4096).
    ///   - lrn: the §3.3 normalisation after conv1 and conv2 (off: identity).
    ///   - overlap: 3×3 stride-2 pooling (§3.4); off: 2×2 stride 2.
    init(inChannels: Int, size: Int, classes: Int, widths: [Int], hidden: Int, lrn: Bool, overlap: Bool,
         dropout: Float, init scheme: InitScheme, rng: inout RNG) {
        precondition(widths.count == 5, "MiniAlexNet: five conv widths, got \(widths)")
        conv1 = Conv2d(inChannels, widths[0], kernelSize: 5, padding: 2, rng: &rng)
        conv2 = Conv2d(widths[0], widths[1], kernelSize: 5, padding: 2, rng: &rng)
        conv3 = Conv2d(widths[1], widths[2], kernelSize: 3, padding: 1, rng: &rng)
        conv4 = Conv2d(widths[2], widths[3], kernelSize: 3, padding: 1, rng: &rng)
        conv5 = Conv2d(widths[3], widths[4], kernelSize: 3, padding: 1, rng: &rng)
        pool = overlap ? MaxPool2d(kernelSize: 3, stride: 2) : MaxPool2d(kernelSize: 2)
        // Three poolings: 28 → 13 → 6 → 2 (overlapping) or 28 → 14 → 7 → 3.
        var side = size
        for _ in 0..<3 { side = (side - pool.kernel.0) / pool.stride.0 + 1 }
        fc1 = Linear(widths[4] * side * side, hidden, rng: &rng)
        fc2 = Linear(hidden, hidden, rng: &rng)
        fc3 = Linear(hidden, classes, rng: &rng)
        norm1 = lrn ? paperLRN() : Lambda("Identity") { $0 }
        norm2 = lrn ? paperLRN() : Lambda("Identity") { $0 }
        drop1 = Dropout(dropout, rng: &rng)
        drop2 = Dropout(dropout, rng: &rng)
        super.init()
        initialize(scheme, rng: &rng)
    }

    private func initialize(_ scheme: InitScheme, rng: inout RNG) {
        guard scheme != .pytorch else { return }
        let biasOne: Set = ["conv2", "conv4", "conv5", "fc1", "fc2"]
        let layers: [(String, Tensor, Tensor?)] = [
            ("conv1", conv1.weight, conv1.bias), ("conv2", conv2.weight, conv2.bias),
            ("conv3", conv3.weight, conv3.bias), ("conv4", conv4.weight, conv4.bias),
            ("conv5", conv5.weight, conv5.bias), ("fc1", fc1.weight, fc1.bias),
            ("fc2", fc2.weight, fc2.bias), ("fc3", fc3.weight, fc3.bias),
        ]
        for (name, weight, bias) in layers {
            switch scheme {
            case .paper:
                weight.assign(Init.normal(weight.shape, std: 0.01, rng: &rng))
                bias?.assign(Tensor(shape: bias!.shape, repeating: biasOne.contains(name) ? 1 : 0))
            case .kaiming:
                // The last layer feeds a softmax, not a ReLU: gain 1.
                weight.assign(Init.kaimingNormal(weight.shape, gain: name == "fc3" ? 1 : Float(2).squareRoot(), rng: &rng))
                bias?.assign(Tensor.zeros(bias!.shape))
            case .pytorch:
                break
            }
        }
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = pool(norm1(conv1(x).relu()))       // conv1 → ReLU → LRN → overlapping pool
        h = pool(norm2(conv2(h).relu()))           // conv2 → ReLU → LRN → overlapping pool
        h = conv3(h).relu()
        h = conv4(h).relu()
        h = pool(conv5(h).relu())
        h = h.flattened(from: 1)
        h = drop1(fc1(h).relu())                   // dropout 0.5 on the hidden FC outputs
        h = drop2(fc2(h).relu())
        return fc3(h)
    }
}
