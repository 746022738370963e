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

/// The rest of the ResNet card through the real dlopen path: the Fig. 6 study and the
/// CIFAR-10 recipe on a small data set written in the CIFAR binary format.
final class ResNetCardTests: XCTestCase {
    private var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-resnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: artifacts) }

    /// `repro run resnet-degradation --quick`: four nets, the claims judged against the card's
    /// quick outcomes, the figure drawn.
    func testQuickDegradationStudy() throws {
        let o = try CLITests.Running(["run", "resnet-degradation", "--quick", "--seed", "0"], papers: ResNetPluginTests.papers,
                                     artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let dir = artifacts.appendingPathComponent("resnet-degradation")
        let studyName = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("study-") })
        let study = try RunFolder(url: dir.appendingPathComponent(studyName)).readJSON(StudyOutcome.self, from: "study.json")
        XCTAssertTrue(study.passed, "\(study.claims.map(\.text))")
        XCTAssertEqual(study.claims.count, 3)
        // Each variant trained the net its name says.
        for (variant, depth, plain) in [("plain8", 8, true), ("plain32", 32, true), ("resnet8", 8, false), ("resnet32", 32, false)] {
            let run = try RunFolder(url: URL(fileURLWithPath: XCTUnwrap(study.runs[variant]?.first)))
            let record = try run.readJSON(RunRecord.self, from: "config.json")
            XCTAssertEqual(record.config["depth"], "\(depth)", variant)
            XCTAssertEqual(record.config["plain"], "\(plain)", variant)
            XCTAssertEqual(record.config["crop_padding"], "0", variant)
            let checkpoint = try Checkpoint.read(from: run.checkpoint)
            // 3 stages of (depth-2)/6 blocks, two 3x3 convs each, plus the stem.
            XCTAssertEqual(checkpoint.tensors.filter { $0.0.hasSuffix("weight") && $0.1.shape.count == 4 }.count,
                           depth - 1, variant)
            XCTAssertEqual(study.means[variant]?["final_train_error"],
                           try run.readJSON(RunSummary.self, from: "summary.json").metrics["final_train_error"])
        }
        let figure = try PNGImage(contentsOfFile: dir.appendingPathComponent(studyName).appendingPathComponent("figure.png").path)
        XCTAssertEqual([figure.width, figure.height], [760, 500])
    }

    /// CIFAR-10 is not on these machines (no network): the recipe runs on 64 + 32 images in
    /// the CIFAR binary format, through the plugin, and a missing data set says what to do.
    func testCIFAR10RecipeOnASmallBinaryFile() throws {
        let data = artifacts.appendingPathComponent("data")
        let batches = data.appendingPathComponent("cifar10/cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: batches, withIntermediateDirectories: true)
        var rng = RNG(seed: 9)
        func records(_ n: Int) -> Data {
            var bytes = [UInt8]()
            for _ in 0..<n {
                bytes.append(UInt8(rng.int(below: 10)))
                for _ in 0..<3072 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
            return Data(bytes)
        }
        for b in 1...5 { try records(64).write(to: batches.appendingPathComponent("data_batch_\(b).bin")) }
        try records(32).write(to: batches.appendingPathComponent("test_batch.bin"))
        try Data(CIFAR10.classNames.joined(separator: "\n").utf8).write(to: batches.appendingPathComponent("batches.meta.txt"))

        let o = try CLITests.Running(["run", "resnet-cifar10", "--quick", "--variant", "resnet32", "--set", "batch_size=32"],
                                     papers: ResNetPluginTests.papers, artifacts: artifacts,
                                     env: ["REPRO_DATA": data.path]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = RunFolder(url: try XCTUnwrap(o.runFolder, o.stdout))
        let summary = try folder.readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.steps, 10)  // 320 images / 32
        XCTAssertTrue(summary.assertions.isEmpty)  // the card asserts only full runs of the recipe
        let record = try folder.readJSON(RunRecord.self, from: "config.json")
        XCTAssertEqual(record.config["schedule"], "multistep")
        XCTAssertEqual(record.config["milestones"], "[32000, 48000]")
        XCTAssertEqual(record.config["crop_padding"], "4")
        let checkpoint = try Checkpoint.read(from: folder.checkpoint)
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "conv1.weight" && $0.1.shape == [16, 3, 3, 3] })
        XCTAssertTrue(checkpoint.tensors.contains { $0.0 == "layer3.4.conv2.weight" })  // depth 32: 5 blocks a stage
        let report = try String(contentsOf: folder.report, encoding: .utf8)
        XCTAssertTrue(report.contains("The paper reports test error **7.51%** on CIFAR-10 (Table 6)"), report)

        let missing = try CLITests.Running(["run", "resnet-cifar10", "--quick"], papers: ResNetPluginTests.papers,
                                           artifacts: artifacts, env: ["REPRO_DATA": artifacts.appendingPathComponent("none").path]).wait()
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("repro data fetch cifar10"), missing.stderr)
        // The failed run left no folder behind: only the resnet32 run above is there.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("resnet-cifar10").path),
                       ["resnet32"])
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
        XCTAssertTrue(list.stdout.contains("kjv-rv1909     present  /usr/share/sword/modules/texts/ztext"), list.stdout)
        let unknown = try repro(["data", "verify", "imagenet"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.errorLines.filter { $0.hasPrefix("repro:") },
                       ["repro: unknown data set 'imagenet'; known: fashion-mnist, mnist, cifar10, cifar100, kjv-rv1909, multi30k (`repro data list`)"])
    }
}
