import Foundation

/// Perplexity: exp of the mean negative log-likelihood per token (natural log), streamed
/// over batches with different numbers of tokens. 0 before any token, like `MeanMetric`.
public final class Perplexity: Metric {
    public let name: String
    public var higherIsBetter: Bool { false }
    /// The summed NLL of every token seen since the last reset.
    private var totalNLL = 0.0
    /// Tokens seen since the last reset.
    public private(set) var tokens = 0

    public init(name: String = "perplexity") {
        self.name = name
    }

    /// Adds a batch whose `tokens` tokens have mean NLL `meanNLL` (e.g. a cross-entropy loss
    /// averaged over the batch's tokens).
    public func update(meanNLL: Double, tokens: Int) {
        precondition(tokens >= 0, "Perplexity: \(tokens) tokens")
        totalNLL += meanNLL * Double(tokens)
        self.tokens += tokens
    }

    /// Adds a batch whose `tokens` tokens have NLLs summing to `totalNLL`.
    public func update(totalNLL: Double, tokens: Int) {
        guard tokens > 0 else { return }   // an empty batch has no NLL to add
        self.totalNLL += totalNLL
        self.tokens += tokens
    }

    /// exp(mean NLL per token); 0 before any token.
    public var value: Double { tokens == 0 ? 0 : exp(meanNLL) }
    /// The mean NLL per token (the cross-entropy in nats).
    public var meanNLL: Double { tokens == 0 ? 0 : totalNLL / Double(tokens) }

    public func reset() { totalNLL = 0; tokens = 0 }
}
