// Attention Is All You Need.
// Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit, Llion Jones, Aidan N. Gomez,
// Łukasz Kaiser, Illia Polosukhin. NeurIPS 2017. arXiv:1706.03762.
//
// The model is Seq2SeqTransformer.swift; data, training, decoding and scoring are ReproKit's
// `TranslationTask`, shared with the Bahdanau plugin, so both read the same splits and tokens
// and are scored by the same BLEU.
import ReproKit

/// The experiment config; a card's `config` table and `--set` override these defaults. The
/// recipe is the paper's (§5: Adam 0.9/0.98/1e-9, the inverse-square-root warm-up, label
/// smoothing 0.1, dropout 0.1, beam 4 with length penalty 0.6); the sizes are a quarter of
/// the base model's width and half its depth.
struct TransformerConfig: Codable, RangedConfig {
    /// As Bahdanau's: "kjv-rv1909", "multi30k", "toy" or "synthetic".
    var dataset = "kjv-rv1909"
    var source_language = "en"
    /// "word" (a shortlist, the rest <unk>) or "bpe".
    var tokenizer = "word"
    /// Ids per language (or in all, with shared_vocabulary).
    var vocabulary = 8000
    /// One vocabulary for both languages and one embedding matrix for source, target and
    /// output (§3.4, as the paper's shared BPE); false: target embedding and output tied.
    var shared_vocabulary = false
    /// Training pairs with at most this many words on each side; 0: all.
    var max_words = 30
    var train_subset = 0
    var test_subset = 0
    /// Validation sentences decoded greedily at each evaluation for valid_bleu (0: none).
    var valid_bleu_sentences = 400
    /// d_model, heads, layers per stack, d_ff (the base model: 512, 8, 6, 2048).
    var d_model = 128
    var heads = 4
    var layers = 3
    var feed_forward = 512
    /// P_drop (0.1), where PyTorch's nn.Transformer layers put it: on each sub-layer's output
    /// and the embedding sums (the paper's §5.4), and also on the attention weights and
    /// between the feed-forward projections (which the paper does not mention).
    var dropout = 0.1
    /// "post" (the paper's: LayerNorm(x + Sublayer(x))) or "pre".
    var norm = "post"
    /// "sinusoidal" (§3.5) or "learned" (Table 3 row E).
    var positions = "sinusoidal"
    /// Longest sentence (in tokens, <bos>/<eos> included) the position tables cover.
    var max_positions = 512
    /// ε_ls (0.1).
    var label_smoothing = 0.1
    /// lr = lr_scale · d_model^−0.5 · min(step^−0.5, step · warmup^−1.5) (eq. 3; the paper:
    /// scale 1, warmup 4000 of 100k steps).
    var warmup = 400
    var lr_scale = 1.0
    /// Gradient-norm clipping (0: none, as the paper).
    var clip_norm = 0.0
    /// Sentence pairs per batch, grouped by length (the paper: ~25k tokens).
    var batch_size = 64
    var epochs = 6
    /// Also evaluate (validation loss, perplexity, greedy BLEU) every this many steps, so a
    /// short run still draws a curve (0: at epoch ends only).
    var eval_every = 0
    var beam_size = 4
    var length_penalty = 0.6
    /// The toy task's training pairs and longest sentence.
    var toy_examples = 4000
    var toy_max_length = 10

    static let ranges: [String: ConfigRange] = TranslationData.configRanges.merging([
        "d_model": .atLeast(2), "heads": .atLeast(1), "layers": .atLeast(1), "feed_forward": .atLeast(1),
        "dropout": .within(0..<1), "norm": .oneOf(["post", "pre"]), "positions": .oneOf(["sinusoidal", "learned"]),
        "max_positions": .atLeast(8), "label_smoothing": .within(0..<1), "warmup": .atLeast(1), "lr_scale": .above(0),
        "clip_norm": .atLeast(0), "length_penalty": .atLeast(0), "eval_every": .atLeast(0),
    ]) { _, plugin in plugin }
}

final class TransformerPlugin: PaperPlugin {
    let id = "transformer"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "translate", summary: "Transformer encoder–decoder translation (scaled dot-product attention)",
                  defaults: TransformerConfig()) { config, context in try makeTask(config, context) }]
    }
}

func makeTask(_ c: TransformerConfig, _ context: RunContext) throws -> TrainingTask {
    guard c.d_model % c.heads == 0 else {
        throw ConfigError.invalid("d_model \(c.d_model) must be a multiple of heads \(c.heads); e.g. --set d_model=\(c.heads * Swift.max(1, c.d_model / c.heads))")
    }
    let data = try TranslationData.load(TranslationData.Options(
        dataset: c.dataset, sourceLanguage: c.source_language, tokenizer: c.tokenizer, vocabulary: c.vocabulary,
        maxWords: c.max_words, trainSubset: c.train_subset, testSubset: c.test_subset,
        toyExamples: c.toy_examples, toyLengths: 3...c.toy_max_length, sharedVocabulary: c.shared_vocabulary))
    // A sentence longer than the position table has no encoding: say so before training.
    // Training and validation pairs are fed whole (the target behind <bos>); test pairs only
    // by their source (decoding stops at the table's end).
    let longest = Swift.max((data.trainIDs + data.validIDs).map { Swift.max($0.source.count, $0.target.count + 1) }.max() ?? 0,
                            data.testIDs.map(\.source.count).max() ?? 0)
    guard longest <= c.max_positions else {
        throw ConfigError.invalid("the longest sentence has \(longest) tokens, more than max_positions \(c.max_positions) covers; "
            + "raise it, e.g. --set max_positions=\(longest)")
    }
    var rng = context.rng.split(1)
    let shape = TransformerShape(sourceVocabulary: data.sourceTokenizer.vocabularySize,
                                 targetVocabulary: data.targetTokenizer.vocabularySize,
                                 dModel: c.d_model, heads: c.heads, layers: c.layers, feedForward: c.feed_forward,
                                 dropout: Float(c.dropout), normFirst: c.norm == "pre",
                                 learnedPositions: c.positions == "learned", maxPositions: c.max_positions,
                                 sharedEmbeddings: c.shared_vocabulary)
    let model = Seq2SeqTransformer(shape, rng: &rng)
    let (dModel, warmup, scale) = (c.d_model, c.warmup, c.lr_scale)
    // Decoding stops at the position table's end at the latest.
    let cap = c.max_positions - 1
    return try TranslationTask(
        model: model, data: data,
        settings: TranslationSettings(batchSize: c.batch_size, beamSize: c.beam_size, lengthPenalty: c.length_penalty,
                                      maxLength: { Swift.min(2 * $0 + 10, cap) },
                                      validBLEUSentences: c.valid_bleu_sentences, labelSmoothing: Float(c.label_smoothing)),
        epochs: c.epochs, optimizer: .adam(beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0),
        schedule: { _ in .inverseSquareRoot(dModel: dModel, warmup: warmup, scale: scale) },
        clipNorm: c.clip_norm > 0 ? Float(c.clip_norm) : nil, evalEvery: c.eval_every > 0 ? c.eval_every : nil,
        rng: context.rng.split(2))
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(TransformerPlugin()) }
