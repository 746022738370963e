import Foundation

/// What an image-classification paper plugs in: the data, how it is normalised and
/// augmented, and the batch size. The model and the optimisation recipe come separately.
public struct ImageClassificationData {
    public var train: LabeledImages
    public var test: LabeledImages
    /// Per-channel mean and standard deviation in [0, 1] pixel units.
    public var mean: [Float]
    public var std: [Float]
    public var batchSize: Int
    public var evalBatchSize: Int
    /// Zero-pad then randomly crop back (0: no crop); the pad is black in pixel space.
    public var cropPadding: Int
    public var horizontalFlip: Bool

    public init(train: LabeledImages, test: LabeledImages, mean: [Float], std: [Float], batchSize: Int,
                evalBatchSize: Int = 500, cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.train = train; self.test = test; self.mean = mean; self.std = std
        self.batchSize = batchSize; self.evalBatchSize = evalBatchSize
        self.cropPadding = cropPadding; self.horizontalFlip = horizontalFlip
    }

    /// Per-channel mean and std of a data set's pixels (in [0, 1]).
    public static func statistics(_ d: LabeledImages) -> (mean: [Float], std: [Float]) {
        let plane = d.height * d.width
        var mean: [Float] = [], std: [Float] = []
        for c in 0..<d.channels {
            var s = 0.0, s2 = 0.0
            for i in 0..<d.count {
                let base = (i * d.channels + c) * plane
                for j in 0..<plane { let v = Double(d.images[base + j]) / 255; s += v; s2 += v * v }
            }
            let n = Double(d.count * plane)
            mean.append(Float(s / n)); std.append(Float((s2 / n - (s / n) * (s / n)).squareRoot()))
        }
        return (mean, std)
    }
}

/// Supervised image classification with cross-entropy: batches drawn by a seeded sampler,
/// crop/flip augmentation, test accuracy and loss, a confusion matrix, a grid of sample
/// predictions and one of misclassified test images, optionally the first layer's filters,
/// steps to training-error thresholds and the train−test gap. ResNet and AlexNet are both
/// this task with their own model.
public final class ImageClassificationTask: TrainingTask {
    public let model: Module
    public let plan: TrainingPlan
    public let data: ImageClassificationData
    let sampler: EpochSampler
    /// Predictions of the last evaluation, for the drawings.
    public private(set) var lastPredictions: [Int] = []
    /// Training-error levels whose steps-to-threshold go into the summary.
    public let trainErrorThresholds: [Double]
    /// Evaluate accuracy on the first this many training images too (eval mode, no
    /// augmentation), giving `train_eval_accuracy` and `generalization_gap`; 0: not.
    public let trainEvalSubset: Int
    /// The conv weight drawn as `filters.png` (e.g. "conv1.weight"), if any.
    public let filtersParameter: String?
    /// A paper's own drawings (ViT's attention maps), made after the standard ones into the
    /// same folder; returns the file names it wrote.
    public let paperDrawings: ((_ folder: URL, _ data: ImageClassificationData) throws -> [String])?

    /// `plan` is completed with the number of batches per epoch; `schedule` receives the total
    /// number of steps.
    public init(model: Module, data: ImageClassificationData, epochs: Int, optimizer: OptimizerSpec,
                schedule: (_ totalSteps: Int) -> LRSchedule, decayNormsAndBiases: Bool = true,
                clipNorm: Float? = nil, evalEvery: Int? = nil, evalEveryEpochs: Int = 1, logEvery: Int? = nil,
                trainErrorThresholds: [Double] = [],
                trainEvalSubset: Int = 0, filtersParameter: String? = nil,
                paperDrawings: ((_ folder: URL, _ data: ImageClassificationData) throws -> [String])? = nil,
                rng: RNG) throws {
        self.model = model
        self.data = data
        self.trainErrorThresholds = trainErrorThresholds
        self.trainEvalSubset = Swift.min(trainEvalSubset, data.train.count)
        self.filtersParameter = filtersParameter
        self.paperDrawings = paperDrawings
        sampler = try EpochSampler(count: data.train.count, batchSize: data.batchSize, rng: rng)
        let perEpoch = sampler.batches
        plan = TrainingPlan(epochs: epochs, batchesPerEpoch: perEpoch, optimizer: optimizer,
                            schedule: schedule(epochs * perEpoch), decayNormsAndBiases: decayNormsAndBiases,
                            clipNorm: clipNorm, evalEvery: evalEvery, evalEveryEpochs: evalEveryEpochs, logEvery: logEvery ?? Swift.max(1, Swift.min(20, perEpoch / 10)),
                            bestMetric: "test_accuracy")
    }

    public var datasets: [DatasetDescription] { [data.train.datasetDescription, data.test.datasetDescription] }

    public func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        let idx = sampler.indices(epoch: epoch, batch: batch)
        let (x, y) = data.train.batch(indices: idx, mean: data.mean, std: data.std)
        var rng = sampler.augmentationRNG(epoch: epoch, batch: batch)
        if data.cropPadding > 0 {
            let black = zip(data.mean, data.std).map { -$0 / $1 }
            Augment.randomCrop(x, padding: data.cropPadding, fill: black, rng: &rng)
        }
        if data.horizontalFlip { Augment.randomHorizontalFlip(x, rng: &rng) }
        let logits = model(x)
        let loss = crossEntropy(logits, targets: y)
        let correct = zip(logits.argmax(axis: -1), y).filter { $0 == $1 }.count
        return StepResult(loss: loss, metrics: ["train_accuracy": Double(correct) / Double(y.count)],
                          examples: y.count)
    }

    public func evaluate(at point: RunPoint) throws -> [String: Double] {
        let test = try evaluate(data.test, count: data.test.count, prefix: "test")
        lastPredictions = test.predictions
        var metrics = test.metrics
        if trainEvalSubset > 0 {
            for (k, v) in try evaluate(data.train, count: trainEvalSubset, prefix: "train_eval").metrics { metrics[k] = v }
        }
        return metrics
    }

    /// Accuracy and loss on the first `count` images of `set`, as `<prefix>_accuracy` and
    /// `<prefix>_loss`.
    private func evaluate(_ set: LabeledImages, count: Int, prefix: String) throws
        -> (metrics: [String: Double], predictions: [Int]) {
        let accuracy = Accuracy(name: prefix + "_accuracy")
        let loss = MeanMetric(name: prefix + "_loss")
        var predictions: [Int] = []
        for start in stride(from: 0, to: count, by: data.evalBatchSize) {
            let idx = Array(start..<Swift.min(start + data.evalBatchSize, count))
            let (x, y) = set.batch(indices: idx, mean: data.mean, std: data.std)
            let logits = model(x)
            accuracy.update(logits: logits, targets: y)
            loss.update(Double(crossEntropy(logits, targets: y).item()), weight: Double(y.count))
            predictions += logits.argmax(axis: -1)
        }
        return ([accuracy.name: accuracy.value, loss.name: loss.value], predictions)
    }

    /// Steps to each of `trainErrorThresholds`, and with `trainEvalSubset`,
    /// `generalization_gap` = train_eval_accuracy − test_accuracy at the last evaluation
    /// (both in eval mode: the on-the-fly training accuracy is lowered by dropout and
    /// augmentation, which would shrink the gap of exactly the runs that use them).
    public func summaryMetrics(history: MetricsHistory) -> [String: Double] {
        var out = history.stepsToTrainError(trainErrorThresholds)
        if let last = history.lastEval, let train = last["train_eval_accuracy"], let test = last["test_accuracy"] {
            out["generalization_gap"] = train - test
        }
        return out
    }

    public func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        guard lastPredictions.count == data.test.count else { return [] }
        let names = data.test.classNames
        var confusion = ConfusionMatrix(classes: names.count)
        confusion.update(predictions: lastPredictions, targets: data.test.labels)
        let cm = try Heatmap(confusion.tensor, rowLabels: names, colLabels: names,
                             title: "Confusion matrix (test)", xLabel: "predicted", yLabel: "true",
                             showValues: true)
        try cm.canvas.write(to: folder.appendingPathComponent("confusion.png").path)

        var files = ["confusion.png"]
        // Sample predictions: the first 32 test images, captions green when right.
        let sample = Array(0..<Swift.min(32, data.test.count))
        let (xs, _) = data.test.batch(indices: sample, mean: [0], std: [1])
        let right = sample.map { lastPredictions[$0] == data.test.labels[$0] }
        let captions = sample.map { right[$0] ? names[lastPredictions[$0]] : "\(names[lastPredictions[$0]]) (\(names[data.test.labels[$0]]))" }
        let predictions = try imageGrid(xs, columns: 8, scale: 3, labels: captions,
                                        labelColors: right.map { $0 ? RGB.green : RGB.red }, normalize: .range(0, 1),
                                        title: "Test predictions (red: wrong, the true class in brackets)")
        try predictions.write(to: folder.appendingPathComponent("predictions.png").path)
        files.append("predictions.png")

        if let name = filtersParameter, let weight = model.namedParameters().first(where: { $0.0 == name })?.1 {
            let grid = try filterGrid(weight, title: "Learned filters: \(name) \(weight.shape.map(String.init).joined(separator: "×"))")
            try grid.write(to: folder.appendingPathComponent("filters.png").path)
            files.append("filters.png")
        }

        let wrong = (0..<data.test.count).filter { lastPredictions[$0] != data.test.labels[$0] }.prefix(32)
        if !wrong.isEmpty {
            let idx = Array(wrong)
            let (x, _) = data.test.batch(indices: idx, mean: [0], std: [1])
            let labels = idx.map { "\(names[data.test.labels[$0]]) → \(names[lastPredictions[$0]])" }
            let grid = try imageGrid(x, columns: 8, scale: 3, labels: labels, normalize: .range(0, 1),
                                     title: "Misclassified test images (true → predicted)")
            try grid.write(to: folder.appendingPathComponent("misclassified.png").path)
            files.append("misclassified.png")
        }
        if let paperDrawings { files += try paperDrawings(folder, data) }
        return files
    }
}
