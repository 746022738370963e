import XCTest
import Foundation
import ReproKit

/// Paper cards: parsing every field in file order, one precise FILE:LINE message per
/// problem, loading a folder, and the evaluation of expectations and claims.
final class CardTests: XCTestCase {

    // MARK: Fixtures

    /// A card using every field, with keys deliberately out of alphabetical order so that
    /// file order is tested (toml++ itself keeps keys sorted).
    static let fullCard = """
    # The ResNet card, as a student would write it.
    id = "resnet"
    title = "Deep Residual Learning for Image Recognition"
    authors = ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    venue = "CVPR"
    year = 2016
    arxiv = "1512.03385"

    [reported.resnet20-cifar10-error]
    value = 8.75
    unit = "%"
    source = "Table 6"
    metric = "test error"
    dataset = "CIFAR-10"

    [reported.resnet110-cifar10-error]
    value = 6
    unit = "%"
    source = "Table 6"
    metric = "test error"
    dataset = "CIFAR-10"

    [experiments.resnet-mini]
    plugin = "resnet-alt"
    task = "classify"
    summary = "ResNet-20 on Fashion-MNIST, 3 epochs"
    dataset = "fashion-mnist"
    reported = "resnet20-cifar10-error"
    reported_note = "paper: CIFAR-10 at 64k iterations; here Fashion-MNIST at mini scale"
    config = { epochs = 3, depth = 20, lr = 0.1, augment = true, optimizer = "sgd", milestones = [2, 3] }
    quick = { epochs = 1, train_subset = 2000 }

    [[experiments.resnet-mini.expect]]
    metric = "test_accuracy"
    value = 0.905
    tolerance = 0.012
    basis = "seeds 0-4: 0.897 0.903 0.911 0.905 0.909 (mean 0.905, sd 0.005); ±2.4 sd"

    [[experiments.resnet-mini.expect]]
    metric = "test_loss"
    value = 0.27
    rel_tolerance = 0.1
    basis = "seeds 0-4 [loss] # not a comment"

    [[experiments.resnet-mini.expect_quick]]
    metric = "test_accuracy"
    value = 0.75
    tolerance = 0.05
    basis = "quick, seeds 0-2"

    [experiments.resnet-degradation]
    summary = "plain vs residual nets of growing depth"
    dataset = "fashion-mnist"
    config = { epochs = 2 }

    [experiments.resnet-degradation.variants]
    plain8 = { depth = 8, plain = true }
    plain32 = { depth = 32, plain = true }
    resnet32 = { depth = 32, plain = false }

    [[experiments.resnet-degradation.claims]]
    statement = "A deeper plain net has higher training error than a shallower one"
    paper = "Fig. 6 (left)"
    metric = "final_train_error"
    compare = "plain32 > plain8"
    margin = 0.01
    outcome = "holds"
    observed = "plain-32 0.131 vs plain-8 0.104, 3 seeds"

    [[experiments.resnet-degradation.claims]]
    statement = "ResNet-32 trains no worse than plain-32"
    paper = "Fig. 6"
    metric = "final_train_error"
    compare = "resnet32<=plain32"
    outcome = "does not hold"
    observed = "resnet-32 0.140 vs plain-32 0.131, 3 seeds"
    """

    /// A small valid card whose line numbers the error tests rely on (see the comments).
    static let toy = """
    id = "toy"
    title = "Toy"
    authors = ["A. Author"]
    venue = "NeurIPS"
    year = 2020

    [reported.err]
    value = 1.5
    unit = "%"
    source = "Table 1"
    metric = "error"
    dataset = "toy"

    [experiments.toy-mini]
    summary = "a toy"
    dataset = "toy"
    reported = "err"
    config = { epochs = 2 }

    [[experiments.toy-mini.expect]]
    metric = "test_accuracy"
    value = 0.9
    tolerance = 0.01
    basis = "seeds 0-4"

    [experiments.toy-claims]
    summary = "claims"
    dataset = "toy"

    [experiments.toy-claims.variants]
    small = { depth = 2 }
    large = { depth = 8 }

    [[experiments.toy-claims.claims]]
    statement = "larger is better"
    paper = "Fig. 1"
    metric = "accuracy"
    compare = "large > small"
    outcome = "holds"
    observed = "0.9 vs 0.8"
    """
    // toy lines: 5 year, 14 [experiments.toy-mini], 15 summary, 17 reported, 18 config,
    // 20 [[experiments.toy-mini.expect]], 22 value, 23 tolerance, 24 basis,
    // 30 [experiments.toy-claims.variants], 34 [[experiments.toy-claims.claims]], 38 compare, 39 outcome.

    /// The problems in `toy` with `old` replaced by `new`.
    func problems(_ old: String, _ new: String, file: String = "Papers/toy.toml") -> [String] {
        let text = CardTests.toy.replacingOccurrences(of: old, with: new)
        XCTAssertNotEqual(text, CardTests.toy, "the fixture does not contain '\(old)'")
        return PaperCard.check(text, file: file).errors.map(\.description)
    }

    func assertOnly(_ got: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got, [expected], file: file, line: line)
    }

    func dict(_ pairs: [(String, ConfigValue)]) -> [String: ConfigValue] {
        Dictionary(pairs, uniquingKeysWith: { _, b in b })
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("cards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    // MARK: A valid card

    func testCompleteCardParsesEveryFieldInFileOrder() throws {
        let card = try PaperCard.parse(CardTests.fullCard, file: "Papers/resnet.toml")
        XCTAssertEqual(card.file, "Papers/resnet.toml")
        XCTAssertEqual(card.id, "resnet")
        XCTAssertEqual(card.title, "Deep Residual Learning for Image Recognition")
        XCTAssertEqual(card.authors, ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"])
        XCTAssertEqual(card.venue, "CVPR")
        XCTAssertEqual(card.year, 2016)
        XCTAssertEqual(card.arxiv, "1512.03385")

        XCTAssertEqual(card.reportedKeys, ["resnet20-cifar10-error", "resnet110-cifar10-error"])
        XCTAssertEqual(card.reported["resnet20-cifar10-error"],
                       ReportedNumber(key: "resnet20-cifar10-error", value: 8.75, unit: "%", source: "Table 6",
                                      metric: "test error", dataset: "CIFAR-10"))
        XCTAssertEqual(card.reported["resnet110-cifar10-error"]?.value, 6)  // an integer is a number
        XCTAssertEqual(card.reportedInOrder.map(\.key), card.reportedKeys)

        XCTAssertEqual(card.experiments.map(\.name), ["resnet-mini", "resnet-degradation"])
        let mini = card.experiments[0]
        XCTAssertEqual(mini.cardID, "resnet")
        XCTAssertEqual(mini.plugin, "resnet-alt")
        XCTAssertEqual(mini.task, "classify")
        XCTAssertEqual(mini.summary, "ResNet-20 on Fashion-MNIST, 3 epochs")
        XCTAssertEqual(mini.dataset, "fashion-mnist")
        XCTAssertEqual(mini.reported, "resnet20-cifar10-error")
        XCTAssertEqual(mini.reportedNote, "paper: CIFAR-10 at 64k iterations; here Fashion-MNIST at mini scale")
        XCTAssertEqual(mini.line, 23)
        XCTAssertEqual(mini.config.map(\.0), ["epochs", "depth", "lr", "augment", "optimizer", "milestones"])
        XCTAssertEqual(mini.config.map(\.1), [.int(3), .int(20), .double(0.1), .bool(true), .string("sgd"),
                                              .list([.int(2), .int(3)])])
        XCTAssertEqual(mini.quick.map(\.0), ["epochs", "train_subset"])
        XCTAssertEqual(mini.quick.map(\.1), [.int(1), .int(2000)])
        XCTAssertEqual(mini.expect, [
            Expectation(metric: "test_accuracy", value: 0.905, tolerance: .absolute(0.012),
                        basis: "seeds 0-4: 0.897 0.903 0.911 0.905 0.909 (mean 0.905, sd 0.005); ±2.4 sd"),
            Expectation(metric: "test_loss", value: 0.27, tolerance: .relative(0.1),
                        basis: "seeds 0-4 [loss] # not a comment"),
        ])
        XCTAssertEqual(mini.expectQuick, [Expectation(metric: "test_accuracy", value: 0.75,
                                                      tolerance: .absolute(0.05), basis: "quick, seeds 0-2")])
        XCTAssertTrue(mini.variants.isEmpty)
        XCTAssertTrue(mini.claims.isEmpty)

        let deg = card.experiments[1]
        XCTAssertEqual(deg.plugin, "resnet")  // defaults to the card id
        XCTAssertNil(deg.task)
        XCTAssertNil(deg.reported)
        XCTAssertNil(deg.reportedNote)
        XCTAssertTrue(deg.quick.isEmpty)
        XCTAssertTrue(deg.expect.isEmpty && deg.expectQuick.isEmpty)
        XCTAssertEqual(deg.variants.map(\.0), ["plain8", "plain32", "resnet32"])
        XCTAssertEqual(deg.variants[0].1.map(\.0), ["depth", "plain"])
        XCTAssertEqual(deg.variants[0].1.map(\.1), [.int(8), .bool(true)])
        XCTAssertEqual(deg.variants[2].1.map(\.1), [.int(32), .bool(false)])
        XCTAssertEqual(deg.claims, [
            Claim(statement: "A deeper plain net has higher training error than a shallower one",
                  paper: "Fig. 6 (left)", metric: "final_train_error", left: "plain32", op: .greater,
                  right: "plain8", margin: 0.01, recordedOutcome: true,
                  observed: "plain-32 0.131 vs plain-8 0.104, 3 seeds"),
            Claim(statement: "ResNet-32 trains no worse than plain-32", paper: "Fig. 6",
                  metric: "final_train_error", left: "resnet32", op: .lessOrEqual, right: "plain32",
                  margin: 0, recordedOutcome: false, observed: "resnet-32 0.140 vs plain-32 0.131, 3 seeds"),
        ])
    }

    func testOtherTOMLFormsGiveTheSameOrderAndLines() throws {
        // Table headers instead of inline tables, dotted keys, an inline list of expectations,
        // quoted keys and multi-line strings holding brackets: order and lines still right.
        // (A dotted key inside a config makes a nested table, which is not a config value.)
        let text = """
        id = "p"
        title = '''A title with [brackets] and # hashes'''
        authors = [
          "One",  # a comment
          "Two",
        ]
        venue = "V"
        year = 2000

        [experiments."b-exp"]
        summary = \"\"\"two
        lines { = \"\"\"
        dataset = "d"
        expect = [
          { metric = "m", value = 1, tolerance = 0.5, basis = "x" },
          { metric = "n", value = 2, rel_tolerance = 0.5, basis = "y" },
        ]

        [experiments."b-exp".config]
        zeta = 1
        alpha.beta = 2
        "quoted key" = "v"

        [experiments.a-exp]
        summary = "s"
        dataset = "d"
        quick.zz = 1
        quick.aa = [1.5, 2]
        """
        // A dotted TOML key is a sub-table: it reaches the config as the dotted key of a nested struct.
        let dotted = try PaperCard.parse(text, file: "x.toml").experiments[0]
        XCTAssertEqual(dotted.config.map(\.0), ["zeta", "alpha.beta", "quoted key"])
        XCTAssertEqual(dotted.error(at: ["config", "alpha.beta"], "m").line, 21)
        let card = try PaperCard.parse(text.replacingOccurrences(of: "alpha.beta = 2", with: "alpha = 2"),
                                       file: "x.toml")
        XCTAssertEqual(card.title, "A title with [brackets] and # hashes")
        XCTAssertEqual(card.authors, ["One", "Two"])
        XCTAssertEqual(card.experiments.map(\.name), ["b-exp", "a-exp"])
        let b = card.experiments[0]
        XCTAssertEqual(b.summary, "two\nlines { = ")
        XCTAssertEqual(b.expect.map(\.metric), ["m", "n"])
        XCTAssertEqual(b.expect[1].tolerance, .relative(0.5))
        XCTAssertEqual(b.line, 10)
        XCTAssertEqual(b.config.map(\.0), ["zeta", "alpha", "quoted key"])
        XCTAssertEqual(b.config.map(\.1), [.int(1), .int(2), .string("v")])
        XCTAssertEqual(b.error(at: ["config", "quoted key"], "m").line, 22)
        let a = card.experiments[1]
        XCTAssertEqual(a.quick.map(\.0), ["zz", "aa"])
        XCTAssertEqual(a.quick[1].1, .list([.double(1.5), .int(2)]))
        XCTAssertEqual(a.error(at: ["quick", "aa"], "m").line, 28)
        // A byte-order mark (some editors write one) changes nothing.
        let bom = try PaperCard.parse("\u{FEFF}" + CardTests.fullCard, file: "r.toml")
        XCTAssertEqual(bom.experiments[1].variants.map(\.0), ["plain8", "plain32", "resnet32"])
        XCTAssertEqual(bom.experiments[0].line, 23)
    }

    func testResolvedConfigAppliesQuickThenVariantAndLocatesKeys() throws {
        let card = try PaperCard.parse(CardTests.fullCard.replacingOccurrences(
            of: "config = { epochs = 2 }", with: "config = { epochs = 2, depth = 4 }\nquick = { epochs = 1, depth = 2 }"),
            file: "Papers/resnet.toml")
        let deg = card.experiments[1]
        let full = deg.resolvedConfig(variant: "plain32", quick: false)
        XCTAssertEqual(full.map(\.0), ["epochs", "depth", "plain"])
        XCTAssertEqual(full.map(\.1), [.int(2), .int(32), .bool(true)])
        // Quick shrinks the run, but the variant keeps its depth.
        let quick = deg.resolvedConfig(variant: "plain32", quick: true)
        XCTAssertEqual(dict(quick), ["epochs": .int(1), "depth": .int(32), "plain": .bool(true)])
        XCTAssertEqual(dict(deg.resolvedConfig(quick: true)), ["epochs": .int(1), "depth": .int(2)])
        let mini = card.experiments[0]
        XCTAssertEqual(dict(mini.resolvedConfig(quick: true))["train_subset"], .int(2000))
        XCTAssertEqual(mini.error(at: ["config", "depth"], "unknown config key 'depth'").description,
                       "Papers/resnet.toml:30: unknown config key 'depth'")
        XCTAssertEqual(deg.error(at: ["variants", "resnet32", "plain"], "x").line, 60)
        XCTAssertEqual(deg.error(at: ["nothing"], "x").line, deg.line)
    }

    // MARK: Errors, one line each with FILE:LINE

    func testSyntaxErrorGivesTheLineFromTOMLPlusPlus() {
        let got = problems("value = 0.9", "value = = 0.9")
        XCTAssertEqual(got.count, 1)
        XCTAssertTrue(got.first?.hasPrefix("Papers/toy.toml:22: TOML syntax error: ") ?? false, "\(got)")
        XCTAssertThrowsError(try PaperCard.parse("id = \"x\"\nyear = [1, \n", file: "f.toml")) { e in
            XCTAssertEqual((e as? CardError)?.file, "f.toml")
            XCTAssertNotNil((e as? CardError)?.line)
        }
    }

    func testUnknownKeyWithSuggestion() {
        // The typo alone is reported: the missing 'tolerance' is what it already says.
        assertOnly(problems("tolerance = 0.01", "tolerence = 0.01"),
                   "Papers/toy.toml:23: unknown key 'tolerence' in [[experiments.toy-mini.expect]] (did you mean 'tolerance'?)")
        assertOnly(problems("year = 2020", "yaer = 2020"),
                   "Papers/toy.toml:5: unknown key 'yaer' in the top level (did you mean 'year'?)")
        assertOnly(problems("reported = \"err\"", "reportd = \"err\""),
                   "Papers/toy.toml:17: unknown key 'reportd' in [experiments.toy-mini] (did you mean 'reported'?)")
        assertOnly(problems("config = { epochs = 2 }", "config = { epochs = 2 }\nflavour = 1"),
                   "Papers/toy.toml:19: unknown key 'flavour' in [experiments.toy-mini]")
        assertOnly(problems("outcome = \"holds\"", "outcome = \"holds\"\nmargn = 0.1"),
                   "Papers/toy.toml:40: unknown key 'margn' in [[experiments.toy-claims.claims]] (did you mean 'margin'?)")
    }

    func testMissingRequiredKey() {
        assertOnly(problems("basis = \"seeds 0-4\"", ""),
                   "Papers/toy.toml:20: missing required key 'basis' in [[experiments.toy-mini.expect]]")
        assertOnly(problems("summary = \"a toy\"", ""),
                   "Papers/toy.toml:14: missing required key 'summary' in [experiments.toy-mini]")
        assertOnly(problems("id = \"toy\"", ""), "Papers/toy.toml:1: missing required key 'id' in the top level")
        assertOnly(problems("source = \"Table 1\"", ""),
                   "Papers/toy.toml:7: missing required key 'source' in [reported.err]")
        assertOnly(problems("observed = \"0.9 vs 0.8\"", ""),
                   "Papers/toy.toml:34: missing required key 'observed' in [[experiments.toy-claims.claims]]")
    }

    func testWrongTypes() {
        assertOnly(problems("value = 0.9", "value = \"high\""),
                   "Papers/toy.toml:22: 'value' in [[experiments.toy-mini.expect]] must be a number, not the string \"high\"")
        assertOnly(problems("year = 2020", "year = 2020.5"),
                   "Papers/toy.toml:5: 'year' in the top level must be an integer, not the number 2020.5")
        assertOnly(problems("authors = [\"A. Author\"]", "authors = \"A. Author\""),
                   "Papers/toy.toml:3: 'authors' in the top level must be a non-empty list of strings, not the string \"A. Author\"")
        assertOnly(problems("tolerance = 0.01", "tolerance = -0.01"),
                   "Papers/toy.toml:23: 'tolerance' in [[experiments.toy-mini.expect]] must be a finite, non-negative number, not -0.01")
        assertOnly(problems("basis = \"seeds 0-4\"", "basis = \"  \""),
                   "Papers/toy.toml:24: 'basis' in [[experiments.toy-mini.expect]] is empty")
        assertOnly(problems("config = { epochs = 2 }", "config = { epochs = 2, opt = { lr = 1, at = 1979-05-27 } }"),
                   "Papers/toy.toml:18: 'at' in [experiments.toy-mini.config.opt] must be a number, true/false, a string, "
                   + "a list of them or a table of them, not a date or time")
        assertOnly(problems("small = { depth = 2 }", "small = 2"),
                   "Papers/toy.toml:31: 'small' in [experiments.toy-claims.variants] must be a table, not the integer 2")
    }

    func testInlineConfigTablesGiveDottedKeysInFileOrder() throws {
        let text = CardTests.toy.replacingOccurrences(of: "config = { epochs = 2 }",
                                                      with: "config = { adam = { beta1 = 0.95, beta2 = 0.99 }, epochs = 2 }")
        let e = try PaperCard.parse(text, file: "t.toml").experiments[0]
        XCTAssertEqual(e.config.map(\.0), ["adam.beta1", "adam.beta2", "epochs"])
        XCTAssertEqual(e.config.map(\.1), [.double(0.95), .double(0.99), .int(2)])
    }

    func testToleranceMustBeExactlyOneOfTwo() {
        assertOnly(problems("basis = \"seeds 0-4\"", "basis = \"seeds 0-4\"\nrel_tolerance = 0.02"),
                   "Papers/toy.toml:25: [[experiments.toy-mini.expect]] has both 'tolerance' and 'rel_tolerance'; give exactly one")
        assertOnly(problems("tolerance = 0.01", ""),
                   "Papers/toy.toml:20: [[experiments.toy-mini.expect]] needs 'tolerance' (absolute) or 'rel_tolerance' (a fraction of the value)")
    }

    func testAtLeastAndAtMostAreOneSidedBounds() throws {
        func parsed(_ entry: String) throws -> Expectation {
            let text = CardTests.toy.replacingOccurrences(of: "value = 0.9\ntolerance = 0.01", with: entry)
            XCTAssertNotEqual(text, CardTests.toy)
            return try XCTUnwrap(PaperCard.parse(text, file: "t.toml").experiments[0].expect.first)
        }
        let floor = try parsed("at_least = 0.85")
        XCTAssertEqual(floor.side, .atLeast)
        XCTAssertEqual(floor.value, 0.85)
        XCTAssertEqual(floor.expectedText, "≥ 0.85")
        XCTAssertTrue(floor.check(0.85).passed, "the edge is included")
        XCTAssertTrue(floor.check(100).passed)
        XCTAssertFalse(floor.check(0.85 - 1e-9).passed)
        XCTAssertFalse(floor.check(.nan).passed)
        XCTAssertFalse(floor.check(.infinity).passed)
        XCTAssertEqual(floor.check(0.9).text, "test_accuracy 0.9 meets ≥ 0.85 ✓")
        XCTAssertEqual(floor.check(0.84).text, "test_accuracy 0.84 misses ≥ 0.85 ✗")
        XCTAssertEqual(floor.check(0.8499999).text, "test_accuracy 0.8499999 misses ≥ 0.85 ✗")
        XCTAssertEqual(floor.allowedRange.upperBound, .infinity)

        let ceiling = try parsed("at_most = 6.5")
        XCTAssertEqual(ceiling.side, .atMost)
        XCTAssertEqual(ceiling.expectedText, "≤ 6.5")
        XCTAssertTrue(ceiling.check(6.5).passed)
        XCTAssertTrue(ceiling.check(-3).passed)
        XCTAssertFalse(ceiling.check(6.5 + 1e-9).passed)
        XCTAssertFalse(ceiling.check(-.infinity).passed)
        XCTAssertEqual(ceiling.check(7.1).text, "test_accuracy 7.1 misses ≤ 6.5 ✗")
        XCTAssertEqual(ceiling.allowedRange.lowerBound, -.infinity)
    }

    func testAnExpectationHasOneForm() {
        assertOnly(problems("value = 0.9", "value = 0.9\nat_least = 0.8"),
                   "Papers/toy.toml:23: [[experiments.toy-mini.expect]] has both 'value' and 'at_least'; give one: "
                   + "'value' with a tolerance, 'at_least' (a floor) or 'at_most' (a ceiling)")
        assertOnly(problems("value = 0.9", "at_least = 0.9"),
                   "Papers/toy.toml:23: 'tolerance' in [[experiments.toy-mini.expect]] goes with 'value', not with 'at_least' (a bound has none)")
        assertOnly(problems("value = 0.9\ntolerance = 0.01", ""),
                   "Papers/toy.toml:20: [[experiments.toy-mini.expect]] needs 'value' with 'tolerance' or 'rel_tolerance', "
                   + "or one bound: 'at_least' or 'at_most'")
        assertOnly(problems("value = 0.9\ntolerance = 0.01", "at_most = \"high\""),
                   "Papers/toy.toml:22: 'at_most' in [[experiments.toy-mini.expect]] must be a number, not the string \"high\"")
        // A misspelt bound is one error, with a suggestion, and no "needs" besides.
        let typo = problems("value = 0.9\ntolerance = 0.01", "at_lest = 0.8")
        XCTAssertEqual(typo.count, 1, "\(typo)")
        XCTAssertTrue(typo.first?.contains("did you mean 'at_least'?") ?? false, "\(typo)")
    }

    func testUnknownReportedKey() {
        assertOnly(problems("reported = \"err\"", "reported = \"error\""),
                   "Papers/toy.toml:17: reported = 'error' in [experiments.toy-mini] is not a key of [reported] (did you mean 'err'?)")
    }

    func testClaimNamingAnUnknownVariant() {
        assertOnly(problems("compare = \"large > small\"", "compare = \"larg > small\""),
                   "Papers/toy.toml:38: compare 'larg > small' in [[experiments.toy-claims.claims]] names unknown variant 'larg' (did you mean 'large'?); variants: small, large")
        assertOnly(problems("compare = \"large > small\"", "compare = \"large >= large\""),
                   "Papers/toy.toml:38: compare 'large >= large' in [[experiments.toy-claims.claims]] compares a variant with itself")
    }

    func testBadCompareSyntax() {
        for bad in ["large >> small", "large beats small", "large >", "> small", "large = small", "large small < x y"] {
            assertOnly(problems("compare = \"large > small\"", "compare = \"\(bad)\""),
                       "Papers/toy.toml:38: compare '\(bad)' in [[experiments.toy-claims.claims]] is not SIDE OP SIDE (a side is VARIANT or VARIANT.METRIC) with OP one of > < >= <=")
        }
    }

    /// `VARIANT.METRIC` sides compare two metrics of the same runs (prompt ensembling against
    /// one prompt, on one trained network); `metric` may then be left out.
    func testAClaimCanCompareTwoMetricsOfTheSameRuns() throws {
        let pair = "metric = \"accuracy\"\ncompare = \"large > small\""
        XCTAssertTrue(CardTests.toy.contains(pair))
        let text = CardTests.toy.replacingOccurrences(of: pair, with: "compare = \"large.ensemble_accuracy > large.accuracy\"")
        let claim = try XCTUnwrap(PaperCard.parse(text, file: "t.toml").experiments[1].claims.first)
        XCTAssertEqual(claim.compareText, "large.ensemble_accuracy > large.accuracy")
        XCTAssertEqual([claim.left, claim.right, claim.leftMetric, claim.rightMetric],
                       ["large", "large", "ensemble_accuracy", "accuracy"])
        let v = try claim.evaluate(means: ["large": ["ensemble_accuracy": 0.85, "accuracy": 0.83], "small": [:]])
        XCTAssertEqual([v.leftValue, v.rightValue], [0.85, 0.83])
        XCTAssertEqual(v.text, "✓ larger is better: large.ensemble_accuracy 0.85 > large.accuracy 0.83 holds, as recorded")
        XCTAssertFalse(try claim.evaluate(means: ["large": ["ensemble_accuracy": 0.82, "accuracy": 0.83]]).observedHolds)
        // One side naming its metric, the other taking the claim's.
        let mixed = try XCTUnwrap(PaperCard.parse(CardTests.toy.replacingOccurrences(of: "compare = \"large > small\"",
            with: "compare = \"large.probe_accuracy > small\""), file: "t.toml").experiments[1].claims.first)
        XCTAssertEqual(mixed.compareText, "large.probe_accuracy > small.accuracy")
        XCTAssertEqual(try mixed.evaluate(means: ["large": ["probe_accuracy": 0.9], "small": ["accuracy": 0.8]]).leftValue, 0.9)

        assertOnly(problems(pair, "compare = \"large.accuracy > large.accuracy\""),
                   "Papers/toy.toml:37: compare 'large.accuracy > large.accuracy' in [[experiments.toy-claims.claims]] compares a variant with itself")
        assertOnly(problems(pair, "compare = \"large. > small.accuracy\""),
                   "Papers/toy.toml:37: compare 'large. > small.accuracy' in [[experiments.toy-claims.claims]]: a side is VARIANT or VARIANT.METRIC, not 'large.'")
        assertOnly(problems(pair, "compare = \"large.accuracy > small\""),
                   "Papers/toy.toml:34: missing required key 'metric' in [[experiments.toy-claims.claims]]")
        assertOnly(problems(pair, "compare = \"huge.accuracy > large.accuracy\""),
                   "Papers/toy.toml:37: compare 'huge.accuracy > large.accuracy' in [[experiments.toy-claims.claims]] names unknown variant 'huge'; variants: small, large")
    }

    func testOutcomeMustBeHoldsOrDoesNotHold() {
        assertOnly(problems("outcome = \"holds\"", "outcome = \"maybe\""),
                   "Papers/toy.toml:39: outcome 'maybe' in [[experiments.toy-claims.claims]] must be \"holds\" or \"does not hold\"")
        assertOnly(problems("outcome = \"holds\"", "outcome = \"Holds\""),
                   "Papers/toy.toml:39: outcome 'Holds' in [[experiments.toy-claims.claims]] must be \"holds\" or \"does not hold\"")
    }

    func testClaimsRequireVariants() {
        let text = "[experiments.toy-claims.variants]\nsmall = { depth = 2 }\nlarge = { depth = 8 }"
        assertOnly(problems(text, "#\n#\n#"),
                   "Papers/toy.toml:34: [experiments.toy-claims] has claims but no variants to compare; add [experiments.toy-claims.variants]")
    }

    func testFactorScalesTheRightSideAndMustBePositive() throws {
        // "tanh takes more than 6 × relu's steps".
        let six = Claim(statement: "s", paper: "Fig. 1", metric: "steps", left: "tanh", op: .greater, right: "relu",
                        factor: 6, recordedOutcome: true, observed: "o")
        XCTAssertEqual(six.compareText, "tanh > 6 × relu")
        XCTAssertTrue(try six.evaluate(means: ["tanh": ["steps": 700], "relu": ["steps": 100]]).observedHolds)
        let v = try six.evaluate(means: ["tanh": ["steps": 500], "relu": ["steps": 100]])
        XCTAssertFalse(v.observedHolds)
        XCTAssertEqual(v.text, "✗ s: steps tanh 500 > 6 × relu 100 does not hold, but the card records holds")
        let card = try PaperCard.parse(CardTests.toy.replacingOccurrences(of: "compare = \"large > small\"",
                                                                          with: "compare = \"large > small\"\nfactor = 1.5"), file: "t.toml")
        XCTAssertEqual(card.experiments[1].claims[0].factor, 1.5)
        assertOnly(problems("compare = \"large > small\"", "compare = \"large > small\"\nfactor = 0"),
                   "Papers/toy.toml:39: 'factor' in [[experiments.toy-claims.claims]] must be positive (1: a plain comparison)")
    }

    func testQuickOutcomeIsRecordedSeparately() throws {
        let card = try PaperCard.parse(CardTests.toy.replacingOccurrences(
            of: "outcome = \"holds\"", with: "outcome = \"holds\"\noutcome_quick = \"does not hold\""), file: "t.toml")
        let c = card.experiments[1].claims[0]
        XCTAssertTrue(c.recorded(quick: false))
        XCTAssertFalse(c.recorded(quick: true))
        let m: [String: [String: Double]] = ["large": ["accuracy": 0.7], "small": ["accuracy": 0.8]]
        XCTAssertFalse(try c.evaluate(means: m).matchesRecorded)
        XCTAssertTrue(try c.evaluate(means: m, quick: true).matchesRecorded)
        // Without outcome_quick, quick runs are held to the full outcome.
        XCTAssertTrue(try PaperCard.parse(CardTests.toy, file: "t.toml").experiments[1].claims[0].recorded(quick: true))
        assertOnly(problems("outcome = \"holds\"", "outcome = \"holds\"\noutcome_quick = \"sometimes\""),
                   "Papers/toy.toml:40: outcome_quick 'sometimes' in [[experiments.toy-claims.claims]] must be \"holds\" or \"does not hold\" or \"not judged\"")
        assertOnly(problems("outcome = \"holds\"", "outcome = \"not judged\""),
                   "Papers/toy.toml:39: outcome 'not judged' in [[experiments.toy-claims.claims]] must be \"holds\" or \"does not hold\"")
        // "not judged": quick runs show the comparison and pass either way; full runs are judged.
        let unjudged = try PaperCard.parse(CardTests.toy.replacingOccurrences(
            of: "outcome = \"holds\"", with: "outcome = \"holds\"\noutcome_quick = \"not judged\""), file: "t.toml").experiments[1].claims[0]
        XCTAssertEqual(unjudged.recordedText(quick: true), "not judged")
        XCTAssertEqual(unjudged.recordedText(quick: false), "holds")
        let q = try unjudged.evaluate(means: m, quick: true)
        XCTAssertTrue(q.matchesRecorded)
        XCTAssertEqual(q.text, "✓ larger is better: accuracy large 0.7 > small 0.8 does not hold, not judged at quick scale")
        XCTAssertFalse(try unjudged.evaluate(means: m, quick: false).matchesRecorded)
    }

    func testExpectationsOfOneVariant() throws {
        let text = CardTests.toy + "\n\n[[experiments.toy-claims.expect]]\nmetric = \"accuracy\"\nvalue = 0.9\n"
            + "tolerance = 0.05\nbasis = \"seeds 0-4\"\nvariant = \"large\"\n"
        let e = try PaperCard.parse(text, file: "t.toml").experiments[1]
        XCTAssertEqual(e.expect.map(\.variant), ["large"])
        XCTAssertEqual(e.expectations(quick: false, variant: "large").count, 1)
        XCTAssertTrue(e.expectations(quick: false, variant: nil).isEmpty)
        XCTAssertTrue(e.expectations(quick: false, variant: "small").isEmpty)
        XCTAssertTrue(e.expectations(quick: true, variant: "large").isEmpty)
        let bad = PaperCard.check(text.replacingOccurrences(of: "variant = \"large\"", with: "variant = \"lrage\""),
                                  file: "t.toml").errors.map(\.description)
        XCTAssertEqual(bad, ["t.toml:47: variant 'lrage' in [[experiments.toy-claims.expect]] is not a variant of the "
                             + "experiment (did you mean 'large'?); variants: small, large"])
    }

    func testFigureNeedsMetricsAndVariants() throws {
        let figure = "figure = { metrics = [\"train_error\", \"test_error\"], title = \"Fig. 1\", y_max = 0.2 }\n"
        let card = try PaperCard.parse(CardTests.toy.replacingOccurrences(
            of: "summary = \"claims\"\n", with: "summary = \"claims\"\n" + figure), file: "t.toml")
        XCTAssertEqual(card.experiments[1].figure, FigureSpec(metrics: ["train_error", "test_error"], title: "Fig. 1", yMax: 0.2))
        XCTAssertNil(card.experiments[0].figure)
        assertOnly(problems("summary = \"claims\"\n", "summary = \"claims\"\nfigure = { title = \"x\" }\n"),
                   "Papers/toy.toml:28: missing required key 'metrics' in [experiments.toy-claims.figure]")
        assertOnly(problems("config = { epochs = 2 }\n", "config = { epochs = 2 }\nfigure = { metrics = [\"loss\"] }\n"),
                   "Papers/toy.toml:19: [experiments.toy-mini] has a figure but no variants to draw; add [experiments.toy-mini.variants]")
    }

    func testEveryProblemIsReportedInLineOrderAndParseThrowsTheFirst() throws {
        let text = CardTests.toy
            .replacingOccurrences(of: "outcome = \"holds\"", with: "outcome = \"maybe\"")
            .replacingOccurrences(of: "value = 0.9", with: "value = \"high\"")
            .replacingOccurrences(of: "year = 2020", with: "yaer = 2020")
        let errors = PaperCard.check(text, file: "t.toml")
        XCTAssertNil(errors.card)
        XCTAssertEqual(errors.errors.map(\.line), [5, 22, 39])
        XCTAssertThrowsError(try PaperCard.parse(text, file: "t.toml")) { e in
            XCTAssertEqual(e as? CardError, errors.errors[0])
        }
    }

    // MARK: A folder of cards

    func testFolderLoadsTheGoodCardAndReportsTheBadOne() throws {
        let dir = try tempDir()
        try CardTests.toy.write(toFile: dir + "/good.toml", atomically: true, encoding: .utf8)
        let bad = CardTests.fullCard.replacingOccurrences(of: "tolerance = 0.012", with: "tolerence = 0.012")
        try bad.write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        try "not a card".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let (cards, errors) = CardLibrary.load(dirs: [dir])
        XCTAssertEqual(cards.map(\.id), ["toy"])
        XCTAssertEqual(errors.map(\.description),
                       ["\(dir)/bad.toml:36: unknown key 'tolerence' in [[experiments.resnet-mini.expect]] (did you mean 'tolerance'?)"])
        let library = CardLibrary(cards: cards)
        XCTAssertEqual(library.experiment(named: "toy-claims")?.1.summary, "claims")
        XCTAssertEqual(library.experiment(named: "toy-claims")?.0.id, "toy")
        XCTAssertNil(library.experiment(named: "resnet-mini"))
    }

    func testDuplicateExperimentAcrossFilesNamesBothFiles() throws {
        let dir = try tempDir()
        try CardTests.toy.write(toFile: dir + "/a.toml", atomically: true, encoding: .utf8)
        try CardTests.toy.replacingOccurrences(of: "id = \"toy\"", with: "id = \"toy2\"")
            .replacingOccurrences(of: "[experiments.toy-claims]", with: "[experiments.other]")
            .replacingOccurrences(of: "experiments.toy-claims.", with: "experiments.other.")
            .write(toFile: dir + "/b.toml", atomically: true, encoding: .utf8)
        let (cards, errors) = CardLibrary.load(dirs: [dir])
        XCTAssertEqual(cards.map(\.id), ["toy"])
        XCTAssertEqual(errors.map(\.description),
                       ["\(dir)/b.toml:14: experiment 'toy-mini' is also defined in \(dir)/a.toml:14, loaded first; \(dir)/b.toml is skipped (experiment names must be unique across cards)"])
    }

    func testDuplicateCardIDAndShadowedFileAndMissingFolder() throws {
        let dir1 = try tempDir(), dir2 = try tempDir()
        try CardTests.toy.write(toFile: dir1 + "/toy.toml", atomically: true, encoding: .utf8)
        // The same file name later on the path is replaced by the first, with a warning.
        try "broken = = =".write(toFile: dir2 + "/toy.toml", atomically: true, encoding: .utf8)
        // A different file with the same card id is an error.
        let same = CardTests.toy.replacingOccurrences(of: "toy-mini", with: "x-mini")
            .replacingOccurrences(of: "toy-claims", with: "x-claims")
        try ("# copy\n" + same).write(toFile: dir2 + "/copy.toml", atomically: true, encoding: .utf8)
        let (cards, errors) = CardLibrary.load(dirs: [dir1, dir2, dir1 + "/nope"])
        XCTAssertEqual(cards.map(\.file), [dir1 + "/toy.toml"])
        XCTAssertEqual(errors.map(\.description), [
            "\(dir2)/copy.toml:2: card id 'toy' is also the id of \(dir1)/toy.toml, loaded first; \(dir2)/copy.toml is skipped (card ids must be unique)",
            "\(dir2)/toy.toml: skipped: \(dir1)/toy.toml, earlier on the card search path, has the same file name and replaces it",
            "\(dir1)/nope: no such folder of paper cards",
        ])
    }

    func testExperimentNameSuggestion() {
        let library = CardLibrary(cards: [try! PaperCard.parse(CardTests.fullCard, file: "r.toml")])
        XCTAssertEqual(library.suggestion(for: "resnet-mni"), "resnet-mini")
        XCTAssertEqual(library.suggestion(for: "resnet-degradaton"), "resnet-degradation")
        XCTAssertEqual(library.suggestion(for: "resnet-degr"), "resnet-degradation")
        XCTAssertNil(library.suggestion(for: "transformer-mini"))
        XCTAssertEqual(library.card(id: "resnet")?.experiments.count, 2)
        XCTAssertEqual(library.experiments.map(\.experiment.name), ["resnet-mini", "resnet-degradation"])
    }

    func testSearchPathOrderAndSourceTree() throws {
        let env = try tempDir()
        setenv("REPRO_PAPERS", env + ":/no/such/dir", 1)
        defer { unsetenv("REPRO_PAPERS") }
        let path = CardLibrary.searchPath(explicit: "/explicit/missing")
        XCTAssertEqual(Array(path.prefix(2)), ["/explicit/missing", env])
        XCTAssertFalse(path.contains("/no/such/dir"))
        // The source tree's Papers/ (recorded at build time) is this repository's.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        XCTAssertEqual(CardLibrary.sourceTreePapers, root.appendingPathComponent("Papers").path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: CardLibrary.sourceTreePapers + "/FORMAT.md"))
        let resolved = path.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        XCTAssertTrue(resolved.contains(URL(fileURLWithPath: CardLibrary.sourceTreePapers).resolvingSymlinksInPath().path))
        // The same folder twice (explicit and env) is listed once.
        XCTAssertEqual(CardLibrary.searchPath(explicit: env).filter { $0 == env }.count, 1)
    }

    // MARK: Expectations

    func testAbsoluteToleranceEdges() {
        let e = Expectation(metric: "test_accuracy", value: 0.905, tolerance: .absolute(0.012), basis: "b")
        XCTAssertTrue(e.check(0.917).passed)
        XCTAssertTrue(e.check(0.893).passed)
        XCTAssertFalse(e.check(0.917 + 1e-9).passed)
        XCTAssertFalse(e.check(0.893 - 1e-9).passed)
        XCTAssertFalse(e.check(.nan).passed)
        XCTAssertFalse(e.check(.infinity).passed)
        XCTAssertEqual(e.check(0.903).text, "test_accuracy 0.903 within 0.905 ± 0.012 ✓")
        XCTAssertEqual(e.check(0.87).text, "test_accuracy 0.87 outside 0.905 ± 0.012 ✗")
        // Enough digits that the printed number does not seem to contradict the verdict.
        XCTAssertEqual(e.check(0.9170004).text, "test_accuracy 0.9170004 outside 0.905 ± 0.012 ✗")
        XCTAssertEqual(e.check(0.90312345).text, "test_accuracy 0.9031 within 0.905 ± 0.012 ✓")
        let v = e.check(0.9)
        XCTAssertEqual(v.observed, 0.9)
        XCTAssertEqual(v.allowed.lowerBound, 0.893, accuracy: 1e-12)
        XCTAssertEqual(v.allowed.upperBound, 0.917, accuracy: 1e-12)
        // Zero tolerance: exactly the value.
        let exact = Expectation(metric: "m", value: 3, tolerance: .absolute(0), basis: "b")
        XCTAssertTrue(exact.check(3).passed)
        XCTAssertFalse(exact.check(3.000001).passed)
    }

    func testRelativeToleranceEdges() {
        let e = Expectation(metric: "loss", value: 2, tolerance: .relative(0.05), basis: "b")
        XCTAssertTrue(e.check(2.1).passed)
        XCTAssertTrue(e.check(1.9).passed)
        XCTAssertFalse(e.check(2.1 + 1e-9).passed)
        XCTAssertFalse(e.check(1.9 - 1e-9).passed)
        XCTAssertEqual(e.check(2.05).text, "loss 2.05 within 2 ± 5% ✓")
        // The distance is a fraction of |value|, also for a negative value.
        let neg = Expectation(metric: "m", value: -40, tolerance: .relative(0.025), basis: "b")
        XCTAssertTrue(neg.check(-41).passed)
        XCTAssertTrue(neg.check(-39).passed)
        XCTAssertFalse(neg.check(-41.001).passed)
        XCTAssertEqual(neg.check(-39).allowed.lowerBound, -41, accuracy: 1e-12)
        XCTAssertEqual(neg.check(-39).allowed.upperBound, -39, accuracy: 1e-12)
    }

    // MARK: Claims

    func claim(_ op: Claim.Operator, margin: Double = 0, recorded: Bool = true) -> Claim {
        Claim(statement: "s", paper: "Fig. 1", metric: "err", left: "a", op: op, right: "b",
              margin: margin, recordedOutcome: recorded, observed: "o")
    }

    func means(_ a: Double, _ b: Double) -> [String: [String: Double]] {
        ["a": ["err": a, "other": 0], "b": ["err": b]]
    }

    func testClaimOperators() throws {
        let cases: [(Claim.Operator, Double, Double, Bool)] = [
            (.greater, 2, 1, true), (.greater, 1, 1, false), (.greater, 1, 2, false),
            (.greaterOrEqual, 2, 1, true), (.greaterOrEqual, 1, 1, true), (.greaterOrEqual, 1, 2, false),
            (.less, 1, 2, true), (.less, 1, 1, false), (.less, 2, 1, false),
            (.lessOrEqual, 1, 2, true), (.lessOrEqual, 1, 1, true), (.lessOrEqual, 2, 1, false),
        ]
        for (op, a, b, expected) in cases {
            let v = try claim(op).evaluate(means: means(a, b))
            XCTAssertEqual(v.observedHolds, expected, "\(a) \(op.rawValue) \(b)")
            XCTAssertEqual(v.leftValue, a)
            XCTAssertEqual(v.rightValue, b)
        }
        XCTAssertEqual(Claim.parseCompare("plain32>=plain8")?.op, .greaterOrEqual)
        XCTAssertEqual(Claim.parseCompare(" x <= y ")?.left, "x")
        XCTAssertEqual(Claim.parseCompare("x < y")?.right, "y")
    }

    func testClaimMargin() throws {
        // The left must beat the right by MORE than the margin (> <), or at least it (>= <=).
        XCTAssertTrue(try claim(.greater, margin: 0.5).evaluate(means: means(2, 1.25)).observedHolds)
        XCTAssertFalse(try claim(.greater, margin: 0.5).evaluate(means: means(2, 1.5)).observedHolds)
        XCTAssertTrue(try claim(.greaterOrEqual, margin: 0.5).evaluate(means: means(2, 1.5)).observedHolds)
        XCTAssertFalse(try claim(.greaterOrEqual, margin: 0.5).evaluate(means: means(2, 1.75)).observedHolds)
        XCTAssertTrue(try claim(.less, margin: 0.5).evaluate(means: means(1, 1.75)).observedHolds)
        XCTAssertFalse(try claim(.less, margin: 0.5).evaluate(means: means(1, 1.5)).observedHolds)
        XCTAssertTrue(try claim(.lessOrEqual, margin: 0.5).evaluate(means: means(1, 1.5)).observedHolds)
        XCTAssertFalse(try claim(.lessOrEqual, margin: 0.5).evaluate(means: means(1, 1.25)).observedHolds)
    }

    func testMatchesRecordedIsTheVerifyCriterion() throws {
        // Recorded "does not hold" and still does not hold: verify passes.
        let stillNot = try claim(.greater, recorded: false).evaluate(means: means(1, 2))
        XCTAssertFalse(stillNot.observedHolds)
        XCTAssertTrue(stillNot.matchesRecorded)
        XCTAssertEqual(stillNot.text, "✓ s: err a 1 > b 2 does not hold, as recorded")
        // Recorded "holds" and holds.
        XCTAssertTrue(try claim(.greater, recorded: true).evaluate(means: means(2, 1)).matchesRecorded)
        // Flips either way fail.
        let lost = try claim(.greater, recorded: true).evaluate(means: means(1, 2))
        XCTAssertFalse(lost.matchesRecorded)
        XCTAssertEqual(lost.text, "✗ s: err a 1 > b 2 does not hold, but the card records holds")
        let gained = try claim(.greater, margin: 0.25, recorded: false).evaluate(means: means(2, 1))
        XCTAssertFalse(gained.matchesRecorded)
        XCTAssertEqual(gained.text, "✗ s: err a 2 > b 1 + margin 0.25 holds, but the card records does not hold")
    }

    func testClaimFromACardAndMissingData() throws {
        let card = try PaperCard.parse(CardTests.fullCard, file: "r.toml")
        let claims = card.experiments[1].claims
        let m: [String: [String: Double]] = [
            "plain8": ["final_train_error": 0.104], "plain32": ["final_train_error": 0.131],
            "resnet32": ["final_train_error": 0.140],
        ]
        let first = try claims[0].evaluate(means: m)
        XCTAssertTrue(first.observedHolds && first.matchesRecorded)  // 0.131 - 0.104 > 0.01
        let second = try claims[1].evaluate(means: m)
        XCTAssertFalse(second.observedHolds)
        XCTAssertTrue(second.matchesRecorded)  // recorded "does not hold"
        XCTAssertThrowsError(try claims[0].evaluate(means: ["plain8": ["final_train_error": 0.1]])) { e in
            XCTAssertEqual("\(e)", "claim '\(claims[0].statement)': no runs of variant 'plain32'")
        }
        XCTAssertThrowsError(try claims[0].evaluate(means: ["plain8": ["final_train_error": 0.1],
                                                            "plain32": ["final_train_eror": 0.1]])) { e in
            XCTAssertEqual("\(e)", "claim '\(claims[0].statement)': variant 'plain32' has no metric "
                           + "'final_train_error' (did you mean 'final_train_eror'?)")
        }
        XCTAssertThrowsError(try claims[0].evaluate(means: ["plain8": ["final_train_error": 0.1],
                                                            "plain32": ["final_train_error": .nan]]))
    }
}

/// Papers/FORMAT.md must stay true: its example is a valid card, and its listed errors are
/// exactly what the listed mistakes give.
final class CardFormatDocTests: XCTestCase {
    func testFormatDocExampleAndItsErrors() throws {
        let doc = try String(contentsOfFile: CardLibrary.sourceTreePapers + "/FORMAT.md", encoding: .utf8)
        let start = try XCTUnwrap(doc.range(of: "```toml\n"))
        let end = try XCTUnwrap(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let example = String(doc[start.upperBound..<end.lowerBound])
        let card = try PaperCard.parse(example, file: "Papers/resnet.toml")
        XCTAssertEqual(card.experiments.map(\.name), ["resnet-mini", "resnet-degradation"])
        XCTAssertEqual(card.experiments[0].expect.count, 2)
        XCTAssertEqual(card.experiments[0].expectQuick.count, 1)
        XCTAssertEqual(card.experiments[1].variants.map(\.0), ["plain8", "plain32", "resnet32"])
        XCTAssertEqual(card.experiments[1].claims.map(\.compareText), ["plain32 > plain8", "resnet32 < plain32"])

        func firstReplaced(_ old: String, _ new: String) -> String {
            guard let r = example.range(of: old) else { XCTFail("no '\(old)' in the example"); return example }
            return example.replacingCharacters(in: r, with: new)
        }
        let basis = "basis = \"seeds 0-4: 0.897 0.903 0.911 0.905 0.909 (mean 0.905, sd 0.005); ±2.4 sd\""
        let mistakes: [(String, String)] = [
            ("tolerance = 0.012", "tolerence = 0.012"),
            ("value = 0.905", "value = \"high\""),
            (basis, ""),
            (basis, basis + "\nrel_tolerance = 0.02"),
            ("reported = \"resnet20-cifar10-error\"", "reported = \"resnet20-cifar-error\""),
            ("compare = \"plain32 > plain8\"", "compare = \"plain33 > plain8\""),
            ("compare = \"plain32 > plain8\"", "compare = \"plain32 >> plain8\""),
            ("outcome = \"holds\"", "outcome = \"maybe\""),
            ("value = 0.905", "value = = 0.905"),
        ]
        for (old, new) in mistakes {
            let errors = PaperCard.check(firstReplaced(old, new), file: "Papers/resnet.toml").errors
            XCTAssertEqual(errors.count, 1, "\(new): \(errors)")
            for e in errors {
                XCTAssertTrue(doc.contains("\n" + e.description + "\n"), "FORMAT.md does not list: \(e)")
            }
        }
    }
}
