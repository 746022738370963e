// An Image is Worth 16x16 Words (Dosovitskiy et al., ICLR 2021, arXiv:2010.11929): the
// paper's pictures of what the model learned, Figure 6 (attention from the class token to the
// image) and Figure 7 centre (similarity of the position embeddings).
import Foundation
import ReproKit

/// Draws, for the first `images` test images:
/// - `attention_heads.png`: the last block's class-token attention per head, over the image;
/// - `attention_rollout.png`: attention rollout through every block (Fig. 6), over the image;
/// - `position_similarity.png`: cosine similarity of each patch's position embedding with
///   every other's (Fig. 7 centre);
/// - `test_logits.json`: those images' logits, for `bench/pytorch_vit.py check` to compare with
///   the checkpoint loaded into PyTorch.
func drawViTFigures(_ vit: VisionTransformer, data: ImageClassificationData, images: Int,
                    in folder: URL) throws -> [String] {
    let indices = Array(0..<min(images, data.test.count))
    guard !indices.isEmpty else { return [] }
    let (x, _) = data.test.batch(indices: indices, mean: data.mean, std: data.std)
    let (logits, attention) = vit.forward(x, attention: true)
    let (pixels, _) = data.test.batch(indices: indices, mean: [0], std: [1])
    let names = data.test.classNames
    let predicted = logits.argmax(axis: -1)
    let labels = indices.enumerated().map { i, index in
        let truth = names[data.test.labels[index]], guess = names[predicted[i]]
        return truth == guess ? truth : "\(truth) → \(guess)"
    }
    let g = vit.shape.grid, p = vit.shape.patch

    let last = classTokenAttentionMaps(attention[attention.count - 1], gridHeight: g, gridWidth: g)
    try attentionOverlay(images: pixels, maps: AttentionOverlay.Map.heads(last),
                         labels: labels,
                         title: "Class-token attention per head, block \(attention.count) of \(attention.count) (\(p)×\(p)-pixel patches)",
                         normalize: .range(0, 1))
        .write(to: folder.appendingPathComponent("attention_heads.png").path)

    let rollout = classTokenAttentionMaps(attentionRollout(attention), gridHeight: g, gridWidth: g)
    let firstHeads = classTokenAttentionMaps(attention[0], gridHeight: g, gridWidth: g)
    try attentionOverlay(images: pixels,
                         maps: [AttentionOverlay.Map("block 1 (mean)", firstHeads.mean(axis: 1)),
                                AttentionOverlay.Map("block \(attention.count) (mean)", last.mean(axis: 1)),
                                AttentionOverlay.Map("rollout", rollout)],
                         labels: labels, title: "Fig. 6 at mini scale: attention from the class token to the image",
                         normalize: .range(0, 1))
        .write(to: folder.appendingPathComponent("attention_rollout.png").path)

    // Patch positions only: row 0 of E_pos belongs to the class token.
    let d = vit.shape.width
    let positions = vit.position_embedding.reshaped([g * g + 1, d]).slice(axis: 0, 1..<(g * g + 1))
    try positionSimilarity(positions, gridHeight: g, gridWidth: g,
                           title: "Fig. 7 (centre): position embedding similarity (\(g)×\(g) patches)")
        .write(to: folder.appendingPathComponent("position_similarity.png").path)

    let rows = (0..<indices.count).map { i in (0..<logits.shape[1]).map { logits[i, $0] } }
    let json = try JSONSerialization.data(withJSONObject: ["indices": indices, "logits": rows],
                                          options: [.prettyPrinted, .sortedKeys])
    try json.write(to: folder.appendingPathComponent("test_logits.json"), options: .atomic)
    return ["attention_heads.png", "attention_rollout.png", "position_similarity.png", "test_logits.json"]
}
