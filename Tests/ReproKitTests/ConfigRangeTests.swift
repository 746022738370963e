import XCTest
import ReproKit

/// Config ranges (`RangedConfig`): declared once beside a config's defaults, checked whenever a
/// value is given (card, `--set`, a resumed run's config), before a task or a run folder exists.
final class ConfigRangeTests: XCTestCase {
    struct Betas: Codable, RangedConfig {
        var beta1 = 0.9
        static let ranges: [String: ConfigRange] = ["beta1": .within(0..<1)]
    }

    struct Ranged: Codable, RangedConfig {
        var epochs = 3
        var lr = 0.1
        var momentum = 0.9
        var schedule = "cosine"
        var widths = [16, 32]
        var thresholds = [0.25]
        var max_pairs: Int? = nil
        var betas = Betas()
        var free = -7

        static let ranges: [String: ConfigRange] = [
            "epochs": .atLeast(1), "lr": .above(0), "momentum": .within(0...1),
            "schedule": .oneOf(["cosine", "constant"]), "widths": .count(2, each: .atLeast(1)),
            "thresholds": .within(0...1), "max_pairs": .atLeast(1),
        ]
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as ConfigError { return e.description } catch { return "not a ConfigError: \(error)" }
        return "no error"
    }

    func testValuesOutsideTheirRangeAreRefusedNamingKeyValueAndRange() throws {
        var d = try ConfigDict(encoding: Ranged())
        let cases: [(String, String)] = [
            ("epochs=-1", "invalid config: epochs = -1, must be ≥ 1"),
            ("epochs=0", "invalid config: epochs = 0, must be ≥ 1"),
            ("lr=0", "invalid config: lr = 0.0, must be > 0"),
            ("momentum=1.5", "invalid config: momentum = 1.5, must be in [0, 1]"),
            ("schedule=linear", #"invalid config: schedule = "linear", must be one of "cosine", "constant""#),
            ("widths=[1, 2, 3]", "invalid config: widths = [1, 2, 3], must be a list of 2 items, each ≥ 1"),
            ("widths=[0, 2]", "invalid config: widths = [0, 2], must be a list of 2 items, each ≥ 1"),
            ("thresholds=[0.5, 2]", "invalid config: thresholds = [0.5, 2.0], must be in [0, 1]"),
            ("max_pairs=0", "invalid config: max_pairs = 0, must be ≥ 1"),
            ("betas.beta1=1", "invalid config: betas.beta1 = 1.0, must be in [0, 1)"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(message { try d.apply(override: text) }, expected, text)
        }
        // A card value goes through `set`, with the same check.
        XCTAssertEqual(message { try d.set("epochs", .int(-5)) }, "invalid config: epochs = -5, must be ≥ 1")
        XCTAssertEqual(d, try ConfigDict(encoding: Ranged()), "a refused value leaves the config as it was")
    }

    func testValuesInRangeAndKeysWithoutARangeAreAccepted() throws {
        var d = try ConfigDict(encoding: Ranged())
        for text in ["epochs=1", "lr=1e-5", "momentum=0", "momentum=1", "schedule=constant", "widths=[1, 1]",
                     "thresholds=[]", "thresholds=[0, 1]", "max_pairs=none", "max_pairs=1", "betas.beta1=0", "free=-100"] {
            XCTAssertNoThrow(try d.apply(override: text), text)
        }
        XCTAssertNoThrow(try d.checkRanges())
        let back = try d.decode(Ranged.self)
        XCTAssertEqual(back.max_pairs, 1)
        XCTAssertEqual(back.free, -100)
        XCTAssertEqual(d.ranges["betas.beta1"], .within(0..<1), "a nested struct's ranges are keyed by the dotted key")
    }

    func testRangeTexts() {
        XCTAssertEqual(ConfigRange.atLeast(1).description, "≥ 1")
        XCTAssertEqual(ConfigRange.above(0).description, "> 0")
        XCTAssertEqual(ConfigRange.atMost(0.5).description, "≤ 0.5")
        XCTAssertEqual(ConfigRange.within(0...1).description, "in [0, 1]")
        XCTAssertEqual(ConfigRange.within(1e-3..<1).description, "in [0.001, 1)")
        XCTAssertEqual(ConfigRange.oneOf(["A", "B"]).description, #"one of "A", "B""#)
        XCTAssertEqual(ConfigRange.count(1).description, "a list of 1 item")
    }

    // MARK: Mistakes in a plugin's ranges

    struct UnknownKey: Codable, RangedConfig {
        var epochs = 3
        static let ranges: [String: ConfigRange] = ["epoch": .atLeast(1)]
    }
    struct WrongKind: Codable, RangedConfig {
        var epochs = 3
        static let ranges: [String: ConfigRange] = ["epochs": .oneOf(["one"])]
    }
    struct BadDefault: Codable, RangedConfig {
        var dropout = 1.0
        static let ranges: [String: ConfigRange] = ["dropout": .within(0..<1)]
    }

    func testAPluginsBadRangesAreItsConfigProblem() {
        XCTAssertEqual(message { _ = try ConfigDict(encoding: UnknownKey()) },
                       "invalid config: UnknownKey.ranges names 'epoch', which is not one of its keys (epochs)")
        XCTAssertEqual(message { _ = try ConfigDict(encoding: WrongKind()) },
                       "invalid config: WrongKind.ranges gives 'epochs' string choices for a key of numbers")
        XCTAssertEqual(message { _ = try ConfigDict(encoding: BadDefault()) },
                       "invalid config: the default dropout = 1.0 of BadDefault is outside its range (must be in [0, 1))")
        let kind = TaskKind(name: "t", summary: "", defaults: BadDefault()) { _, _ in
            XCTFail("a task whose defaults are out of range must not be built")
            throw ConfigError.invalid("built")
        }
        XCTAssertNotNil(kind.configProblem)
        XCTAssertThrowsError(try kind.make(kind.defaults, context: RunContext(seed: 0)))
    }

    // MARK: The real binary

    var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = URL(fileURLWithPath: try makeTemporaryFolder("repro-ranges"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: artifacts)
    }

    func repro(_ args: String..., papers: String = CLITests.fixturePapers) throws -> CLITests.Output {
        try CLITests.Running(args, papers: papers, artifacts: artifacts, env: [:]).wait()
    }

    /// What the run left in the artifacts folder (nothing, for a refused config).
    func leftovers() -> [String] {
        (try? FileManager.default.subpathsOfDirectory(atPath: artifacts.path)) ?? []
    }

    func testSetOutsideTheRangeIsOneLineAndMakesNoRunFolder() throws {
        for (set, line) in [("lr=0", "repro: invalid config: lr = 0.0, must be > 0"),
                            ("epochs=-1", "repro: invalid config: epochs = -1, must be ≥ 1"),
                            ("batch_size=0", "repro: invalid config: batch_size = 0, must be ≥ 1")] {
            let o = try repro("run", "selftest-mini", "--set", set)
            XCTAssertEqual(o.status, 1, o.stdout)
            XCTAssertEqual(o.errorLines, [line])
            XCTAssertEqual(leftovers(), [], set)
        }
        let gan = try repro("run", "selftest-gan", "--quick", "--set", "adam.beta2=1")
        XCTAssertEqual(gan.errorLines, ["repro: invalid config: adam.beta2 = 1.0, must be in [0, 1)"])
        XCTAssertEqual(leftovers(), [])
    }

    func testImagePluginsDeclareRanges() throws {
        // Before ranges these trained: no padding check, a negative subset meant "all".
        for (args, line) in [(["resnet-mini", "--set", "crop_padding=-1"], "repro: invalid config: crop_padding = -1, must be ≥ 0"),
                             (["resnet-mini", "--set", "train_subset=-5"], "repro: invalid config: train_subset = -5, must be ≥ 0"),
                             (["alexnet-mini", "--set", "dropout=1"], "repro: invalid config: dropout = 1.0, must be in [0, 1)"),
                             (["alexnet-relu", "--variant", "relu", "--set", "widths=[8]"],
                              "repro: invalid config: widths = [8], must be a list of 2 items, each ≥ 1")] {
            let o = try CLITests.Running(["run"] + args, papers: CLITests.root.appendingPathComponent("Papers").path,
                                         artifacts: artifacts, env: [:]).wait()
            XCTAssertEqual(o.status, 1, o.stdout)
            XCTAssertEqual(o.errorLines, [line])
            XCTAssertEqual(leftovers(), [], args.joined(separator: " "))
        }
    }

    func testCardValueOutsideTheRangeNamesFileAndLine() throws {
        let papers = artifacts.appendingPathComponent("papers")
        try FileManager.default.createDirectory(at: papers, withIntermediateDirectories: true)
        let card = papers.appendingPathComponent("selftest.toml")
        let text = try String(contentsOfFile: CLITests.fixturePapers + "/selftest.toml", encoding: .utf8)
            .replacingOccurrences(of: "quick = { epochs = 6 }\n\n[[experiments.selftest-mini.expect]]",
                                  with: "quick = { epochs = 0 }\n\n[[experiments.selftest-mini.expect]]")
        try text.write(to: card, atomically: true, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("quick = { epochs = 0 }") }! + 1
        let o = try repro("run", "selftest-mini", "--quick", papers: papers.path)
        XCTAssertEqual(o.status, 1, o.stdout)
        XCTAssertEqual(o.errorLines.last, "repro: \(card.path):\(line): experiment 'selftest-mini', quick: "
                       + "invalid config: epochs = 0, must be ≥ 1", o.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("selftest-mini").path))
    }
}
