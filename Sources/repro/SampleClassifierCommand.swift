import ArgumentParser
import Foundation
import ReproKit

/// `repro sample-classifier`: trains the fixed Fashion-MNIST classifier whose features score
/// generated images (`SampleQuality`) by its recipe, and writes the weights and their checksum.
struct SampleClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-classifier",
        abstract: "Train the fixed Fashion-MNIST classifier that scores generated samples (FID, confidence, classes).",
        discussion: """
            Trains by SampleClassifierRecipe's defaults (Models/README.md) and writes the weights with their \
            SHA-256; the committed file was made by this command with no options.
            """)

    @Option(help: "Where to write the weights (a .sha256 file goes beside them).")
    var out: String = SampleClassifierWeights.sourceTreePath

    @Option(help: "Train on the first N training images only (a quick look; never for the kept file).")
    var trainSubset: Int = 0

    func run() throws {
        var recipe = SampleClassifierRecipe()
        recipe.train_subset = trainSubset
        do {
            let (model, accuracy) = try recipe.train()
            try SampleClassifierWeights.write(model, recipe: recipe, testAccuracy: accuracy, to: out)
            print("sample-classifier: test accuracy \(String(format: "%.4f", accuracy)); wrote \(out)")
        } catch { throw fail(error) }
    }
}
