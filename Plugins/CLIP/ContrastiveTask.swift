// Learning Transferable Visual Models From Natural Language Supervision.
// Radford et al. ICML 2021. arXiv:2103.00020.
//
// Training on (image, caption) pairs with the symmetric contrastive loss (§2.3, Fig. 3), then
// zero-shot classification (the class whose prompt's text embedding is nearest the image's,
// §3.1.2; prompts averaged over templates in embedding space, §3.1.4), a linear probe on the
// frozen image features (§3.2), and image-text retrieval recall@k (the paper's Table 13 in the
// appendix). Two choices not in the paper: the global gradient norm is clipped (clip_norm), and
// the image encoder has no LayerNorm between its embeddings and the first block (ln_pre).
import Foundation
import ReproKit

final class ContrastiveTask: TrainingTask {
    let model: Module
    let plan: TrainingPlan
    let clip: CLIP
    let config: CLIPConfig
    let train: LabeledImages, test: LabeledImages
    let mean: [Float], std: [Float]
    let trainCaptions: ImageCaptions
    let tokenizer: WordTokenizer
    let sampler: EpochSampler
    /// The test pairs of the retrieval metrics and the test loss: the first `retrieval_images`
    /// test images, each with its full description (`ImageCaptions.description`).
    let retrievalCaptions: [String]
    /// The last evaluation's zero-shot predictions on the test set (default prompt), drawn.
    var lastZeroShot: [Int] = []

    init(_ c: CLIPConfig, _ context: RunContext) throws {
        config = c
        let (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, testSubset: c.test_subset,
                                                   rng: context.rng.split(3))
        (self.train, self.test) = (train, test)
        guard train.height == train.width else { throw ConfigError.invalid("CLIP's ViT here needs square images") }
        guard train.height % c.patch_size == 0 else {
            let sizes = (1...train.height).filter { train.height % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw ConfigError.invalid("patch_size \(c.patch_size) does not tile \(train.height)×\(train.width) images; use one of \(sizes)")
        }
        for (name, width, heads) in [("width", c.width, c.heads), ("text_width", c.text_width, c.text_heads)]
        where width % heads != 0 {
            throw ConfigError.invalid("\(name) \(width) does not split into \(heads) heads; make it a multiple of them")
        }
        (mean, std) = ImageClassificationData.statistics(train)
        trainCaptions = ImageCaptions(train)
        let testCaptions = ImageCaptions(test, reference: trainCaptions)
        tokenizer = try WordTokenizer(training: trainCaptions.trainingVocabularyText)
        retrievalCaptions = (0..<min(c.retrieval_images, test.count)).map(testCaptions.description)

        var rng = context.rng.split(1)
        clip = CLIP(image: ViTShape(imageSize: train.height, channels: train.channels, classes: 0, patch: c.patch_size,
                                    width: c.width, depth: c.depth, heads: c.heads, mlp: c.mlp, dropout: Float(c.dropout)),
                    text: TextTransformerShape(vocabulary: tokenizer.vocabularySize, contextLength: c.context_length,
                                               width: c.text_width, depth: c.text_depth, heads: c.text_heads,
                                               mlp: c.text_mlp, dropout: Float(c.dropout)),
                    embedDim: c.embed_dim, rng: &rng)
        model = clip
        sampler = try EpochSampler(count: train.count, batchSize: c.batch_size, rng: context.rng.split(2))
        let total = c.epochs * sampler.batches, warmup = Int((c.warmup * Double(total)).rounded())
        plan = TrainingPlan(epochs: c.epochs, batchesPerEpoch: sampler.batches,
                            optimizer: .adamw(beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: Float(c.weight_decay)),
                            schedule: .linearWarmup(steps: warmup, then: .cosine(c.lr, total: total, minimum: 0)),
                            // Rank ≥ 2 only: the paper exempts gains and biases, and (as
                            // open_clip does) the temperature too.
                            decayNormsAndBiases: false, clipNorm: c.clip_norm > 0 ? Float(c.clip_norm) : nil,
                            logEvery: 10, bestMetric: "zero_shot_accuracy",
                            metricKinds: ["image_to_text_recall_1": .accuracy, "image_to_text_recall_5": .accuracy,
                                          "text_to_image_recall_1": .accuracy, "text_to_image_recall_5": .accuracy])
    }

    var datasets: [DatasetDescription] { [train.datasetDescription, test.datasetDescription] }

    /// `<bos> caption <eos>`, cut to the context (no caption here is near it).
    func ids(_ caption: String) -> [Int] {
        Array(([tokenizer.bos] + tokenizer.encode(caption)).prefix(config.context_length - 1)) + [tokenizer.eos]
    }

    func images(_ set: LabeledImages, _ indices: [Int]) -> Tensor { set.batch(indices: indices, mean: mean, std: std).x }

    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        let idx = sampler.indices(epoch: epoch, batch: batch)
        // Each image gets a fresh caption every epoch, from the batch's own stream (resumable).
        var rng = sampler.augmentationRNG(epoch: epoch, batch: batch)
        let texts = idx.map { ids(trainCaptions.caption($0, rng: &rng)) }
        let loss = clip(images: images(train, idx), texts: texts)
        return StepResult(loss: loss, metrics: ["logit_scale": Double(clip.logitScale)], examples: idx.count)
    }

    /// The image encoder's features (before the projection) of `set`'s first `count` images,
    /// in batches: what the linear probe reads, and what `embeddings` projects.
    func imageFeatures(_ set: LabeledImages, _ count: Int) -> Tensor {
        Tensor.concat(stride(from: 0, to: count, by: 256).map { start in
            clip.visual.features(images(set, Array(start..<min(start + 256, count)))).features
        }, axis: 0)
    }

    /// Normalised joint-space embeddings of image features.
    func embeddings(_ features: Tensor) -> Tensor { l2Normalized(clip.image_projection(features)) }

    /// One normalised text embedding per class: each template's prompt embedded and
    /// normalised, averaged over `templates`, normalised again (§3.1.4's ensembling).
    func classEmbeddings(templates: [String]) -> Tensor {
        let perTemplate = templates.map { t in
            l2Normalized(clip.encodeText(trainCaptions.classNames.map { ids(ImageCaptions.fill(t, $0)) }))
        }
        return l2Normalized(Tensor.concat(perTemplate.map { $0.reshaped([1] + $0.shape) }, axis: 0).mean(axes: [0]))
    }

    /// Logistic regression on the image encoder's frozen features (before the projection, as
    /// the paper probes) of the first `linear_probe_images` training images, scored on the test
    /// set's features `testFeatures`.
    func linearProbeAccuracy(testFeatures: Tensor) -> Double {
        let n = min(config.linear_probe_images, train.count)
        let probe = LinearProbe(features: imageFeatures(train, n), labels: Array(train.labels.prefix(n)),
                                classes: train.classNames.count)
        return probe.accuracy(testFeatures, labels: test.labels)
    }

    /// Zero-shot predictions of image embeddings [N, E] against class embeddings [C, E].
    func zeroShot(_ images: Tensor, _ classes: Tensor) -> [Int] {
        images.matmul(classes, transposeB: true).argmax(axis: -1)
    }

    func evaluate(at point: RunPoint) throws -> [String: Double] {
        let testFeatures = imageFeatures(test, test.count)
        let embedded = embeddings(testFeatures)
        func predictions(_ templates: [String]) -> [Int] { zeroShot(embedded, classEmbeddings(templates: templates)) }
        func accuracy(_ predicted: [Int]) -> Double {
            Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
        }
        // §3.1.4: "A photo of a {label}." is the paper's default prompt.
        lastZeroShot = predictions([ImageCaptions.trainingTemplates[0]])
        var metrics: [String: Double] = [
            "zero_shot_accuracy": accuracy(lastZeroShot),
            "zero_shot_accuracy_ensemble": accuracy(predictions(ImageCaptions.trainingTemplates)),
            "zero_shot_accuracy_held_out": accuracy(predictions(ImageCaptions.heldOutTemplates)),
        ]
        if point.isFinal && config.linear_probe_images > 0 {
            metrics["linear_probe_accuracy"] = linearProbeAccuracy(testFeatures: testFeatures)
        }
        // Retrieval between the first images and their descriptions. Images of one class and
        // attributes share a description word for word, so the texts are the distinct
        // descriptions, and an image matches the one that is its own.
        let n = retrievalCaptions.count
        guard n > 1 else { return metrics }
        let images = embedded.slice(axis: 0, 0..<n)
        let distinct = Array(Set(retrievalCaptions)).sorted()
        let features = clip.encodeText(distinct.map(ids))
        let texts = l2Normalized(features)
        let row = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        let own = retrievalCaptions.map { row[$0]! }
        let imageToText = images.matmul(texts, transposeB: true), textToImage = texts.matmul(images, transposeB: true)
        for k in [1, 5] {
            metrics["image_to_text_recall_\(k)"] = retrievalRecall(similarity: imageToText, k: k) { own[$0] == $1 }
            metrics["text_to_image_recall_\(k)"] = retrievalRecall(similarity: textToImage, k: k) { $0 == own[$1] }
        }
        // The training loss over all n pairs at once: an n-way choice, so larger than a batch's.
        metrics["test_loss"] = Double(contrastiveLoss(image: images, text: features.indexSelect(axis: 0, own),
                                                      scale: clip.loss.scale).item())
        return metrics
    }
}
