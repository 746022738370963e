// Learning Transferable Visual Models From Natural Language Supervision.
// Radford et al. ICML 2021. arXiv:2103.00020.
//
// The pictures of a run: the zero-shot confusion matrix, and the cosine similarities of a few
// test images with their captions (the paper's Fig. 3 matrix, for one batch) beside the images.
import Foundation
import ReproKit

extension ContrastiveTask {
    /// How many test images (and their captions) the similarity picture shows.
    static let similarityImages = 8

    func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        guard point.isFinal, lastZeroShot.count == test.count else { return [] }
        let names = trainCaptions.classNames
        var confusion = ConfusionMatrix(classes: names.count)
        confusion.update(predictions: lastZeroShot, targets: test.labels)
        let cm = try Heatmap(confusion.tensor, rowLabels: names, colLabels: names,
                             title: "Zero-shot confusion (\"\(ImageCaptions.trainingTemplates[0])\", test)",
                             xLabel: "predicted", yLabel: "true", showValues: true)
        try cm.canvas.write(to: folder.appendingPathComponent("zero-shot-confusion.png").path)
        var files = ["zero-shot-confusion.png"]

        let n = min(Self.similarityImages, retrievalCaptions.count)
        guard n > 1 else { return files }
        let indices = Array(0..<n)
        let images = withNoGrad { embeddings(imageFeatures(test, n)) }
        let texts = withNoGrad { l2Normalized(clip.encodeText(retrievalCaptions.prefix(n).map(ids))) }
        let similarity = texts.matmul(images, transposeB: true)
        let columns = indices.map { "\($0 + 1)" }
        let matrix = try Heatmap(similarity, rowLabels: Array(retrievalCaptions.prefix(n)), colLabels: columns,
                                 title: "Cosine similarity: captions × test images 1-\(n)", xLabel: "image",
                                 yLabel: "caption", showValues: true)
        try matrix.canvas.write(to: folder.appendingPathComponent("similarity.png").path)
        let thumbnails = try imageGrid(test.batch(indices: indices).x, columns: n, scale: 3, labels: columns,
                                       normalize: .range(0, 1), title: "Test images 1-\(n) of similarity.png")
        try thumbnails.write(to: folder.appendingPathComponent("similarity-images.png").path)
        files += ["similarity.png", "similarity-images.png"]
        return files
    }
}
