// Deep Residual Learning for Image Recognition
// Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun — CVPR 2016, arXiv:1512.03385
//
// The model, `CifarResNet` (§4.2), lives in ReproKit's NN: other papers compare against it.
import ReproKit

/// The experiment config; a card's `config` table and `--set` override these defaults,
/// within `ranges`.
struct ResNetConfig: Codable, RangedConfig {
    /// 6n+2: 8, 14, 20, 32, 44, 56, 110.
    var depth = 20
    /// The plain counterpart: the same stack without shortcuts.
    var plain = false
    /// "A" (zero-padded identity) or "B" (projection on downsampling).
    var shortcut = "A"
    /// "fashion-mnist" (Debian's package), "cifar10" (`repro data fetch cifar10`), or
    /// "synthetic-32x32x3" (random CIFAR-shaped images, for `repro bench` only): the names
    /// of `ImageDatasets`.
    var dataset = "fashion-mnist"
    var epochs = 3
    var batch_size = 128
    var lr = 0.1
    var momentum = 0.9
    var weight_decay = 1e-4
    /// "cosine", or "multistep" with `milestones` in steps (the paper: 32k and 48k of 64k).
    var schedule = "cosine"
    var milestones = [32000, 48000]
    /// Pad-and-crop padding in pixels (0: none) and horizontal flips.
    var crop_padding = 2
    var flip = true
    /// Use only the first N training / test images (0: all).
    var train_subset = 0
    var test_subset = 0

    static let ranges: [String: ConfigRange] = [
        "depth": .atLeast(8), "shortcut": .oneOf(["A", "B"]), "dataset": .oneOf(ImageDatasets.names),
        "epochs": .atLeast(1), "batch_size": .atLeast(1), "lr": .above(0), "momentum": .within(0...1),
        "weight_decay": .atLeast(0), "schedule": .oneOf(["cosine", "multistep"]), "milestones": .atLeast(1),
        "crop_padding": .atLeast(0), "train_subset": .atLeast(0), "test_subset": .atLeast(0),
    ]
}

final class ResNetPlugin: PaperPlugin {
    let id = "resnet"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "classify", summary: "CIFAR-style ResNet or plain net on an image data set",
                  defaults: ResNetConfig()) { config, context in try makeTask(config, context) }]
    }
}

func makeTask(_ c: ResNetConfig, _ context: RunContext) throws -> TrainingTask {
    // `ranges` has checked the shortcut (A or B), the schedule and depth ≥ 8.
    let shortcut: ResNetShortcut = c.shortcut == "B" ? .b : .a
    guard (c.depth - 2) % 6 == 0 else {
        throw ConfigError.invalid("depth must be 6n+2 (8, 14, 20, 32, 44, 56, 110), got \(c.depth)")
    }
    let (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, testSubset: c.test_subset,
                                               rng: context.rng.split(3))
    let stats = ImageClassificationData.statistics(train)
    let data = ImageClassificationData(train: train, test: test, mean: stats.mean, std: stats.std,
                                       batchSize: c.batch_size, cropPadding: c.crop_padding,
                                       horizontalFlip: c.flip)
    var rng = context.rng.split(1)
    let model = CifarResNet(depth: c.depth, plain: c.plain, shortcut: shortcut, inChannels: train.channels,
                            classes: train.classNames.count, rng: &rng)
    let lr = c.lr
    let milestones = c.milestones
    let schedule = c.schedule
    return try ImageClassificationTask(
        model: model, data: data, epochs: c.epochs,
        optimizer: .sgd(momentum: Float(c.momentum), weightDecay: Float(c.weight_decay), nesterov: false),
        schedule: { total in
            schedule == "cosine" ? .cosine(lr, total: total, minimum: 0)
                : .multiStep(lr, milestones: milestones, gamma: 0.1)
        },
        rng: context.rng.split(2))
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(ResNetPlugin()) }
