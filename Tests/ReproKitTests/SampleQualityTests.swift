import XCTest
import Foundation
import ReproKit

/// The committed Fashion-MNIST classifier (Models/) and the sample-quality scorer on it, on
/// the real test set: its accuracy, FID that is small between two halves of real images and
/// large for noise, one repeated image or one class, confidence, the class histogram, 32×32
/// input, and the errors for a missing or damaged weights file.
final class SampleQualityTests: XCTestCase {
    static let test: LabeledImages = try! FashionMNIST.load(split: .test)

    /// The indices of test images of class `label` among those in `range`.
    func indices(of label: Int, in range: Range<Int>) -> [Int] {
        range.filter { Self.test.labels[$0] == label }
    }

    func testCommittedClassifierReachesItsRecordedAccuracy() throws {
        let loaded = try SampleClassifierWeights.load()
        XCTAssertEqual(loaded.recipe, SampleClassifierRecipe(), "the file was made by the recipe's defaults")
        let scorer = try SampleQuality.shared()
        let predictions = scorer.evaluate(SampleQuality.images(Self.test)).probabilities.argmax(axis: -1)
        let accuracy = Double(zip(predictions, Self.test.labels).filter { $0 == $1 }.count) / Double(Self.test.count)
        XCTAssertGreaterThanOrEqual(accuracy, 0.90)
        // Another thread count sums in another order: a prediction or two may flip, no more.
        XCTAssertEqual(accuracy, loaded.testAccuracy, accuracy: 0.002, "the accuracy recorded in \(loaded.path)")
    }

    func testFIDIsSmallForRealHalvesAndLargeForNoiseOneImageAndOneClass() throws {
        let classifier = try SampleClassifierWeights.load().model
        let scorer = SampleQuality(classifier: classifier,
                                   referenceImages: SampleQuality.images(Self.test, indices: Array(0..<5000)))
        let heldOut = scorer.score(SampleQuality.images(Self.test, indices: Array(5000..<10000)))
        var rng = RNG(seed: 17)
        let noise = scorer.score(Tensor.uniform([2000, 1, 28, 28], low: -1, high: 1, rng: &rng))
        let repeated = scorer.score(SampleQuality.images(Self.test, indices: Array(repeating: 5000, count: 2000)))
        let trousers = scorer.score(SampleQuality.images(Self.test, indices: indices(of: 1, in: 5000..<10000)))
        let report = "real \(heldOut.fid), noise \(noise.fid), one image \(repeated.fid), one class \(trousers.fid)"
        XCTAssertGreaterThan(heldOut.fid, 0, report)
        for (name, far) in [("noise", noise), ("one image", repeated), ("one class", trousers)] {
            XCTAssertGreaterThan(far.fid, 20 * heldOut.fid, "\(name): \(report)")
        }
    }

    func testConfidenceIsHighOnRealImagesAndLowOnNoise() throws {
        let scorer = try SampleQuality.shared()
        let real = scorer.score(SampleQuality.images(Self.test, indices: Array(0..<2000)))
        var rng = RNG(seed: 3)
        let noise = scorer.score(Tensor.uniform([2000, 1, 28, 28], low: -1, high: 1, rng: &rng))
        XCTAssertGreaterThan(real.meanConfidence, 0.85)
        XCTAssertLessThan(noise.meanConfidence, real.meanConfidence - 0.1)   // 0.68 vs 0.91 when written
        XCTAssertLessThan(real.fid, noise.fid)
    }

    func testHistogramOfOneClassPutsItInThatClass() throws {
        let scorer = try SampleQuality.shared()
        for label in [1, 8] {   // Trouser, Bag
            let idx = indices(of: label, in: 0..<10000)
            let r = scorer.score(SampleQuality.images(Self.test, indices: idx))
            XCTAssertEqual(r.count, idx.count)
            XCTAssertEqual(r.classCounts.reduce(0, +), idx.count)
            XCTAssertGreaterThanOrEqual(Double(r.classCounts[label]), 0.95 * Double(idx.count), r.histogramText)
            XCTAssertEqual(r.topClassFraction, Double(r.classCounts[label]) / Double(idx.count))
        }
        let balanced = scorer.score(SampleQuality.images(Self.test, indices: Array(0..<2000)))
        XCTAssertLessThan(balanced.topClassFraction, 0.15, balanced.histogramText)
        XCTAssertEqual(balanced.classNames, FashionMNIST.classNames)
        XCTAssertEqual(Set(balanced.metrics.keys), Set(SampleQualityReport.metricKinds.keys))
    }

    func testPaddedSamplesAreCroppedToTheImagesThemselves() throws {
        let scorer = try SampleQuality.shared()
        let x = SampleQuality.images(Self.test, indices: Array(0..<64))
        let padded = x.padded([(0, 0), (0, 0), (2, 2), (2, 2)], value: -1)   // as DDPM pads to 32×32
        XCTAssertEqual(padded.shape, [64, 1, 32, 32])
        XCTAssertEqual(scorer.evaluate(padded).features.scalars, scorer.evaluate(x).features.scalars)
        let shifted = x.padded([(0, 0), (0, 0), (4, 0), (4, 0)], value: -1)   // not centred: other features
        XCTAssertNotEqual(scorer.evaluate(shifted).features.scalars, scorer.evaluate(x).features.scalars)
    }

    func testMissingOrDamagedWeightsAreOneLineNamingTheFileAndTheFix() throws {
        let dir = try makeTemporaryFolder("sample-classifier")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ path: String) -> String? {
            do { _ = try SampleClassifierWeights.load(path: path); return nil } catch { return "\(error)" }
        }
        func check(_ text: String?, _ path: String, _ what: String) {
            guard let text else { return XCTFail("\(what): loaded") }
            XCTAssertTrue(text.contains(path), "\(what): \(text)")
            XCTAssertTrue(text.contains("repro sample-classifier"), "\(what): \(text)")
            XCTAssertFalse(text.contains("\n"), "\(what): \(text)")
        }
        let missing = dir + "/none.h5"
        XCTAssertEqual(try? SampleClassifierWeights.load(path: missing).path, nil)
        check(message(missing), missing, "missing")
        XCTAssertTrue(message(missing)!.contains("missing"))

        let copy = dir + "/copy.h5"
        try FileManager.default.copyItem(atPath: SampleClassifierWeights.sourceTreePath, toPath: copy)
        check(message(copy), copy, "no checksum file")
        try FileManager.default.copyItem(atPath: SampleClassifierWeights.sourceTreePath + ".sha256", toPath: copy + ".sha256")
        XCTAssertNil(message(copy), "an intact copy loads")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        check(message(copy), copy, "one byte flipped")
        XCTAssertTrue(message(copy)!.contains("damaged"))

        setenv(SampleClassifierWeights.environmentVariable, missing, 1)
        defer { unsetenv(SampleClassifierWeights.environmentVariable) }
        XCTAssertEqual(SampleClassifierWeights.path, missing)
        check(message(SampleClassifierWeights.path), missing, "the override")
    }
}

extension SampleQualityTests {
    func testWrittenWeightsLoadBackWithTheirRecipeAndAccuracy() throws {
        let dir = try makeTemporaryFolder("sample-classifier-write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = RNG(seed: 5)
        let model = SampleClassifier(rng: &rng)
        var recipe = SampleClassifierRecipe()
        recipe.epochs = 3
        let path = dir + "/w.h5"
        try SampleClassifierWeights.write(model, recipe: recipe, testAccuracy: 0.25, to: path)
        let back = try SampleClassifierWeights.load(path: path)
        XCTAssertEqual(back.recipe, recipe)
        XCTAssertEqual(back.testAccuracy, 0.25)
        XCTAssertEqual(back.model.stateDict().map(\.0), model.stateDict().map(\.0))
        for ((name, a), (_, b)) in zip(back.model.stateDict(), model.stateDict()) {
            XCTAssertEqual(a.scalars, b.scalars, name)
        }
        let line = try String(contentsOfFile: path + ".sha256", encoding: .utf8)
        XCTAssertEqual(line, "\(try Checksum.sha256(file: path))  w.h5\n", "sha256sum -c reads it")
    }
}
