import XCTest
import Foundation
import ReproKit

/// The CLIP plugin (arXiv:2103.00020) through the real binary: `clip-mini --quick` trains the
/// two encoders contrastively, classifies test images zero-shot from class-name prompts well
/// above chance (the card's quick expectation), reports retrieval recall and draws its
/// matrices; a config the
/// encoders cannot take is one line.
final class CLIPPluginTests: XCTestCase {
    private var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-clip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: artifacts) }

    func testQuickRunClassifiesZeroShotAboveChance() throws {
        let o = try CLITests.Running(["run", "clip-mini", "--quick", "--seed", "0"],
                                     papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["zero_shot_accuracy"])
        for name in ["zero_shot_accuracy_ensemble", "zero_shot_accuracy_held_out", "linear_probe_accuracy"] {
            XCTAssertGreaterThan(try XCTUnwrap(summary.metrics[name], name), 0.2, "\(name): ten classes, chance is 0.1")
        }
        for name in ["image_to_text_recall_1", "image_to_text_recall_5", "text_to_image_recall_1", "text_to_image_recall_5"] {
            let r = try XCTUnwrap(summary.metrics[name], name)
            XCTAssertTrue(r >= 0 && r <= 1, "\(name) \(r)")
        }
        XCTAssertGreaterThanOrEqual(summary.metrics["image_to_text_recall_5"]!, summary.metrics["image_to_text_recall_1"]!)
        // Chance is about 0.13 for either direction at k = 5 (5 of ~40 descriptions; 5 of 500
        // images, ~1/40 of them with a given description); seed 0 reaches 0.84 in 64 steps.
        XCTAssertGreaterThan(summary.metrics["image_to_text_recall_5"]!, 0.3)
        XCTAssertGreaterThan(summary.metrics["text_to_image_recall_5"]!, 0.3)
        // The learned temperature moved from its start, exp(t) = 1/0.07.
        let scale = try XCTUnwrap(summary.metrics["final_train_logit_scale"])
        XCTAssertGreaterThan(abs(scale - 1 / 0.07), 0.01, "logit scale \(scale)")

        // The pictures: the zero-shot confusion matrix (its counts are the test set), and the
        // caption × image similarity matrix beside its thumbnails.
        XCTAssertEqual(Set(summary.drawings).intersection(["zero-shot-confusion.png", "similarity.png", "similarity-images.png"]).count, 3,
                       "\(summary.drawings)")
        let similarity = try PNGImage(contentsOfFile: folder.appendingPathComponent("similarity.png").path)
        XCTAssertGreaterThan(similarity.width, 8 * 20)
        let thumbnails = try PNGImage(contentsOfFile: folder.appendingPathComponent("similarity-images.png").path)
        XCTAssertGreaterThanOrEqual(thumbnails.width, 8 * 28 * 3, "8 images of 28 pixels at scale 3")

        let bad = try CLITests.Running(["run", "clip-mini", "--quick", "--set", "patch_size=5"],
                                       papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr.split(separator: "\n").last.map(String.init),
                       "repro: invalid config: patch_size 5 does not tile 28×28 images; use one of 1, 2, 4, 7, 14, 28")
    }
}
