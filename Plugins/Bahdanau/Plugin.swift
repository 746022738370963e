// Neural Machine Translation by Jointly Learning to Align and Translate.
// Dzmitry Bahdanau, Kyunghyun Cho, Yoshua Bengio. ICLR 2015. arXiv:1409.0473.
//
// The model (RNNsearch, and the RNNencdec baseline of Cho et al. 2014) is RNNSearch.swift;
// data, training, decoding and scoring are ReproKit's `TranslationTask`, shared with the
// Transformer plugin.
import ReproKit

/// The experiment config; a card's `config` table and `--set` override these defaults.
/// Sizes are the paper's divided by about four; the recipe (Adadelta, clipping at 1, batches
/// of similar length, a word shortlist) is the paper's.
struct BahdanauConfig: Codable, RangedConfig {
    /// "kjv-rv1909" (EN–ES Bible, Debian's packages), "multi30k" (`repro data fetch multi30k`),
    /// "toy" (the generated reverse-and-map task) or "synthetic" (`repro bench` only).
    var dataset = "kjv-rv1909"
    var source_language = "en"
    /// "word": the paper's shortlist of the most frequent words (the rest <unk>); "bpe".
    var tokenizer = "word"
    /// Ids per language, specials included (the paper: 30,000).
    var vocabulary = 8000
    /// Training pairs with at most this many words on each side (RNNsearch-30/-50); 0: all.
    var max_words = 50
    var train_subset = 0
    var test_subset = 0
    /// Validation sentences decoded greedily at each evaluation for valid_bleu (0: none).
    var valid_bleu_sentences = 400
    /// false: RNNencdec, a fixed context (the encoder's final states) instead of attention.
    var attention = true
    /// The maxout deep output of App. A.2.2; false: logits straight from the decoder state.
    var deep_output = true
    /// Embedding (paper 620), encoder units per direction and decoder units (1000),
    /// alignment model (1000), maxout units (500).
    var embed = 128
    var hidden = 256
    var decoder_hidden = 256
    var attention_dim = 256
    var maxout = 128
    /// On embeddings and the deep output, in training (the paper: none).
    var dropout = 0.0
    /// "paper" (App. B.1: orthogonal recurrent weights, N(0, 0.01²), N(0, 0.001²) in the
    /// alignment model, zero biases) or "pytorch" (each layer's PyTorch default).
    var initialization = "paper"
    /// "adadelta" (the paper: ρ 0.95, ε 1e-6) or "adam".
    var optimizer = "adadelta"
    var lr = 1.0
    var clip_norm = 1.0
    /// Sentence pairs per batch (the paper: 80), grouped by length.
    var batch_size = 80
    var epochs = 3
    /// Beam width of the test decoding (1: greedy); the paper does not state its width.
    var beam_size = 5
    /// The toy task's training pairs and its longest sentence.
    var toy_examples = 4000
    var toy_max_length = 10

    static let ranges: [String: ConfigRange] = TranslationData.configRanges.merging([
        "embed": .atLeast(1), "hidden": .atLeast(1), "decoder_hidden": .atLeast(1), "attention_dim": .atLeast(1),
        "maxout": .atLeast(1), "dropout": .within(0..<1), "initialization": .oneOf(["paper", "pytorch"]),
        "optimizer": .oneOf(["adadelta", "adam"]), "lr": .above(0), "clip_norm": .atLeast(0),
    ]) { _, plugin in plugin }
}

final class BahdanauPlugin: PaperPlugin {
    let id = "bahdanau"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "translate", summary: "RNNsearch (or RNNencdec) translation with additive attention",
                  defaults: BahdanauConfig()) { config, context in try makeTask(config, context) }]
    }
}

func makeTask(_ c: BahdanauConfig, _ context: RunContext) throws -> TrainingTask {
    let data = try TranslationData.load(TranslationData.Options(
        dataset: c.dataset, sourceLanguage: c.source_language, tokenizer: c.tokenizer, vocabulary: c.vocabulary,
        maxWords: c.max_words, trainSubset: c.train_subset, testSubset: c.test_subset,
        toyExamples: c.toy_examples, toyLengths: 3...c.toy_max_length))
    var rng = context.rng.split(1)
    let shape = RNNSearchShape(sourceVocabulary: data.sourceTokenizer.vocabularySize,
                               targetVocabulary: data.targetTokenizer.vocabularySize,
                               embed: c.embed, hidden: c.hidden, decoderHidden: c.decoder_hidden,
                               attentionDim: c.attention_dim, maxout: c.maxout, attends: c.attention,
                               deepOutput: c.deep_output, dropout: Float(c.dropout),
                               paperInit: c.initialization == "paper")
    let model = RNNSearch(shape, rng: &rng)
    let optimizer: OptimizerSpec = c.optimizer == "adadelta"
        ? .adadelta(rho: 0.95, epsilon: 1e-6, weightDecay: 0)
        : .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
    let lr = c.lr
    return try TranslationTask(
        model: model, data: data,
        settings: TranslationSettings(batchSize: c.batch_size, beamSize: c.beam_size,
                                      validBLEUSentences: c.valid_bleu_sentences),
        epochs: c.epochs, optimizer: optimizer, schedule: { _ in .constant(lr) },
        clipNorm: c.clip_norm > 0 ? Float(c.clip_norm) : nil, rng: context.rng.split(2))
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(BahdanauPlugin()) }
