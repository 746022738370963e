import Foundation

/// `repro bench data`: the text pipeline a translation paper runs before its first step, on
/// the offline EN–ES corpus — read both SWORD modules and split them by book, train one BPE
/// vocabulary on the training split (both languages), encode every training pair, and collate
/// one epoch of length-bucketed batches. One result per stage.
public enum DataBench {
    public static func run(vocabularySize: Int, maxTokens: Int) throws -> [BenchResult] {
        var results: [BenchResult] = []
        func stage<T>(_ name: String, items: Int? = nil, note: String? = nil, _ body: () throws -> T) rethrows -> T {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let value = try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            results.append(BenchResult(bench: "data", case: name, shape: "kjv-rv1909 en→es", threads: 1,
                                       seconds: seconds, itemsPerSecond: items.map { Double($0) / seconds }, note: note))
            return value
        }
        let bible = try stage("read both modules") { try BibleCorpus() }
        let train = try stage("split by book") { try bible.corpus(.train) }
        let sentences = train.pairs.flatMap { [$0.source, $0.target] }
        let bpe = try stage("train BPE", items: sentences.count, note: "\(vocabularySize) ids, \(sentences.count) sentences") {
            try BPETokenizer(training: sentences, vocabularySize: vocabularySize)
        }
        let encoded = stage("encode", items: train.count, note: "\(train.count) pairs") {
            train.pairs.map { TokenPair(source: bpe.encode($0.source), target: bpe.encode($0.target)) }
        }
        let sampler = try LengthBucketedSampler(lengths: encoded.map(\.paddedLength),
                                                maxTokens: maxTokens, rng: RNG(seed: 0))
        let collator = Seq2SeqCollator(bpe)
        let tokens = try stage("collate an epoch", items: train.count,
                               note: "\(sampler.batches) length-bucketed batches of ≤ \(maxTokens) tokens") {
            var tokens = 0
            for b in 0..<sampler.batches {
                tokens += try collator.collate(sampler.indices(epoch: 0, batch: b).map { (encoded[$0].source, encoded[$0].target) })
                    .targetTokenCount
            }
            return tokens
        }
        let total = results.reduce(0) { $0 + $1.seconds }
        results.append(BenchResult(bench: "data", case: "total", shape: "kjv-rv1909 en→es", threads: 1, seconds: total,
                                   note: "\(tokens) target tokens in the epoch"))
        return results
    }
}
