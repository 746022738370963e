/// Why hypotheses and references cannot be scored.
public enum TextMetricError: Error, CustomStringConvertible, Equatable {
    /// No reference stream was given.
    case noReferences
    /// Reference stream `stream` (0-based) has `lines` lines for `hypotheses` hypotheses.
    case lengthMismatch(stream: Int, lines: Int, hypotheses: Int)
    /// Source lengths (for BLEU by source length) were given for `lengths` sentences, not `hypotheses`.
    case sourceLengthMismatch(lengths: Int, hypotheses: Int)
    /// Bucket edges must be strictly increasing.
    case badBucketEdges([Int])

    public var description: String {
        switch self {
        case .noReferences:
            return "no references: give at least one reference translation per hypothesis"
        case let .lengthMismatch(stream, lines, hypotheses):
            return "reference \(stream + 1) has \(lines) lines but there are \(hypotheses) hypotheses: "
                + "each reference needs one line per hypothesis, in the same order"
        case let .sourceLengthMismatch(lengths, hypotheses):
            return "\(lengths) source lengths for \(hypotheses) hypotheses: give one source length per hypothesis"
        case .badBucketEdges(let edges):
            return "bucket edges \(edges) are not strictly increasing"
        }
    }

    /// Checks that there are references and each stream is parallel to the hypotheses.
    static func check(hypotheses: Int, references: [[String]]) throws {
        guard !references.isEmpty else { throw TextMetricError.noReferences }
        for (i, stream) in references.enumerated() where stream.count != hypotheses {
            throw TextMetricError.lengthMismatch(stream: i, lines: stream.count, hypotheses: hypotheses)
        }
    }
}
