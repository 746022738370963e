// An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale.
// Dosovitskiy et al. ICLR 2021. arXiv:2010.11929. (The model: Sources/ReproKit/NN/Models/VisionTransformer.swift.)
import Foundation
import ReproKit

/// `classify`: a ViT, or for the paper's comparison (§4.3) a CIFAR ResNet trained on the same
/// data. A card's `config` and `--set` override these defaults, within `ranges`.
struct ViTConfig: Codable, RangedConfig {
    /// "vit", or "resnet" for the convnet baseline of `vit-vs-resnet`.
    var model = "vit"
    /// See `ImageDatasets.names`.
    var dataset = "fashion-mnist"
    /// The ViT: patch size P (must divide the image size), width D, depth L, heads, MLP width.
    var patch_size = 4
    var width = 64
    var depth = 6
    var heads = 4
    var mlp = 128
    /// Dropout (embeddings, attention weights and output, MLP) and the last block's
    /// stochastic-depth rate (0 at the first block, rising linearly). The ViT paper uses no
    /// stochastic depth (DeiT adds it); after 1 epoch of vit-mini 0.1 cost 1.3 points (seed 0).
    var dropout = 0.0
    var drop_path = 0.0
    /// The ResNet baseline: depth 6n+2 and first-stage width.
    var resnet_depth = 20
    var resnet_width = 16
    /// "adamw" (the paper's Adam with decoupled weight decay for training from scratch) or
    /// "sgd" (momentum; the ResNet's own recipe).
    var optimizer = "adamw"
    var epochs = 3
    /// Evaluate on the test set after every this many epochs (and after the last).
    var eval_every_epochs = 1
    var batch_size = 128
    /// 3e-3: on vit-mini (with drop_path 0.1) 1 epoch gives 0.752 against 0.722 at 1e-3 (seed 0).
    var lr = 3e-3
    var momentum = 0.9
    var weight_decay = 0.05
    /// Linear warm-up over this share of the steps, then cosine to 0 (the paper: 10k steps
    /// of warm-up, then cosine or linear decay).
    var warmup = 0.1
    /// Clip the global gradient norm at this (the paper: 1); 0: off.
    var clip_norm = 1.0
    /// Pad-and-crop padding in pixels (0: none) and horizontal flips.
    var crop_padding = 2
    var flip = true
    /// Use only the first N training / test images (0: all): the small-data regime of §4.3.
    var train_subset = 0
    var test_subset = 0
    /// Train on this share of those training images (the first ones): `vit-vs-resnet`'s 5%
    /// regime, which a quick run's smaller `train_subset` scales down with it.
    var train_fraction = 1.0
    /// Test images whose attention maps are drawn (Fig. 6).
    var attention_images = 6

    static let ranges: [String: ConfigRange] = [
        "model": .oneOf(["vit", "resnet"]), "dataset": .oneOf(ImageDatasets.names),
        "patch_size": .atLeast(1), "width": .atLeast(1), "depth": .atLeast(1), "heads": .atLeast(1),
        "mlp": .atLeast(1), "dropout": .within(0..<1),
        "drop_path": .within(0..<1), "resnet_depth": .atLeast(8), "resnet_width": .atLeast(2),
        "optimizer": .oneOf(["adamw", "sgd"]), "epochs": .atLeast(1), "eval_every_epochs": .atLeast(1), "batch_size": .atLeast(1),
        "lr": .above(0), "momentum": .within(0...1), "weight_decay": .atLeast(0), "warmup": .within(0...1),
        "clip_norm": .atLeast(0), "crop_padding": .atLeast(0), "train_subset": .atLeast(0),
        "test_subset": .atLeast(0), "train_fraction": .within(0...1), "attention_images": .within(0...32),
    ]
}

final class ViTPlugin: PaperPlugin {
    let id = "vit"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "classify", summary: "a Vision Transformer (or its ResNet baseline) on an image data set",
                  defaults: ViTConfig()) { config, context in try makeTask(config, context) }]
    }
}

func makeTask(_ c: ViTConfig, _ context: RunContext) throws -> TrainingTask {
    var (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, testSubset: c.test_subset,
                                               rng: context.rng.split(3))
    if c.train_fraction < 1 {
        let n = Int((c.train_fraction * Double(train.count)).rounded())
        guard n >= c.batch_size else {
            throw ConfigError.invalid("train_fraction \(c.train_fraction) of \(train.count) images leaves \(n), "
                                      + "fewer than one batch of \(c.batch_size); raise train_fraction or lower batch_size")
        }
        train = train.subset(n)
    }
    guard train.height == train.width else {
        throw ConfigError.invalid("ViT here needs square images, \(c.dataset) has \(train.height)×\(train.width)")
    }
    let stats = ImageClassificationData.statistics(train)
    let data = ImageClassificationData(train: train, test: test, mean: stats.mean, std: stats.std,
                                       batchSize: c.batch_size, cropPadding: c.crop_padding, horizontalFlip: c.flip)
    var rng = context.rng.split(1)
    let model: Module
    var drawings: ((URL, ImageClassificationData) throws -> [String])? = nil
    if c.model == "resnet" {
        guard (c.resnet_depth - 2) % 6 == 0 else {
            throw ConfigError.invalid("resnet_depth must be 6n+2 (8, 14, 20, 32, …), got \(c.resnet_depth)")
        }
        guard c.resnet_width % 2 == 0 else { throw ConfigError.invalid("resnet_width must be even, got \(c.resnet_width)") }
        model = CifarResNet(depth: c.resnet_depth, width: c.resnet_width, inChannels: train.channels,
                            classes: train.classNames.count, rng: &rng)
    } else {
        guard train.height % c.patch_size == 0 else {
            let sizes = (1...train.height).filter { train.height % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw ConfigError.invalid("patch_size \(c.patch_size) does not tile \(train.height)×\(train.width) images; use one of \(sizes)")
        }
        guard c.width % c.heads == 0 else {
            throw ConfigError.invalid("width \(c.width) does not split into \(c.heads) heads; make width a multiple of heads")
        }
        let vit = VisionTransformer(
            ViTShape(imageSize: train.height, channels: train.channels, classes: train.classNames.count,
                     patch: c.patch_size, width: c.width, depth: c.depth, heads: c.heads, mlp: c.mlp,
                     dropout: Float(c.dropout), dropPath: Float(c.drop_path)),
            rng: &rng)
        model = vit
        let count = c.attention_images
        if count > 0 { drawings = { folder, data in try drawViTFigures(vit, data: data, images: count, in: folder) } }
    }
    let (lr, warmup) = (c.lr, c.warmup)
    let optimizer: OptimizerSpec = c.optimizer == "sgd"
        ? .sgd(momentum: Float(c.momentum), weightDecay: Float(c.weight_decay), nesterov: false)
        : .adamw(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: Float(c.weight_decay))
    return try ImageClassificationTask(
        model: model, data: data, epochs: c.epochs, optimizer: optimizer,
        schedule: { total in
            .linearWarmup(steps: Int((warmup * Double(total)).rounded()), then: .cosine(lr, total: total, minimum: 0))
        },
        // Decay on every parameter of rank ≥ 2, the class token and position embeddings
        // included (timm and DeiT exclude those two); none on norms and biases.
        decayNormsAndBiases: c.optimizer == "sgd", clipNorm: c.clip_norm > 0 ? Float(c.clip_norm) : nil,
        evalEveryEpochs: c.eval_every_epochs,
        paperDrawings: drawings, rng: context.rng.split(2))
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(ViTPlugin()) }
