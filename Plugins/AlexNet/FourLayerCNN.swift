// ImageNet Classification with Deep Convolutional Neural Networks
// Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton — NIPS 2012 (no arXiv id)
//
// Fig. 1: "A four-layer convolutional neural network with ReLUs (solid line) reaches a 25%
// training error rate on CIFAR-10 six times faster than an equivalent network with tanh
// neurons (dashed line). The learning rates for each network were chosen independently to
// make training as fast as possible. No regularization of any kind was employed."
// The paper does not give the net's layers; this is the one the PyTorch reference
// used: conv 5×5 → pool 2 → conv 5×5 → pool 2 → fc → fc, one activation throughout.
import ReproKit

/// The activation under test: f(x) = max(0, x) (§3.1's ReLU) or f(x) = tanh(x).
enum Activation: String {
    case relu, tanh

    func callAsFunction(_ x: Tensor) -> Tensor { self == .relu ? x.relu() : x.tanh() }
}

/// conv1 (5×5, `widths[0]`) → f → max-pool 2 → conv2 (5×5, `widths[1]`) → f → max-pool 2 →
/// fc1 (`hidden`) → f → fc2 (classes). No normalisation, no dropout.
final class FourLayerCNN: Module {
    let conv1: Conv2d, conv2: Conv2d, fc1: Linear, fc2: Linear
    let pool = MaxPool2d(kernelSize: 2)
    let activation: Activation

    /// `init`: `.paper` is N(0, 0.01²) weights with zero biases (§5's weights; its bias of 1
    /// is there to give ReLUs positive input and would saturate tanh units, so neither net
    /// gets it), `.pytorch` PyTorch's default, `.kaiming` He-normal and zero biases.
    init(inChannels: Int, size: Int, classes: Int, widths: [Int], hidden: Int, activation: Activation,
         init scheme: InitScheme, rng: inout RNG) {
        precondition(widths.count == 2, "FourLayerCNN: two conv widths, got \(widths)")
        conv1 = Conv2d(inChannels, widths[0], kernelSize: 5, padding: 2, rng: &rng)
        conv2 = Conv2d(widths[0], widths[1], kernelSize: 5, padding: 2, rng: &rng)
        let side = size / 4
        fc1 = Linear(widths[1] * side * side, hidden, rng: &rng)
        fc2 = Linear(hidden, classes, rng: &rng)
        self.activation = activation
        super.init()
        for (name, p) in namedParameters() {
            switch scheme {
            case .paper:
                p.assign(name.hasSuffix("weight") ? Init.normal(p.shape, std: 0.01, rng: &rng) : Tensor.zeros(p.shape))
            case .kaiming:
                let gain: Float = activation == .relu ? Float(2).squareRoot() : 5.0 / 3.0   // PyTorch's calculate_gain
                p.assign(name.hasSuffix("weight") ? Init.kaimingNormal(p.shape, gain: name == "fc2.weight" ? 1 : gain, rng: &rng)
                    : Tensor.zeros(p.shape))
            case .pytorch:
                break
            }
        }
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = pool(activation(conv1(x)))
        h = pool(activation(conv2(h)))
        h = activation(fc1(h.flattened(from: 1)))
        return fc2(h)
    }
}
