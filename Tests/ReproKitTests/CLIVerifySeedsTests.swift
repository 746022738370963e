import XCTest
import Foundation
import ReproKit

/// `repro verify --random-seeds` and `--seed-list` through the real binary on the SelfTest
/// plugin: fresh seeds printed first, run as printed, and rerun exactly.
extension CLITests {
    /// --random-seeds draws seeds far from those the cards use, prints them first, runs on
    /// them; --seed-list reruns exactly those, with the same numbers.
    func testVerifyOnFreshRandomSeedsPrintsThemAndSeedListRerunsThem() throws {
        let o = try repro("verify", "selftest-mini", "--random-seeds", "2")
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        let line = try XCTUnwrap(o.stdout.split(separator: "\n").first { $0.hasPrefix("seeds: ") }, o.stdout)
        let seeds = line.dropFirst("seeds: ".count).split(separator: " ").prefix(2).compactMap { UInt64($0) }
        XCTAssertEqual(seeds.count, 2, String(line))
        XCTAssertNotEqual(seeds[0], seeds[1])
        XCTAssertTrue(seeds.allSatisfy { $0 >= 1_000_000 && $0 < 1 << 31 }, "\(seeds)")
        XCTAssertTrue(line.hasSuffix("(drawn fresh; rerun them with --seed-list \(seeds[0]),\(seeds[1]))"), String(line))
        let first = try summaries("selftest-mini")
        XCTAssertEqual(Set(first.keys), Set(seeds), "the runs used the printed seeds")
        for s in seeds {
            XCTAssertTrue(o.stdout.split(separator: "\n").contains { $0.hasPrefix("selftest-mini  expect  \(s) ") && $0.contains("pass") },
                          o.stdout)
        }

        try FileManager.default.removeItem(at: artifacts.appendingPathComponent("selftest-mini"))
        let again = try repro("verify", "selftest-mini", "--seed-list", "\(seeds[0]),\(seeds[1])")
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertFalse(again.stdout.contains("seeds: "), "only drawn seeds are announced")
        let second = try summaries("selftest-mini")
        // Every metric but the timing is the seed's.
        func trained(_ run: RunSummary?) -> [String: Double]? { run?.metrics.filter { $0.key != "train_examples_per_second" } }
        for s in seeds {
            XCTAssertEqual(trained(second[s]), trained(first[s]), "seed \(s) reproduced")
            XCTAssertEqual(trained(second[s])?.count, 5)
        }

        let both = try repro("verify", "selftest-mini", "--random-seeds", "2", "--seed-list", "1,2")
        XCTAssertEqual(both.status, 64)
        XCTAssertEqual(both.errorLines.first, "Error: give one of --random-seeds, --seed-list, or --seeds/--first-seed")
    }
}
