import Foundation

/// Sample quality of generated Fashion-MNIST-like images, judged by the fixed
/// `SampleClassifier`: the Fréchet distance of its 64 pooled features to those of the 10,000
/// Fashion-MNIST test images, its mean confidence, and the class histogram of the samples.
///
/// The FID here is FID's formula on this classifier's features, not Inception's: it ranks
/// models and runs of this repository, and is not comparable with a paper's Inception FID.
/// It also depends on the number of samples (a smaller set scores higher); compare at equal N.
public final class SampleQuality {
    public let classifier: SampleClassifier
    /// The features' Gaussian for the reference images.
    public let reference: FeatureStatistics
    /// The class of each histogram bin.
    public let classNames: [String]
    /// Images per forward pass.
    public let batchSize: Int

    /// A scorer with `classifier` (in eval mode) against `referenceImages` [N, 1, H, W] in [−1, 1].
    public init(classifier: SampleClassifier, referenceImages: Tensor,
                classNames: [String] = FashionMNIST.classNames, batchSize: Int = 500) {
        self.classifier = classifier
        self.classNames = classNames
        self.batchSize = batchSize
        classifier.eval()
        reference = FeatureStatistics(features: Self.run(classifier, referenceImages, batchSize: batchSize).features)
    }

    private static let lock = NSLock()
    private nonisolated(unsafe) static var cached: SampleQuality?

    /// The scorer of the committed classifier (`SampleClassifierWeights.path`) against the
    /// Fashion-MNIST test set, made on the first call and kept for the process. Throws a
    /// one-line `SampleClassifierError` or `DataError` when the weights or the data are missing.
    public static func shared() throws -> SampleQuality {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let loaded = try SampleClassifierWeights.load()
        let test = try FashionMNIST.load(split: .test)
        let made = SampleQuality(classifier: loaded.model, referenceImages: images(test))
        cached = made
        return made
    }

    /// Images of a data set as the classifier takes them: [n, C, H, W] in [−1, 1]
    /// (all of them, or those at `indices`).
    public static func images(_ set: LabeledImages, indices: [Int]? = nil) -> Tensor {
        set.batch(indices: indices ?? Array(0..<set.count),
                  mean: SampleClassifierRecipe.pixelMean, std: SampleClassifierRecipe.pixelStd).x
    }

    /// Features [N, 64] and class probabilities [N, classes] of `images` [N, 1, H, W] in [−1, 1]
    /// (a generator's overshoot beyond that range is clamped first, as a saved picture would be).
    public func evaluate(_ images: Tensor) -> (features: Tensor, probabilities: Tensor) {
        Self.run(classifier, images.clamp(min: -1, max: 1), batchSize: batchSize)
    }

    /// The class the classifier gives each image (the index of its largest probability).
    public func predictedClasses(_ images: Tensor) -> [Int] { Self.argmax(evaluate(images).probabilities) }

    /// Each row's index of its largest value, for [N, classes] probabilities.
    private static func argmax(_ p: Tensor) -> [Int] {
        let k = p.shape[1], values = p.scalars
        return (0..<p.shape[0]).map { i in (0..<k).max { values[i * k + $0] < values[i * k + $1] }! }
    }

    /// FID against the reference, mean confidence and class histogram of `images`
    /// [N, 1, H, W] in [−1, 1] (28×28, or larger and centre-cropped), N ≥ 2.
    public func score(_ images: Tensor) -> SampleQualityReport {
        let (features, probabilities) = evaluate(images)
        let n = images.shape[0], k = probabilities.shape[1]
        let p = probabilities.scalars
        var counts = [Int](repeating: 0, count: k)
        var confidence = 0.0
        for (i, best) in Self.argmax(probabilities).enumerated() {
            counts[best] += 1
            confidence += Double(p[i * k + best])
        }
        return SampleQualityReport(count: n, fid: frechetDistance(reference, FeatureStatistics(features: features)),
                                   meanConfidence: confidence / Double(n), classCounts: counts,
                                   classNames: classNames)
    }

    private static func run(_ model: SampleClassifier, _ images: Tensor, batchSize: Int)
        -> (features: Tensor, probabilities: Tensor) {
        precondition(images.rank == 4 && images.shape[1] == 1,
                     "SampleQuality: images must be [N, 1, H, W], got \(images.shape)")
        return withNoGrad {
            var features: [Tensor] = [], probabilities: [Tensor] = []
            for start in stride(from: 0, to: images.shape[0], by: batchSize) {
                let x = images.slice(axis: 0, start..<Swift.min(start + batchSize, images.shape[0]))
                let f = model.features(x)
                features.append(f)
                probabilities.append(model.fc(f).softmax(axis: -1))
            }
            return (Tensor.concat(features, axis: 0), Tensor.concat(probabilities, axis: 0))
        }
    }
}

/// What `SampleQuality.score` found for one set of samples.
public struct SampleQualityReport: Equatable, Sendable {
    /// Samples scored.
    public let count: Int
    /// The Fréchet distance of the classifier's features to the test set's (not Inception FID).
    public let fid: Double
    /// The mean of the classifier's largest class probability per sample.
    public let meanConfidence: Double
    /// Samples per predicted class, in `classNames` order.
    public let classCounts: [Int]
    public let classNames: [String]

    /// The share of samples in the most common class: 0.1 for a balanced set, 1 when collapsed.
    public var topClassFraction: Double { Double(classCounts.max() ?? 0) / Double(Swift.max(count, 1)) }

    /// The numbers a task logs: `fid`, `sample_confidence`, `top_class_fraction`.
    public var metrics: [String: Double] {
        ["fid": fid, "sample_confidence": meanConfidence, "top_class_fraction": topClassFraction]
    }

    /// The kinds of `metrics` for `TrainingPlan(metricKinds:)`: confidence and the top class's
    /// share are fractions, higher and lower is better respectively.
    public static let metricKinds: [String: MetricKind] = [
        "fid": .fid, "sample_confidence": .accuracy, "top_class_fraction": .error,
    ]

    /// "T-shirt/top 98, Trouser 103, …".
    public var histogramText: String {
        zip(classNames, classCounts).map { "\($0) \($1)" }.joined(separator: ", ")
    }
}
