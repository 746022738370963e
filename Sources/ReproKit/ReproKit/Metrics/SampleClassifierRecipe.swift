import Foundation

/// How the committed `SampleClassifier` weights were made; `repro sample-classifier` trains
/// by it and stores it in the weights file, so that the file says how to remake it.
///
/// Fashion-MNIST's 60,000 training images scaled to [−1, 1], random 2-pixel crops (padded
/// with −1) and horizontal flips, SGD with Nesterov momentum and a cosine schedule, the final
/// epoch's weights (the test set only measures them). Deterministic for a given seed and
/// thread count on one machine; another CPU's OpenBLAS kernels may round differently.
public struct SampleClassifierRecipe: Codable, Equatable, Sendable {
    public var seed: UInt64 = 0
    public var epochs = 8
    public var batch_size = 128
    public var lr = 0.1
    public var momentum = 0.9
    public var weight_decay = 5e-4
    public var crop_padding = 2
    public var horizontal_flip = true
    /// Threads of our pool and OpenBLAS while training (the sum order of reductions).
    public var threads = 2
    /// Train on the first N images only (0: all); for a quick look, never for the kept file.
    public var train_subset = 0

    public init() {}

    /// Pixels x/255 scaled to [−1, 1]: (x/255 − 0.5) / 0.5, as DDPM scales its data.
    public static let pixelMean: [Float] = [0.5], pixelStd: [Float] = [0.5]

    /// Trains a classifier by this recipe on Fashion-MNIST; `log` receives progress lines.
    /// Returns the model in eval mode and its final test accuracy.
    public func train(log: @escaping (String) -> Void = { print($0, terminator: "") }) throws
        -> (model: SampleClassifier, testAccuracy: Double) {
        Threads.set(threads)
        let root = RNG(seed: seed)
        var train = try FashionMNIST.load(split: .train)
        if train_subset > 0 { train = train.subset(train_subset) }
        let data = ImageClassificationData(train: train, test: try FashionMNIST.load(split: .test),
                                           mean: Self.pixelMean, std: Self.pixelStd, batchSize: batch_size,
                                           cropPadding: crop_padding, horizontalFlip: horizontal_flip)
        var modelRNG = root.split(1)
        let model = SampleClassifier(classes: FashionMNIST.classNames.count, rng: &modelRNG)
        let lr = lr
        let task = try ImageClassificationTask(
            model: model, data: data, epochs: epochs,
            optimizer: .sgd(momentum: Float(momentum), weightDecay: Float(weight_decay), nesterov: true),
            schedule: { .cosine(lr, total: $0, minimum: 0) }, rng: root.split(2))
        let trainer = try Trainer(task: task, callbacks: [ProgressPrinter(label: "sample-classifier", write: log)])
        let outcome = try trainer.run()
        model.eval()
        guard outcome == .completed, let accuracy = trainer.lastEval["test_accuracy"] else {
            throw ConfigError.invalid("sample-classifier: training did not complete (\(outcome)); nothing was written")
        }
        return (model, accuracy)
    }
}
