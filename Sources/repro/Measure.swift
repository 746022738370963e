import ArgumentParser
import Foundation
import ReproKit

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run seeds and derive the card's value and tolerance for each asserted metric.",
        discussion: """
            Prints each metric's value per seed, n, mean, sd, min and max, and an [[experiments.NAME.expect]] \
            (or expect_quick) table to paste into the card: value the middle of the observed range, tolerance \
            the larger of the range's width and 3 sd (CONTRIBUTING.md, section 9).
            """)
    @OptionGroup var locations: Locations
    @Argument(help: "The experiment's name (see `repro list`).") var experiment: String
    @Flag(help: "The quick variant, measured for expect_quick.") var quick = false
    @Option(parsing: .unconditional, help: "How many seeds (default: 5, or 20 with --quick; the project's minimum).")
    var seeds: Int?
    @Option(parsing: .unconditional, help: "The first seed.", transform: parseSeed) var firstSeed: UInt64 = 0
    @Option(help: "Measure one variant of the card (its entry gets variant = V).") var variant: String?
    @Option(parsing: .unconditional, help: "Threads for our pool and OpenBLAS (default: all cores).") var threads: Int?
    @Option(name: .customLong("metric"), help: "A metric to measure (repeatable; default: those the card asserts).")
    var metrics: [String] = []
    @Option(name: .customLong("at-least"), help: ArgumentHelp(
        "Write this metric's entry as a floor, at_least = the interval's lower edge (repeatable).", valueName: "metric"))
    var floors: [String] = []
    @Option(name: .customLong("at-most"), help: ArgumentHelp(
        "Write this metric's entry as a ceiling, at_most = the interval's upper edge (repeatable).", valueName: "metric"))
    var ceilings: [String] = []
    @Flag(help: ArgumentHelp("Count a seed's completed run already under the artifacts root (same experiment, variant "
                             + "and config) instead of running it again; each one is named with its commit."))
    var reuse = false

    func run() throws {
        let ws = locations.workspace()
        do {
            let (card, e) = try ws.experiment(experiment)
            let count = seeds ?? MeasuredTolerance.minimumSeeds(quick: quick)
            guard count >= 2 else { throw MeasureError.tooFewSeeds(count) }
            let measured = try e.metricsToMeasure(quick: quick, variant: variant, asked: metrics)   // before the warning
            if let both = floors.first(where: ceilings.contains) {
                throw MeasureError.invalid("--at-least \(both) and --at-most \(both): a metric's entry is a floor or a ceiling, not both")
            }
            if let stray = (floors + ceilings).first(where: { !measured.contains($0) }) {
                throw MeasureError.invalid("'\(stray)' is not measured; measured: \(measured.joined(separator: ", "))"
                                      + " (name it with --metric too)")
            }
            let minimum = MeasuredTolerance.minimumSeeds(quick: quick)
            if count < minimum {
                printError("warning: \(count) seeds measured; the project's minimum for a tolerance is \(minimum) "
                           + "\(quick ? "quick" : "full") runs (CONTRIBUTING.md, section 9)")
            }
            let results = try ExperimentRunner(plugins: ws.plugins).measure(
                card: card, experiment: e, variant: variant, seeds: (0..<UInt64(count)).map { firstSeed + $0 }, quick: quick,
                metrics: metrics, threads: try threadCount(threads), artifacts: locations.artifactsURL, progress: true,
                reuse: reuse)
            for r in results { printMeasurement(r) }
            print("")
            print("# for \(e.file), in [experiments.\(e.name)] (replacing the entries of the same metric):")
            print(results.map { r in
                let side: Expectation.Side = floors.contains(r.metric) ? .atLeast : ceilings.contains(r.metric) ? .atMost : .both
                return r.cardEntry(experiment: e.name, quick: quick, variant: variant, side: side)
            }.joined(separator: "\n\n"))
        } catch MeasureError.runStopped(let seed, "interrupted", let message) {
            printError("repro: \(MeasureError.runStopped(seed: seed, outcome: "interrupted", message: message))")
            throw ExitCode(130)
        } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}

/// A metric's values per seed and their statistics.
func printMeasurement(_ r: MetricMeasurement) {
    let m = r.measured
    func number(_ x: Double) -> String { String(format: "%.6g", x) }
    print("")
    print("\(r.metric):")
    for (seed, value) in zip(m.seeds, m.values) { print("  seed \(seed)  \(number(value))") }
    print("  n \(m.values.count)  mean \(number(m.mean))  sd \(number(m.sd))  min \(number(m.min))  max \(number(m.max))")
}
