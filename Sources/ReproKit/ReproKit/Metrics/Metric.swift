/// A streaming metric: `update` with each batch, then read `value`.
public protocol Metric: AnyObject {
    /// The name it is logged under, e.g. "test_accuracy".
    var name: String { get }
    /// Whether a larger value is better (accuracy yes, loss no).
    var higherIsBetter: Bool { get }
    var value: Double { get }
    /// Its scale and direction; by default the scale its name suggests, with `higherIsBetter`.
    var kind: MetricKind { get }
    func reset()
}

extension Metric {
    public var kind: MetricKind {
        MetricKind(scale: MetricKind.inferred(from: name).scale, higherIsBetter: higherIsBetter)
    }
}

/// Top-k accuracy of logits [N, classes] against integer targets.
public final class Accuracy: Metric {
    public let name: String
    public let topK: Int
    public var higherIsBetter: Bool { true }
    public var kind: MetricKind { .accuracy }
    private var correct = 0, total = 0

    public init(name: String = "accuracy", topK: Int = 1) {
        self.name = name
        self.topK = topK
    }

    public func update(logits: Tensor, targets: [Int]) {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "Accuracy: logits \(logits.shape) for \(targets.count) targets")
        let k = logits.shape[1]
        for (i, t) in targets.enumerated() {
            let row = logits.data + i * k
            let target = row[t]
            // Rank of the target = how many classes score higher (ties count against it).
            var higher = 0
            for j in 0..<k where row[j] > target || (row[j] == target && j < t) { higher += 1 }
            if higher < topK { correct += 1 }
        }
        total += targets.count
    }

    public var value: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    public func reset() { correct = 0; total = 0 }
}

/// A weighted running mean (loss over batches of different sizes; perplexity is exp of it).
public final class MeanMetric: Metric {
    public let name: String
    public let higherIsBetter: Bool
    private var sum = 0.0, weight = 0.0

    public init(name: String, higherIsBetter: Bool = false) {
        self.name = name
        self.higherIsBetter = higherIsBetter
    }

    public func update(_ v: Double, weight w: Double = 1) { sum += v * w; weight += w }
    public var value: Double { weight == 0 ? 0 : sum / weight }
    public func reset() { sum = 0; weight = 0 }
}

/// Counts of (true class, predicted class) pairs.
public struct ConfusionMatrix: Sendable {
    public let classes: Int
    public private(set) var counts: [Int]

    public init(classes: Int) {
        self.classes = classes
        counts = Array(repeating: 0, count: classes * classes)
    }

    public mutating func update(predictions: [Int], targets: [Int]) {
        for (p, t) in zip(predictions, targets) { counts[t * classes + p] += 1 }
    }

    public subscript(truth: Int, predicted: Int) -> Int { counts[truth * classes + predicted] }

    /// As a [classes, classes] tensor (rows: true class).
    public var tensor: Tensor { Tensor(counts.map(Float.init), shape: [classes, classes]) }
}
