import Foundation

/// How a translation task decodes and scores, beside the data and the model.
public struct TranslationSettings {
    /// Sentence pairs per training batch (batches group pairs of similar length).
    public var batchSize: Int
    /// Beam width of the final test decoding (1: greedy).
    public var beamSize: Int
    /// GNMT length-penalty α of beam search (0: none).
    public var lengthPenalty: Double
    /// Most target tokens decoded for a source of n tokens.
    public var maxLength: @Sendable (Int) -> Int
    /// Validation sentences decoded greedily at every evaluation for `valid_bleu` (0: none).
    public var validBLEUSentences: Int
    /// Source-length bucket edges (in words) of `test_bleu_len_…`, the paper's Figure 2.
    public var lengthEdges: [Int]
    /// Test sentences drawn as alignment matrices (Figure 3), and shown as sample translations.
    public var alignments: Int, samples: Int
    /// Label smoothing ε of the training loss (Vaswani et al. §5.4: 0.1); validation loss and
    /// perplexity are always the plain cross-entropy, so they stay comparable across ε.
    public var labelSmoothing: Float

    public init(batchSize: Int, beamSize: Int = 5, lengthPenalty: Double = 0,
                maxLength: @escaping @Sendable (Int) -> Int = { 2 * $0 + 10 }, validBLEUSentences: Int = 400,
                lengthEdges: [Int] = [0, 10, 20, 30, 40, 50], alignments: Int = 4, samples: Int = 8,
                labelSmoothing: Float = 0) {
        self.batchSize = batchSize; self.beamSize = beamSize; self.lengthPenalty = lengthPenalty
        self.maxLength = maxLength; self.validBLEUSentences = validBLEUSentences; self.lengthEdges = lengthEdges
        self.alignments = alignments; self.samples = samples; self.labelSmoothing = labelSmoothing
    }
}

/// Machine translation with any `TranslationModel`: teacher-forced cross-entropy on
/// length-bucketed batches; validation loss, perplexity and greedy BLEU at every evaluation;
/// at the end, beam-search BLEU and chrF on the test split (sacreBLEU's numbers), the paper's
/// "no UNK" BLEU for a word shortlist, BLEU by source length (Bahdanau et al. Figure 2),
/// alignment matrices (Figure 3) and sample translations. The tokenizers are saved in every
/// checkpoint, so a resumed run reads and writes text exactly as the interrupted one did.
public final class TranslationTask<M: TranslationModel>: TrainingTask {
    public let translator: M
    public var model: Module { translator }
    public let plan: TrainingPlan
    public let data: TranslationData
    public let settings: TranslationSettings
    let sampler: LengthBucketedSampler
    let collator: Seq2SeqCollator
    /// The last final test decoding, for the drawings.
    private var lastTest: [Hypothesis]?

    /// `plan`'s batches per epoch come from the sampler; `schedule` gets the total steps.
    public init(model: M, data: TranslationData, settings: TranslationSettings, epochs: Int,
                optimizer: OptimizerSpec, schedule: (_ totalSteps: Int) -> LRSchedule, clipNorm: Float?,
                evalEvery: Int? = nil, rng: RNG) throws {
        translator = model
        self.data = data
        self.settings = settings
        collator = Seq2SeqCollator(data.targetTokenizer)
        sampler = try LengthBucketedSampler(lengths: data.trainIDs.map(\.paddedLength),
                                            batchSize: settings.batchSize, rng: rng)
        let perEpoch = sampler.batches
        plan = TrainingPlan(epochs: epochs, batchesPerEpoch: perEpoch, optimizer: optimizer,
                            schedule: schedule(epochs * perEpoch), clipNorm: clipNorm, evalEvery: evalEvery,
                            logEvery: Swift.max(1, Swift.min(20, perEpoch / 10)),
                            bestMetric: settings.validBLEUSentences > 0 ? "valid_bleu" : "valid_loss",
                            metricKinds: ["test_bleu_long_over_short": .other])
    }

    public var datasets: [DatasetDescription] {
        [data.train.datasetDescription, data.valid.datasetDescription, data.test.datasetDescription]
    }

    public func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        let pairs = sampler.indices(epoch: epoch, batch: batch).map { data.trainIDs[$0] }
        let b = try collator.collate(pairs.map { ($0.source, $0.target) })
        return StepResult(loss: tokenLoss(b, labelSmoothing: settings.labelSmoothing), examples: b.count)
    }

    /// Mean cross-entropy over the batch's real target tokens (with label smoothing ε: against
    /// (1 − ε)·one-hot + ε/V).
    func tokenLoss(_ b: Seq2SeqBatch, labelSmoothing: Float = 0) -> Tensor {
        let logits = translator.logits(b)
        return crossEntropy(logits.reshaped([logits.count / logits.shape[2], logits.shape[2]]), targets: b.decoderTarget,
                            labelSmoothing: labelSmoothing)
    }

    public func evaluate(at point: RunPoint) throws -> [String: Double] {
        var metrics = try validationLoss()
        if settings.validBLEUSentences > 0 {
            // Spread over the split (every book), as `ParallelCorpus.limited(to:)` picks.
            let n = Swift.min(settings.validBLEUSentences, data.validIDs.count)
            let picked = (0..<n).map { $0 * data.validIDs.count / n }
            let hyps = decode(picked.map { data.validIDs[$0].source }, beamSize: 1, forbidden: [])
            metrics["valid_bleu"] = try BLEU.corpusScore(hypotheses: hyps.map { text($0) },
                                                         references: [picked.map { data.valid.pairs[$0].target }]).score
        }
        if point.isFinal { for (k, v) in try testMetrics() { metrics[k] = v } }
        return metrics
    }

    /// Teacher-forced loss and perplexity on the validation split, token-weighted.
    private func validationLoss() throws -> [String: Double] {
        let loss = MeanMetric(name: "valid_loss")
        for chunk in Self.lengthSortedChunks(data.validIDs.map(\.source.count), size: 64) {
            let pairs = chunk.map { data.validIDs[$0] }
            let b = try collator.collate(pairs.map { ($0.source, $0.target) })
            loss.update(Double(tokenLoss(b).item()), weight: Double(b.targetTokenCount))
        }
        return ["valid_loss": loss.value, "valid_ppl": Foundation.exp(loss.value)]
    }

    /// Beam-search BLEU and chrF on the test split, "no UNK" BLEU, and BLEU by source length.
    private func testMetrics() throws -> [String: Double] {
        let hyps = decode(data.testIDs.map(\.source), beamSize: settings.beamSize, forbidden: [])
        lastTest = hyps
        let outputs = hyps.map { text($0) }
        let references = data.test.pairs.map(\.target)
        var m: [String: Double] = [
            "test_bleu": try BLEU.corpusScore(hypotheses: outputs, references: [references]).score,
            "test_chrf": try ChrF.corpusScore(hypotheses: outputs, references: [references]).score,
        ]
        // The paper's "No UNK": only sentences whose source and reference are all in the
        // shortlists, decoded with <unk> forbidden. Subwords have no unknown words.
        let known = data.testIDs.indices.filter {
            !data.testIDs[$0].source.contains(data.sourceTokenizer.unk) && !data.testIDs[$0].target.contains(data.targetTokenizer.unk)
        }
        if data.sourceTokenizer is WordTokenizer, !known.isEmpty {
            let clean = decode(known.map { data.testIDs[$0].source }, beamSize: settings.beamSize,
                               forbidden: [data.targetTokenizer.unk])
            m["test_bleu_no_unk"] = try BLEU.corpusScore(hypotheses: clean.map { text($0) },
                                                          references: [known.map { references[$0] }]).score
            m["test_no_unk_sentences"] = Double(known.count)
        }
        let words = data.test.pairs.map { ParallelCorpus.words($0.source) }
        // Figure 2 in one number per run: BLEU of the longest third of the sentences (by
        // source words) over that of the shortest third; 1 = no loss on long sentences.
        let byLength = words.indices.sorted { (words[$0], $0) < (words[$1], $1) }
        let third = byLength.count / 3
        if third > 0 {
            func bleu(_ idx: ArraySlice<Int>) throws -> Double {
                try BLEU.corpusScore(hypotheses: idx.map { outputs[$0] }, references: [idx.map { references[$0] }]).score
            }
            let short = try bleu(byLength.prefix(third)), long = try bleu(byLength.suffix(third))
            m["test_bleu_short"] = short
            m["test_bleu_long"] = long
            if short > 0 { m["test_bleu_long_over_short"] = long / short }
        }
        for bucket in try BLEU.bySourceLength(sourceLengths: words, hypotheses: outputs, references: [references],
                                               edges: settings.lengthEdges) {
            if let s = bucket.score { m[TranslationDrawings.bucketMetric(lower: bucket.lower, upper: bucket.upper)] = s.score }
        }
        return m
    }

    /// Decodes `sources` in batches of similar length; hypotheses in the sources' order.
    func decode(_ sources: [[Int]], beamSize: Int, forbidden: [Int]) -> [Hypothesis] {
        let t = data.targetTokenizer
        let options = DecodingOptions(bos: t.bos, eos: t.eos, maxLength: settings.maxLength,
                                      forbidden: [t.pad, t.bos] + forbidden, lengthPenalty: settings.lengthPenalty)
        var out = [Hypothesis?](repeating: nil, count: sources.count)
        for rows in Self.lengthSortedChunks(sources.map(\.count), size: Swift.max(1, 256 / Swift.max(beamSize, 1))) {
            let batch = PaddedBatch(rows.map { sources[$0] }, padID: data.sourceTokenizer.pad)
            let hyps = beamSize <= 1 ? greedyDecode(translator, source: batch, options: options)
                : beamSearch(translator, source: batch, beamSize: beamSize, options: options)
            for (r, h) in zip(rows, hyps) { out[r] = h }
        }
        return out.map { $0! }
    }

    func text(_ h: Hypothesis) -> String { data.targetTokenizer.decode(h.tokens) }

    /// Indices of `lengths` sorted by length, cut into chunks of `size`: batches with little
    /// padding for evaluation, whose order does not matter.
    static func lengthSortedChunks(_ lengths: [Int], size: Int) -> [[Int]] {
        let order = lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        return stride(from: 0, to: order.count, by: size).map { Array(order[$0..<Swift.min($0 + size, order.count)]) }
    }

    public func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        guard let hyps = lastTest, hyps.count == data.testIDs.count else { return [] }
        var files: [String] = []
        if let png = try TranslationDrawings.alignments(self, hyps, in: folder) { files.append(png) }
        if let png = try TranslationDrawings.attentionHeads(self, hyps, in: folder) { files.append(png) }
        if let png = try TranslationDrawings.bleuByLength(history: history, edges: settings.lengthEdges, in: folder) {
            files.append(png)
        }
        files.append(try TranslationDrawings.samples(self, hyps, in: folder))
        files.append(try TranslationDrawings.hypotheses(self, hyps, in: folder))
        return files
    }

    public func saveState() -> TaskState {
        TaskState(strings: ["source_tokenizer": data.sourceTokenizer.serialized,
                            "target_tokenizer": data.targetTokenizer.serialized])
    }

    /// The tokenizers are learned again, deterministically, when the task is built; a
    /// checkpoint whose tokenizers differ was trained on other data or settings, and its
    /// embeddings would mean other words.
    public func loadState(_ state: TaskState) throws {
        for (key, mine) in [("source_tokenizer", data.sourceTokenizer), ("target_tokenizer", data.targetTokenizer)] {
            let saved = try TranslationData.tokenizer(serialized: state.strings[key] ?? "")
            guard saved.vocabulary == mine.vocabulary, saved.serialized == mine.serialized else {
                throw DataError.invalid("the checkpoint's \(key.replacingOccurrences(of: "_", with: " ")) differs from the one "
                    + "learned from \(data.train.name) now (another corpus, vocabulary or max_words?); resume with the run's own config")
            }
        }
    }
}
