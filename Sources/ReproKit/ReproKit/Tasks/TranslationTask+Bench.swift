import Foundation

extension TranslationTask: InferenceBenchmarking {
    /// Beam search over the first `items` test sources, in the batches the test decoding uses,
    /// with `<eos>` forbidden: every hypothesis runs to the length limit, so the work is the
    /// same for any weights and for another framework given the same lengths.
    public func benchmarkInference(items: Int) throws -> (count: Int, what: String) {
        let sources = Array(data.testIDs.prefix(items).map(\.source))
        let hyps = decode(sources, beamSize: settings.beamSize, forbidden: [data.targetTokenizer.eos])
        let lengths = Set(zip(sources, hyps).map { "\($0.count) → \($1.tokens.count)" }).sorted()
        return (sources.count, "beam \(settings.beamSize), <eos> forbidden; source → output tokens: "
                + lengths.prefix(4).joined(separator: ", ") + (lengths.count > 4 ? ", …" : ""))
    }
}
