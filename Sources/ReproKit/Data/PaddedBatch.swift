/// Token-id sequences of different lengths padded to one [B, T] grid, with what attention
/// needs to ignore the padding.
public struct PaddedBatch: Equatable, Sendable {
    /// Row-major [B, T] ids: row b holds sequence b, then `padID` up to T. Flat, as
    /// `Embedding(_:shape:)` takes it with `shape`.
    public let ids: [Int]
    /// Each sequence's own length (its tokens before the padding).
    public let lengths: [Int]
    /// T: the longest sequence's length (0 for no or only empty sequences).
    public let length: Int
    /// The id that fills the padding.
    public let padID: Int

    /// Pads `sequences` with `padID` to the longest one's length.
    public init(_ sequences: [[Int]], padID: Int) {
        let t = sequences.map(\.count).max() ?? 0
        var ids = [Int](repeating: padID, count: sequences.count * t)
        for (b, s) in sequences.enumerated() { ids.replaceSubrange(b * t..<b * t + s.count, with: s) }
        self.ids = ids
        self.lengths = sequences.map(\.count)
        self.length = t
        self.padID = padID
    }

    /// [B, T].
    public var shape: [Int] { [lengths.count, length] }

    /// How many real (non-padding) tokens: what a per-token loss averages over.
    public var tokenCount: Int { lengths.reduce(0, +) }

    /// [B][T], true = padding: `MultiheadAttention`'s `keyPaddingMask` convention (PyTorch's
    /// `key_padding_mask`), so a query never attends to a padding key.
    public var keyPaddingMask: [[Bool]] {
        lengths.map { n in (0..<length).map { $0 >= n } }
    }
}

/// Pads token-id sequences into a `PaddedBatch`.
public struct PadSequences: Collator {
    /// The id that fills the padding (a tokenizer's `<pad>`).
    public let padID: Int

    public init(padID: Int) { self.padID = padID }

    public func collate(_ examples: [[Int]]) -> PaddedBatch { PaddedBatch(examples, padID: padID) }
}
