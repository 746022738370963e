/// Examples that are rows of tensors held in memory: inputs x [N, d…], and optionally an
/// integer class label per row or a target tensor y [N, e…] (toy problems such as XOR,
/// points for a GAN to imitate, regression targets).
public struct TensorDataset: Dataset {
    /// Inputs, one row per example.
    public let x: Tensor
    /// Targets, one row per example, if the examples have tensor targets.
    public let y: Tensor?
    /// One class label per example, if the examples are labelled.
    public let labels: [Int]?
    /// Named in the description.
    public let name: String
    /// Named in the description.
    public let split: String?

    /// One example: row i of x (shape d…), and its target row or label if there are any.
    public struct Example {
        public let x: Tensor
        public let y: Tensor?
        public let label: Int?
    }

    /// Rows of x as [B, d…], with their target rows [B, e…] or labels if there are any.
    public struct Batch {
        public let x: Tensor
        public let y: Tensor?
        public let labels: [Int]?
    }

    /// Inputs `x` [N, d…] with optional class `labels` (N of them, each 0 or more).
    /// - Throws: `DataError.invalid` when x has no leading example axis or the label count or
    ///   a label does not fit.
    public init(x: Tensor, labels: [Int]? = nil, name: String = "tensors", split: String? = nil) throws {
        try self.init(x: x, y: nil, labels: labels, name: name, split: split)
    }

    /// Inputs `x` [N, d…] with targets `y` [N, e…].
    /// - Throws: `DataError.invalid` when x or y has no leading axis or they differ in N.
    public init(x: Tensor, y: Tensor, name: String = "tensors", split: String? = nil) throws {
        try self.init(x: x, y: y, labels: nil, name: name, split: split)
    }

    private init(x: Tensor, y: Tensor?, labels: [Int]?, name: String, split: String?) throws {
        guard x.rank >= 1 else {
            throw DataError.invalid("\(name): x must have a leading example axis [N, …], got shape \(x.shape)")
        }
        let n = x.shape[0]
        if let y, y.rank < 1 || y.shape[0] != n {
            throw DataError.invalid("\(name): y of shape \(y.shape) must have one row per example of x \(x.shape)")
        }
        if let labels {
            guard labels.count == n else {
                throw DataError.invalid("\(name): \(labels.count) labels for \(n) examples; give one label per row of x")
            }
            if let bad = labels.first(where: { $0 < 0 }) {
                throw DataError.invalid("\(name): label \(bad) is negative; class labels are 0, 1, 2, …")
            }
        }
        self.x = x; self.y = y; self.labels = labels; self.name = name; self.split = split
    }

    public var count: Int { x.shape[0] }

    public func example(at index: Int) -> Example {
        let b = batch([index])
        return Example(x: b.x.reshaped(Array(x.shape.dropFirst())),
                       y: b.y?.reshaped(Array(b.y!.shape.dropFirst())), label: b.labels?[0])
    }

    public func batch(_ indices: [Int]) -> Batch {
        Batch(x: x.indexSelect(axis: 0, indices), y: y?.indexSelect(axis: 0, indices),
              labels: labels.map { l in indices.map { l[$0] } })
    }

    /// E.g. "[2] tensors, 2 classes" or "[2] tensors → [1] targets".
    public var datasetDescription: DatasetDescription {
        var what = "\(Array(x.shape.dropFirst())) tensors"
        if let labels { what += ", \((labels.max() ?? -1) + 1) classes" }
        if let y { what += " → \(Array(y.shape.dropFirst())) targets" }
        return DatasetDescription(name: name, split: split, count: count, example: what)
    }
}
