import XCTest
import ReproKit

/// What a run needs at its end is checked before it trains, and numeric options read
/// negative numbers as values: each problem one line, before any run folder exists.
final class RunStartChecksTests: XCTestCase {
    var dir: URL!
    var artifacts: URL { dir.appendingPathComponent("artifacts") }

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: try makeTemporaryFolder("repro-start"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func repro(_ args: String..., env: [String: String] = [:]) throws -> CLITests.Output {
        try CLITests.Running(args, papers: CLITests.fixturePapers, artifacts: artifacts, env: env).wait()
    }

    func testAMissingOrBrokenFontStopsTheRunBeforeItTrains() throws {
        let missing = dir.appendingPathComponent("nope.ttf").path
        let o = try repro("run", "selftest-mini", env: ["REPRO_FONT": missing])
        XCTAssertEqual(o.status, 1)
        XCTAssertEqual(o.errorLines, ["repro: font DejaVuSans.ttf not found (looked in \(missing) ($REPRO_FONT)); install "
            + "Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core, or scripts/setup) or set REPRO_FONT to a .ttf file"])
        XCTAssertEqual(o.stdout, "", "nothing trained")

        let notAFont = dir.appendingPathComponent("font.ttf").path
        try "not a font".write(toFile: notAFont, atomically: true, encoding: .utf8)
        let broken = try repro("run", "selftest-mini", env: ["REPRO_FONT": notAFont])
        XCTAssertEqual(broken.status, 1)
        XCTAssertEqual(broken.errorLines.count, 1, broken.stderr)
        XCTAssertTrue(broken.errorLines[0].hasPrefix("repro: cannot load font '\(notAFont)' (FreeType error "), broken.stderr)
        XCTAssertTrue(broken.errorLines[0].hasSuffix("set REPRO_FONT to a .ttf file, or unset it to use DejaVu Sans "
            + "(apt-get install fonts-dejavu-core)"), broken.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.path), "no run folder")
    }

    func testANegativeSeedIsNamedNotReadAsAMissingValue() throws {
        for args in [["run", "selftest-mini", "--seed", "-1"], ["verify", "selftest-mini", "--first-seed", "-1"]] {
            let o = try CLITests.Running(args, papers: CLITests.fixturePapers, artifacts: artifacts, env: [:]).wait()
            XCTAssertEqual(o.status, 64)
            let option = args[2]
            XCTAssertEqual(o.errorLines.first, "Error: The value '-1' is invalid for '\(option) <\(option.dropFirst(2))>': "
                           + "a seed is a whole number from 0 to \(UInt64.max)", o.stderr)
        }
        let threads = try repro("run", "selftest-mini", "--threads", "-2")
        XCTAssertEqual(threads.status, 1)
        XCTAssertEqual(threads.errorLines, ["repro: --threads must be between 1 and 256, got -2"])
        let seeds = try repro("verify", "selftest-mini", "--seeds", "-3")
        XCTAssertEqual(seeds.errorLines.first, "Error: --seeds must be at least 1", seeds.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.path), "no run folder")
    }

    /// Huge integers trapped on overflow inside the plugin (epochs × batches, the sampler's
    /// batch count) with a 45-line backtrace; now the key and value in one line, no run folder.
    func testAHugeIntegerIsOneLineNotAnOverflowTrap() throws {
        for key in ["epochs", "batch_size"] {
            let o = try repro("run", "selftest-mini", "--set", "\(key)=9223372036854775807")
            XCTAssertEqual(o.status, 1, o.stderr)
            XCTAssertEqual(o.errorLines, ["repro: config key '\(key)' must be between -2147483648 and 2147483647 "
                                          + "(a config Int has 32 bits), got 9223372036854775807"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.path), "no run folder")
    }
}
