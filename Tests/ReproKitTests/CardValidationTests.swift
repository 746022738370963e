import XCTest
import ReproKit

/// Cards checked against their plugins as they load (`repro list`, `info`, `run`), duplicate
/// cards, and how many warnings one card may print.
final class CardValidationTests: XCTestCase {
    var dir: URL!
    var papers: URL { dir.appendingPathComponent("papers") }

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: try makeTemporaryFolder("repro-cards"))
        try FileManager.default.createDirectory(at: papers, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func repro(_ args: String..., papers: String? = nil, env: [String: String] = [:]) throws -> CLITests.Output {
        try CLITests.Running(args, papers: papers ?? self.papers.path, artifacts: dir.appendingPathComponent("artifacts"),
                             env: env).wait()
    }

    static let fixture = try! String(contentsOfFile: CLITests.fixturePapers + "/selftest.toml", encoding: .utf8)

    /// The fixture card with `edits` applied, written as `name` into the papers folder.
    @discardableResult
    func card(_ name: String = "selftest.toml", edits: [(String, String)] = []) throws -> (path: String, text: String) {
        var text = Self.fixture
        for (old, new) in edits {
            XCTAssertTrue(text.contains(old), "the fixture has no '\(old)'")
            text = text.replacingOccurrences(of: old, with: new)
        }
        let path = papers.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, text)
    }

    /// The 1-based line of `text` that starts with `prefix`.
    func line(_ text: String, _ prefix: String) -> Int {
        (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix(prefix) } ?? -1) + 1
    }

    // MARK: Cards against their plugins

    func testCardKeysTheTaskDoesNotHaveAreWarnedWhenTheCardLoads() throws {
        let (path, text) = try card(edits: [
            ("quick = { epochs = 6 }\n\n[[experiments.selftest-mini.expect]]",
             "quick = { epochs = \"six\", hiddn = 3 }\n\n[[experiments.selftest-mini.expect]]"),
            ("narrow = { hidden = 2 }", "narrow = { hidden = 0 }"),
            ("task = \"gan\"", "task = \"gann\""),
        ])
        let quick = line(text, "quick = { epochs = \"six\""), narrow = line(text, "narrow = "),
            gan = line(text, "[experiments.selftest-gan]")
        let expected = [
            "warning: \(path):\(quick): experiment 'selftest-mini', quick: config key 'epochs' needs an integer, got string \"six\"",
            "warning: \(path):\(quick): experiment 'selftest-mini', quick: unknown config key 'hiddn'; valid keys: "
                + "epochs, batch_size, lr, hidden, poison_at_step, slow_ms",
            "warning: \(path):\(narrow): experiment 'selftest-claims', variant 'narrow': invalid config: hidden = 0, must be ≥ 1",
            "warning: \(path):\(gan): experiment 'selftest-gan': plugin 'selftest' has no task 'gann' (it has: rings, gan)",
        ]
        for command in [["list"], ["info", "selftest-gan"]] {
            let o = try CLITests.Running(command, papers: papers.path, artifacts: dir, env: [:]).wait()
            XCTAssertEqual(o.errorLines.filter { $0.hasPrefix("warning: \(path)") }, expected, command.joined())
        }
        let list = try repro("list")
        let edited = ["selftest-mini ", "selftest-claims ", "selftest-gan "]
        let rows = list.stdout.split(separator: "\n").filter { row in edited.contains { row.hasPrefix($0) } }
        XCTAssertEqual(rows.count, 3, list.stdout)
        for row in rows { XCTAssertTrue(row.hasSuffix("card problem (see warnings)"), String(row)) }

        // A run that would use the bad value stops before anything is made.
        let run = try repro("run", "selftest-mini", "--quick")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.errorLines.last, "repro: \(path):\(quick): experiment 'selftest-mini', quick: "
                       + "config key 'epochs' needs an integer, got string \"six\"")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("artifacts").path))
    }

    func testTheShippedCardsFitTheirPlugins() throws {
        let o = try repro("list", papers: CLITests.root.appendingPathComponent("Papers").path)
        XCTAssertEqual(o.status, 0)
        XCTAssertEqual(o.errorLines.filter { $0.contains("experiment '") }, [], o.stderr)
        XCTAssertFalse(o.stdout.contains("card problem"), o.stdout)
    }

    // MARK: Duplicates

    func testDuplicateIDOrExperimentNamesBothFilesAndWhichIsSkipped() throws {
        let a = try card("a.toml").path
        let b = try card("b.toml", edits: [("id = \"selftest\"", "id = \"other\"")])
        let o = try repro("list")
        let mini = line(b.text, "[experiments.selftest-mini]")
        XCTAssertTrue(o.errorLines.contains(
            "warning: \(b.path):\(mini): experiment 'selftest-mini' is also defined in \(a):\(mini), loaded first; "
                + "\(b.path) is skipped (experiment names must be unique across cards)"), o.stderr)
        XCTAssertEqual(o.stdout.split(separator: "\n").filter { $0.hasPrefix("selftest-mini ") }.count, 1, o.stdout)

        try card("b.toml")
        let same = try repro("list")
        XCTAssertTrue(same.errorLines.contains(
            "warning: \(b.path):\(line(b.text, "id = ")): card id 'selftest' is also the id of \(a), loaded first; "
                + "\(b.path) is skipped (card ids must be unique)"), same.stderr)
    }

    func testACardWithTheSameFileNameLaterOnThePathIsNamedNotSilentlyDropped() throws {
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        // A card of another paper that happens to share the file name.
        let shadowed = other.appendingPathComponent("selftest.toml").path
        try Self.fixture.replacingOccurrences(of: "id = \"selftest\"", with: "id = \"mine\"")
            .write(toFile: shadowed, atomically: true, encoding: .utf8)
        let first = try card().path
        let o = try repro("list", env: ["REPRO_PAPERS": other.path])
        XCTAssertTrue(o.errorLines.contains(
            "warning: \(shadowed): skipped: \(first), earlier on the card search path, has the same file name and replaces it"),
            o.stderr)
    }

    // MARK: Many problems in one card

    func testACardWithThousandsOfUnknownKeysPrintsAFewWarnings() throws {
        let keys = (0..<20_000).map { "junk\($0) = \($0)" }.joined(separator: "\n")
        let (path, text) = try card(edits: [("year = 2026\n", "year = 2026\n" + keys + "\n")])
        let o = try repro("list")
        let lines = o.errorLines.filter { $0.hasPrefix("warning: \(path)") }
        XCTAssertEqual(lines.count, 6, lines.prefix(10).joined(separator: "\n"))
        XCTAssertEqual(lines.first, "warning: \(path):\(line(text, "junk0 = ")): unknown key 'junk0' in the top level")
        XCTAssertEqual(lines.last, "warning: \(path): … and 19995 more problems in this card")
    }
}
