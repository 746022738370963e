import ReproKit

/// `classify`: the mini AlexNet. The defaults are the paper's recipe where it has one (§5);
/// a card's `config` table and `--set` override them (alexnet-mini: He init, batch 64),
/// within `ranges`.
struct AlexNetConfig: Codable, RangedConfig {
    /// The five conv layers' channels (the paper: 96, 256, 384, 384, 256) and the hidden FC
    /// width (the paper: 4096).
    var widths = [24, 48, 64, 64, 48]
    var hidden = 384
    /// Local response normalisation after conv1 and conv2 (§3.3), overlapping pooling (§3.4).
    var lrn = true
    var overlap_pool = true
    /// Dropout on the outputs of fc1 and fc2 (§4.2; 0: none).
    var dropout = 0.5
    /// "paper" (N(0, 0.01), bias 1 in conv2/4/5, fc1, fc2), "kaiming" or "pytorch".
    var init_scheme = "paper"
    /// See `ImageDatasets.names`.
    var dataset = "fashion-mnist"
    var epochs = 1
    var batch_size = 128
    /// SGD with momentum 0.9 and weight decay 5e-4 (§5).
    var lr = 0.01
    var momentum = 0.9
    var weight_decay = 5e-4
    /// "cosine" over the run, or "constant" (the paper: ÷10 by hand on plateaus).
    var schedule = "cosine"
    /// Pad-and-crop padding (the paper's random crops) and horizontal flips (§4.1).
    var crop_padding = 2
    var flip = true
    /// Use only the first N training / test images (0: all).
    var train_subset = 0
    var test_subset = 0
    /// Training images also evaluated in eval mode, for `generalization_gap` (0: none).
    var train_eval_subset = 10000
    /// Training-error levels whose steps-to-threshold are reported.
    var error_thresholds = [0.25, 0.15, 0.12]

    static let ranges: [String: ConfigRange] = [
        "widths": .count(5, each: .atLeast(1)), "hidden": .atLeast(1), "dropout": .within(0..<1),
        "init_scheme": .oneOf(InitScheme.names), "dataset": .oneOf(ImageDatasets.names),
        "epochs": .atLeast(1), "batch_size": .atLeast(1), "lr": .above(0), "momentum": .within(0...1),
        "weight_decay": .atLeast(0), "schedule": .oneOf(["cosine", "constant"]), "crop_padding": .atLeast(0),
        "train_subset": .atLeast(0), "test_subset": .atLeast(0), "train_eval_subset": .atLeast(0),
        "error_thresholds": .within(0...1),
    ]
}

/// `fig1`: the four-layer CNN of Fig. 1, no regularisation, no augmentation.
struct FourLayerConfig: Codable, RangedConfig {
    /// "relu" or "tanh".
    var activation = "relu"
    /// conv1, conv2 channels and fc1's width: half the PyTorch reference (32, 64, 256),
    /// so that the 2 × 3 runs of `repro verify` fit in minutes.
    var widths = [16, 32]
    var hidden = 128
    /// "paper" (N(0, 0.01), zero biases), "kaiming" or "pytorch".
    var init_scheme = "paper"
    var dataset = "fashion-mnist"
    var epochs = 1
    var batch_size = 128
    /// Constant learning rate, tuned per activation (Fig. 1); momentum as §5, no weight decay.
    var lr = 0.01
    var momentum = 0.9
    var train_subset = 0
    var test_subset = 0
    var error_thresholds = [0.25, 0.15, 0.12]
    /// Log the training error every this many steps (the resolution of steps-to-threshold).
    var log_every = 5

    static let ranges: [String: ConfigRange] = [
        "activation": .oneOf(["relu", "tanh"]), "widths": .count(2, each: .atLeast(1)), "hidden": .atLeast(1),
        "init_scheme": .oneOf(InitScheme.names), "dataset": .oneOf(ImageDatasets.names),
        "epochs": .atLeast(1), "batch_size": .atLeast(1), "lr": .above(0), "momentum": .within(0...1),
        "train_subset": .atLeast(0), "test_subset": .atLeast(0), "error_thresholds": .within(0...1),
        "log_every": .atLeast(1),
    ]
}

final class AlexNetPlugin: PaperPlugin {
    let id = "alexnet"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "classify", summary: "mini AlexNet (5 conv + 3 FC, LRN, overlapping pooling, dropout) on an image data set",
                  defaults: AlexNetConfig()) { config, context in try makeAlexNetTask(config, context) },
         TaskKind(name: "fig1", summary: "the four-layer CNN of Fig. 1 with ReLU or tanh, no regularisation",
                  defaults: FourLayerConfig()) { config, context in try makeFourLayerTask(config, context) }]
    }
}

extension InitScheme {
    /// The names a config's `init_scheme` takes.
    static let names = ["paper", "kaiming", "pytorch"]
}

/// The config's `init_scheme` (which `ranges` has checked against `InitScheme.names`).
func initScheme(_ name: String) throws -> InitScheme {
    guard let s = InitScheme(rawValue: name) else {
        throw ConfigError.invalid("init_scheme must be one of \(InitScheme.names), got \"\(name)\"")
    }
    return s
}

func makeAlexNetTask(_ c: AlexNetConfig, _ context: RunContext) throws -> TrainingTask {
    let scheme = try initScheme(c.init_scheme)
    let (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, testSubset: c.test_subset,
                                               rng: context.rng.split(3))
    let stats = ImageClassificationData.statistics(train)
    let data = ImageClassificationData(train: train, test: test, mean: stats.mean, std: stats.std,
                                       batchSize: c.batch_size, cropPadding: c.crop_padding, horizontalFlip: c.flip)
    var rng = context.rng.split(1)
    let model = MiniAlexNet(inChannels: train.channels, size: train.height, classes: train.classNames.count,
                            widths: c.widths, hidden: c.hidden, lrn: c.lrn, overlap: c.overlap_pool,
                            dropout: Float(c.dropout), init: scheme, rng: &rng)
    let lr = c.lr, cosine = c.schedule == "cosine"
    return try ImageClassificationTask(
        model: model, data: data, epochs: c.epochs,
        optimizer: .sgd(momentum: Float(c.momentum), weightDecay: Float(c.weight_decay), nesterov: false),
        schedule: { total in cosine ? .cosine(lr, total: total, minimum: 0) : .constant(lr) },
        trainErrorThresholds: c.error_thresholds, trainEvalSubset: c.train_eval_subset,
        filtersParameter: "conv1.weight", rng: context.rng.split(2))
}

func makeFourLayerTask(_ c: FourLayerConfig, _ context: RunContext) throws -> TrainingTask {
    let scheme = try initScheme(c.init_scheme)
    guard let activation = Activation(rawValue: c.activation) else {
        throw ConfigError.invalid("activation must be \"relu\" or \"tanh\", got \"\(c.activation)\"")
    }
    let (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, testSubset: c.test_subset,
                                               rng: context.rng.split(3))
    let stats = ImageClassificationData.statistics(train)
    let data = ImageClassificationData(train: train, test: test, mean: stats.mean, std: stats.std, batchSize: c.batch_size)
    var rng = context.rng.split(1)
    let model = FourLayerCNN(inChannels: train.channels, size: train.height, classes: train.classNames.count,
                             widths: c.widths, hidden: c.hidden, activation: activation, init: scheme, rng: &rng)
    let lr = c.lr
    return try ImageClassificationTask(
        model: model, data: data, epochs: c.epochs,
        optimizer: .sgd(momentum: Float(c.momentum), weightDecay: 0, nesterov: false),
        schedule: { _ in .constant(lr) }, logEvery: c.log_every, trainErrorThresholds: c.error_thresholds,
        filtersParameter: "conv1.weight", rng: context.rng.split(2))
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(AlexNetPlugin()) }
