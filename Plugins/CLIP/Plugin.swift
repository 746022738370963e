// Learning Transferable Visual Models From Natural Language Supervision.
// Alec Radford, Jong Wook Kim, Chris Hallacy, Aditya Ramesh, Gabriel Goh, Sandhini Agarwal,
// Girish Sastry, Amanda Askell, Pamela Mishkin, Jack Clark, Gretchen Krueger, Ilya Sutskever.
// ICML 2021. arXiv:2103.00020. (The model: CLIPModel.swift; training and evaluation:
// ContrastiveTask.swift.)
import Foundation
import ReproKit

/// `contrastive`: a mini CLIP on a labelled image set with captions written from each image's
/// class and measured attributes (`ImageCaptions`). A card's `config` and `--set` override
/// these defaults, within `ranges`.
struct CLIPConfig: Codable, RangedConfig {
    /// See `ImageDatasets.names`.
    var dataset = "fashion-mnist"
    /// The image encoder, a ViT without its head: patch size, width, depth, heads, MLP width.
    var patch_size = 4
    var width = 64
    var depth = 4
    var heads = 4
    var mlp = 128
    /// The text encoder, a causal Transformer read at [EOS]; its context in tokens.
    var text_width = 64
    var text_depth = 2
    var text_heads = 4
    var text_mlp = 128
    var context_length = 24
    /// The joint embedding's width.
    var embed_dim = 64
    /// Dropout in both encoders (the paper uses none).
    var dropout = 0.0
    var epochs = 2
    var batch_size = 128
    /// AdamW (β₂ 0.98, ε 1e-6 as the paper's ViTs), decoupled weight decay 0.2 as the paper on
    /// every matrix; warm-up over this share of the steps, then cosine to 0.
    var lr = 1e-3
    var weight_decay = 0.2
    var warmup = 0.05
    var clip_norm = 1.0
    /// Use only the first N training / test images (0: all).
    var train_subset = 0
    var test_subset = 0
    /// Test images paired with their descriptions for the retrieval recall and test loss.
    var retrieval_images = 1000
    /// At the end, a linear probe (logistic regression) on the frozen image features of this
    /// many training images, scored on the test set (0: none).
    var linear_probe_images = 10000

    static let ranges: [String: ConfigRange] = [
        "dataset": .oneOf(ImageDatasets.names), "patch_size": .atLeast(1), "width": .atLeast(1), "depth": .atLeast(1),
        "heads": .atLeast(1), "mlp": .atLeast(1), "text_width": .atLeast(1), "text_depth": .atLeast(1),
        "text_heads": .atLeast(1), "text_mlp": .atLeast(1), "context_length": .atLeast(3), "embed_dim": .atLeast(1),
        "dropout": .within(0..<1), "epochs": .atLeast(1), "batch_size": .atLeast(2), "lr": .above(0),
        "weight_decay": .atLeast(0), "warmup": .within(0...1), "clip_norm": .atLeast(0), "train_subset": .atLeast(0),
        "test_subset": .atLeast(0), "retrieval_images": .atLeast(0),
        "linear_probe_images": .atLeast(0),
    ]
}

final class CLIPPlugin: PaperPlugin {
    let id = "clip"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "contrastive", summary: "a mini CLIP: a ViT and a text Transformer trained contrastively on captioned images",
                  defaults: CLIPConfig()) { config, context in try ContrastiveTask(config, context) }]
    }
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(CLIPPlugin()) }
