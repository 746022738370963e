// The fixed Fashion-MNIST classifier whose features judge generated images (issue #17,
// "Sample quality, honestly measured"): a small convnet that repro trains once, by a recipe
// kept in the repository, and keeps (Models/README.md). Its 64 pooled features play the part
// of Inception's pool3 in FID; numbers made with it are not comparable with a paper's
// Inception FID.
import TensorCore

/// A small convnet for grey 28×28 clothing: four 3×3 convs with BN and ReLU
/// (1→16 and 16→32 at 28×28, max-pool, 32→64 at 14×14, max-pool, 64→64 at 7×7), global
/// average pooling to 64 features, and a linear layer to the 10 Fashion-MNIST classes
/// (61k parameters).
///
/// Input: images [N, 1, H, W] with pixels in [−1, 1] (x/127.5 − 1, as DDPM scales data).
/// 28×28 is taken as is; a larger image is centre-cropped to 28×28, so DDPM's 32×32 samples
/// (Fashion-MNIST padded with −1 by 2 pixels on each side) lose exactly that padding.
public final class SampleClassifier: Module {
    /// The side of the images the network sees.
    public static let imageSize = 28
    /// The length of `features`, the vector FID is computed on.
    public static let featureDimension = 64

    public let conv1: Conv2d, bn1: BatchNorm2d
    public let conv2: Conv2d, bn2: BatchNorm2d
    public let conv3: Conv2d, bn3: BatchNorm2d
    public let conv4: Conv2d, bn4: BatchNorm2d
    public let fc: Linear
    let pool = MaxPool2d(kernelSize: 2)

    public init(classes: Int = 10, rng: inout RNG) {
        conv1 = Conv2d(1, 16, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(16)
        conv2 = Conv2d(16, 32, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn2 = BatchNorm2d(32)
        conv3 = Conv2d(32, 64, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn3 = BatchNorm2d(64)
        conv4 = Conv2d(64, 64, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn4 = BatchNorm2d(64)
        fc = Linear(Self.featureDimension, classes, rng: &rng)
        super.init()
    }

    /// The pooled features [N, 64] of images [N, 1, H, W] in [−1, 1], H and W ≥ 28.
    public func features(_ x: Tensor) -> Tensor {
        var h = bn1(conv1(Self.centerCrop(x)), relu: true)
        h = pool(bn2(conv2(h), relu: true))                  // 28 → 14
        h = pool(bn3(conv3(h), relu: true))                  // 14 → 7
        h = bn4(conv4(h), relu: true)
        return h.mean(axes: [2, 3])
    }

    /// Class logits [N, classes].
    public override func callAsFunction(_ x: Tensor) -> Tensor { fc(features(x)) }

    /// The central 28×28 of images [N, C, H, W] (the images themselves when already 28×28).
    public static func centerCrop(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] >= imageSize && x.shape[3] >= imageSize,
                     "SampleClassifier: images must be [N, 1, H, W] with H, W ≥ \(imageSize), got \(x.shape)")
        let (top, left) = ((x.shape[2] - imageSize) / 2, (x.shape[3] - imageSize) / 2)
        if x.shape[2] == imageSize && x.shape[3] == imageSize { return x }
        return x.slice(axis: 2, top..<top + imageSize).slice(axis: 3, left..<left + imageSize)
    }
}
