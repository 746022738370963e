import Foundation

/// Perplexity: exp of the mean negative log-likelihood per token (natural log), streamed
/// over batches with different numbers of tokens. 0 before any token, like `MeanMetric`.
public final class Perplexity: Metric {
    public let name: String
    public var higherIsBetter: Bool { false }
    /// The mean NLL per token, weighted by tokens.
    private let nll: MeanMetric
    /// Tokens seen since the last reset.
    public private(set) var tokens = 0

    public init(name: String = "perplexity") {
        self.name = name
        nll = MeanMetric(name: name + "_nll")
    }

    /// Adds a batch whose `tokens` tokens have mean NLL `meanNLL` (e.g. a cross-entropy loss
    /// averaged over the batch's tokens).
    public func update(meanNLL: Double, tokens: Int) {
        precondition(tokens >= 0, "Perplexity: \(tokens) tokens")
        nll.update(meanNLL, weight: Double(tokens))
        self.tokens += tokens
    }

    /// Adds a batch whose `tokens` tokens have NLLs summing to `totalNLL`.
    public func update(totalNLL: Double, tokens: Int) {
        guard tokens > 0 else { return }
        update(meanNLL: totalNLL / Double(tokens), tokens: tokens)
    }

    /// exp(mean NLL per token); 0 before any token.
    public var value: Double { tokens == 0 ? 0 : exp(nll.value) }
    /// The mean NLL per token (the cross-entropy in nats).
    public var meanNLL: Double { nll.value }

    public func reset() { nll.reset(); tokens = 0 }
}
