import Foundation

/// The committed `SampleClassifier` weights: where they are, how they are written and read.
///
/// The file is a repro checkpoint (HDF5) of the model's state dict, its recipe as the config
/// JSON and its test accuracy as a metric, beside a `sha256sum` line in `<file>.sha256`. The
/// checksum is checked before libhdf5 opens the file, so that a damaged or half-checked-out
/// file is one line of error, never a crash inside the library.
public enum SampleClassifierWeights {
    /// Overrides the file's path.
    public static let environmentVariable = "REPRO_SAMPLE_CLASSIFIER"
    /// `Models/fashion-mnist-classifier.h5` in the source tree this ReproKit was built from.
    public static let sourceTreePath = Provenance.sourceRoot
        .appendingPathComponent("Models/fashion-mnist-classifier.h5").path
    /// How to make the file again.
    public static let remakeHint = "remake it with `repro sample-classifier` (recipe in Models/README.md)"

    /// `$REPRO_SAMPLE_CLASSIFIER` if set, else `sourceTreePath`.
    public static var path: String {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? sourceTreePath
    }

    /// A classifier read from a weights file, with what the file says about it.
    public struct Loaded {
        /// The model, in eval mode.
        public let model: SampleClassifier
        public let recipe: SampleClassifierRecipe
        /// Fashion-MNIST test accuracy when the file was written.
        public let testAccuracy: Double
        public let path: String
    }

    /// Reads the weights at `path`; a missing, damaged or foreign file throws a
    /// `SampleClassifierError` that names it and how to remake it.
    public static func load(path: String = path) throws -> Loaded {
        guard FileManager.default.fileExists(atPath: path) else { throw SampleClassifierError.missing(path: path) }
        func corrupt(_ problem: String) -> SampleClassifierError { .corrupt(path: path, problem: problem) }
        guard let line = try? String(contentsOfFile: path + ".sha256", encoding: .utf8),
              let recorded = line.split(separator: " ").first.map(String.init) else {
            throw corrupt("its checksum file \(path).sha256 is missing")
        }
        guard let actual = try? Checksum.sha256(file: path), actual == recorded else {
            throw corrupt("its SHA-256 is not the one in \(path).sha256")
        }
        do {
            let contents = try Checkpoint.read(from: URL(fileURLWithPath: path))
            let recipe = try JSONDecoder().decode(SampleClassifierRecipe.self, from: Data(contents.metadata.configJSON.utf8))
            guard let accuracy = contents.metrics["test_accuracy"] else { throw corrupt("it records no test_accuracy") }
            var rng = RNG(seed: 0)   // every parameter is overwritten
            let model = SampleClassifier(classes: FashionMNIST.classNames.count, rng: &rng)
            try Checkpoint.load(contents, into: model)
            model.eval()
            return Loaded(model: model, recipe: recipe, testAccuracy: accuracy, path: path)
        } catch let e as SampleClassifierError {
            throw e
        } catch {
            throw corrupt("\(error)")
        }
    }

    /// Writes `model` with its recipe and test accuracy to `path` (atomically), then the checksum.
    public static func write(_ model: SampleClassifier, recipe: SampleClassifierRecipe, testAccuracy: Double,
                             to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = CheckpointMetadata(plugin: "reprokit", pluginVersion: "1", experiment: "sample-classifier",
                                          configJSON: String(decoding: try encoder.encode(recipe), as: UTF8.self))
        let url = URL(fileURLWithPath: path)
        try Checkpoint.write(CheckpointContents(tensors: model.stateDict(), metadata: metadata,
                                                metrics: ["test_accuracy": testAccuracy]), to: url)
        let line = "\(try Checksum.sha256(file: path))  \(url.lastPathComponent)\n"
        try AtomicWrite.write(Data(line.utf8), to: URL(fileURLWithPath: path + ".sha256"))
    }
}

/// Why the sample classifier's weights could not be read: one line naming the file and the fix.
public enum SampleClassifierError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case corrupt(path: String, problem: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "the sample classifier's weights \(path) are missing; \(SampleClassifierWeights.remakeHint), "
                + "or set $\(SampleClassifierWeights.environmentVariable) to a copy"
        case .corrupt(let path, let problem):
            return "the sample classifier's weights \(path) are damaged (\(problem)); "
                + "restore the committed file from git, or \(SampleClassifierWeights.remakeHint)"
        }
    }
}
