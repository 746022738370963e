import XCTest
import Foundation
import ReproKit

/// A study's variant may be another experiment's run (`rnnsearch = { experiment =
/// "bahdanau-mini" }`), so that a claim compares two plugins: the card library links it, the
/// runner runs that experiment as its card has it, and malformed links are one-line errors.
final class LinkedVariantTests: XCTestCase {
    func library(_ variant: String) throws -> (cards: [PaperCard], errors: [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("repro-linked-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let text = CardTests.toy.replacingOccurrences(of: "small = { depth = 2 }", with: variant)
        XCTAssertNotEqual(text, CardTests.toy)
        try text.write(to: dir.appendingPathComponent("toy.toml"), atomically: true, encoding: .utf8)
        let (cards, errors) = CardLibrary.load(dirs: [dir.path])
        return (cards, errors.map { $0.description.replacingOccurrences(of: dir.path + "/", with: "") })
    }

    func testTheLibraryLinksAVariantToAnotherExperiment() throws {
        let (cards, errors) = try library("small = { experiment = \"toy-mini\" }")
        XCTAssertEqual(errors, [])
        let study = try XCTUnwrap(cards.first?.experiment(named: "toy-claims"))
        XCTAssertEqual(study.variantExperiments, ["small": "toy-mini"])
        XCTAssertEqual(study.linkedVariants["small"]?.experiment.name, "toy-mini")
        XCTAssertEqual(study.linkedVariants["small"]?.card.id, "toy")
        XCTAssertEqual(study.variant(named: "small")?.count, 0)
        XCTAssertNil(study.linkedVariants["large"])
    }

    func testMalformedLinksAreOneLineErrors() throws {
        XCTAssertEqual(try library("small = { experiment = \"toy-mni\" }").errors,
                       ["toy.toml:31: variant 'small' of experiment 'toy-claims' runs experiment 'toy-mni', which no card has (did you mean 'toy-mini'?)"])
        XCTAssertEqual(try library("small = { experiment = \"toy-claims\" }").errors,
                       ["toy.toml:31: variant 'small' of experiment 'toy-claims' runs experiment 'toy-claims', which has variants of its own; name a plain experiment"])
        XCTAssertEqual(try library("small = { experiment = \"toy-mini\", depth = 2 }").errors,
                       ["toy.toml:31: variant 'small' in [experiments.toy-claims] runs experiment 'toy-mini' and takes no other key ('depth'); change that experiment's config, or make a variant of this one"])
    }

    /// Through the real binary: the linked variant's run is selftest-mini's own (its folder, its
    /// config, its quick assertion), and the claim compares it with the study's other variant.
    func testAStudyRunsTheLinkedExperimentAsItsCardHasIt() throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-linked-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: artifacts) }
        let o = try CLITests.Running(["run", "selftest-linked", "--quick", "--seed", "3"], papers: CLITests.fixturePapers,
                                     artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let (study, _) = try o.study()
        XCTAssertEqual(study.claims.map(\.matchesRecorded), [true])
        let mini = try XCTUnwrap(study.runs["mini"]?.first)
        XCTAssertEqual(URL(fileURLWithPath: mini).deletingLastPathComponent().path,
                       artifacts.appendingPathComponent("selftest-mini").path)
        let summary = try RunFolder(url: URL(fileURLWithPath: mini)).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertEqual(summary.experiment, "selftest-mini")
        XCTAssertNil(summary.variant)
        XCTAssertEqual(summary.assertions.map(\.metric), ["test_accuracy"], "selftest-mini's expect_quick")
        XCTAssertEqual(study.assertions.count, 1)
        XCTAssertGreaterThan(study.means["mini"]!["test_accuracy"]!, study.means["two"]!["test_accuracy"]! + 0.05)

        let single = try CLITests.Running(["run", "selftest-linked", "--quick", "--variant", "mini"],
                                          papers: CLITests.fixturePapers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(single.status, 0, single.stdout + single.stderr)
        XCTAssertTrue(try XCTUnwrap(single.runFolder).path.contains("/selftest-mini/"))
    }
}
