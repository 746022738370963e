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
