/// A finite, indexable set of examples: images and labels, token sequences, pairs, tensors.
///
/// A trainer asks a `BatchSampler` which indices form a batch and the data set for that
/// batch, so any paper's data reaches its model the same way. A data set knows its natural
/// batch (`batch(_:)`); another shape of batch comes from a `Collator` (`batch(_:collatedBy:)`).
public protocol Dataset {
    /// One example as the model sees it (e.g. an image tensor and its label).
    associatedtype Example
    /// Many examples ready for one step (e.g. a [B, C, H, W] tensor and B labels).
    associatedtype Batch = [Example]

    /// How many examples there are; valid indices are 0..<count.
    var count: Int { get }

    /// Example `index`, in 0..<count.
    func example(at index: Int) -> Example

    /// The examples `indices`, in that order, as one batch. Data sets with a faster path
    /// than collating examples one by one (a vectorised gather) implement it themselves.
    func batch(_ indices: [Int]) -> Batch

    /// What a run folder or card prints about this data set.
    var datasetDescription: DatasetDescription { get }
}

extension Dataset where Batch == [Example] {
    /// The examples themselves, for data sets whose batches a `Collator` makes.
    public func batch(_ indices: [Int]) -> [Example] { indices.map { example(at: $0) } }
}

extension Dataset {
    /// The examples `indices` put together by `collator` (e.g. token sequences padded into a
    /// `PaddedBatch`). Throws the collator's one-line error when the examples do not fit it.
    public func batch<C: Collator>(_ indices: [Int], collatedBy collator: C) throws -> C.Batch
        where C.Example == Example {
        try collator.collate(indices.map { example(at: $0) })
    }
}

/// What a data set is, in the words a run folder or card prints: "fashion-mnist train:
/// 60000 examples, 28×28×1 images, 10 classes".
public struct DatasetDescription: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The registry name (e.g. "fashion-mnist"), or what the data set is called otherwise.
    public var name: String
    /// Which part ("train", "test", …), if the data set is one part of a larger one.
    public var split: String?
    /// How many examples.
    public var count: Int
    /// What one example is, e.g. "28×28×1 images, 10 classes" or "EN–ES verse pairs".
    public var example: String

    public init(name: String, split: String? = nil, count: Int, example: String) {
        self.name = name; self.split = split; self.count = count; self.example = example
    }

    public var description: String {
        "\(name)\(split.map { " " + $0 } ?? ""): \(count) examples, \(example)"
    }
}
