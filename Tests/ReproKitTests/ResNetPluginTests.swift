import XCTest
import Foundation
import ReproKit

/// The ResNet plugin through the real dlopen path: `repro run resnet-mini --quick` with the
/// project's own card, as the README's first command runs the full one.
final class ResNetPluginTests: XCTestCase {
    static let papers = CLITests.root.appendingPathComponent("Papers").path

    func testQuickResNetMiniPassesItsCardAndDraws() throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-resnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let o = try CLITests.Running(["run", "resnet-mini", "--quick", "--seed", "0"], papers: Self.papers,
                                     artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: folder.appendingPathComponent("summary.json")))
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["test_accuracy"])
        // 64 steps at batch 64 (quick): chance is 0.10.
        XCTAssertGreaterThan(summary.metrics["test_accuracy"] ?? 0, 0.5)
        for png in ["curves.png", "confusion.png", "misclassified.png"] {
            let image = try PNGImage(contentsOfFile: folder.appendingPathComponent(png).path)
            XCTAssertGreaterThan(image.width * image.height, 10_000, png)
        }
        let checkpoint = try Checkpoint.read(from: folder.appendingPathComponent("checkpoint.h5"))
        XCTAssertEqual(checkpoint.metadata.plugin, "resnet")
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "layer3.2.conv2.weight" && $0.1.shape == [64, 64, 3, 3] })
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "fc.weight" && $0.1.shape == [10, 64] })
    }
}
