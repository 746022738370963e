/// Puts examples together into one batch: stacks equal tensors, pads token sequences, …
/// Separate from the data set so one data set can feed models that want different batches.
public protocol Collator {
    associatedtype Example
    associatedtype Batch
    /// One batch of `examples`, in order. Throws a one-line `DataError.invalid` when they do
    /// not fit together (e.g. tensors of different shapes).
    func collate(_ examples: [Example]) throws -> Batch
}

/// Stacks equally shaped tensors [d…] into one [B, d…] (torch's default_collate).
public struct Stack: Collator {
    public init() {}

    public func collate(_ examples: [Tensor]) throws -> Tensor {
        guard let first = examples.first else {
            throw DataError.invalid("cannot stack an empty batch; ask for at least one index")
        }
        if let bad = examples.firstIndex(where: { $0.shape != first.shape }) {
            throw DataError.invalid("cannot stack example \(bad) of shape \(examples[bad].shape) with example 0 "
                + "of shape \(first.shape); crop or pad them to one shape, or use PadSequences for sequences")
        }
        return Tensor.stack(examples, axis: 0)
    }
}

/// Stacks (tensor, label) examples into a [B, d…] tensor and B labels, the shape of
/// `LabeledImages.batch(_:)`.
public struct StackLabeled: Collator {
    public init() {}

    public func collate(_ examples: [(x: Tensor, y: Int)]) throws -> (x: Tensor, y: [Int]) {
        (try Stack().collate(examples.map(\.x)), examples.map(\.y))
    }
}
