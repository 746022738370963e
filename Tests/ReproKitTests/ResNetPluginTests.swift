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
        // Provenance: the commit of this checkout, the seed, the machine.
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: folder.appendingPathComponent("config.json")))
        XCTAssertEqual(record.seed, 0)
        XCTAssertTrue(record.quick)
        XCTAssertTrue(record.gitCommit.hasPrefix(Provenance.gitCommit().prefix(12)), record.gitCommit)
        XCTAssertNotEqual(record.gitCommit, "unknown")
        let checkpoint = try Checkpoint.read(from: folder.appendingPathComponent("checkpoint.h5"))
        XCTAssertEqual(checkpoint.metadata.plugin, "resnet")
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "layer3.2.conv2.weight" && $0.1.shape == [64, 64, 3, 3] })
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "fc.weight" && $0.1.shape == [10, 64] })
    }
}

/// `repro data`: the Debian Fashion-MNIST matches its published checksums; a missing or
/// unknown data set says what to do.
final class DataCommandTests: XCTestCase {
    private func repro(_ args: [String], env: [String: String] = [:]) throws -> CLITests.Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: OneCopyTests.buildDir + "/repro")
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLITests.Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                               stderr: String(decoding: e, as: UTF8.self))
    }

    func testVerifyFashionMNISTAgainstPublishedChecksums() throws {
        let o = try repro(["data", "verify", "fashion-mnist"])
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertEqual(o.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count, 4, o.stdout)
    }

    func testMissingAndUnknownDataSets() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("repro-nodata-\(UUID().uuidString)").path
        let missing = try repro(["data", "verify", "cifar10"], env: ["REPRO_DATA": empty])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stdout.contains("missing; repro data fetch cifar10"), missing.stdout)
        let list = try repro(["data", "list"], env: ["REPRO_DATA": empty])
        XCTAssertTrue(list.stdout.contains("fashion-mnist  present"), list.stdout)
        let unknown = try repro(["data", "verify", "imagenet"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.errorLines.filter { $0.hasPrefix("repro:") },
                       ["repro: unknown data set 'imagenet'; known: fashion-mnist, mnist, cifar10, cifar100 (`repro data list`)"])
    }
}
