import ArgumentParser
import Foundation
import ReproKit

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an experiment: checkpoint, draw, assert, report.",
        discussion: "Writes artifacts/<experiment>/<run-id>/ (config.json, metrics.jsonl, summary.json, checkpoint.h5, best.h5, curves.png, report.md).")
    @OptionGroup var locations: Locations
    @Argument(help: "The experiment's name (see `repro list`).") var experiment: String
    @Option(parsing: .unconditional, help: "The run's seed: same seed and thread count, same numbers.", transform: parseSeed)
    var seed: UInt64 = 0
    @Option(name: .customLong("set"), help: "Override a config key: --set lr=0.05 (repeatable).") var overrides: [String] = []
    @Flag(help: "The experiment's quick variant (seconds, for tests).") var quick = false
    @Option(help: "Run one variant of the card (see `repro info`); without it, an experiment with claims runs all its variants and judges the claims.") var variant: String?
    @Option(parsing: .unconditional, help: "Threads for our pool and OpenBLAS (default: all cores).") var threads: Int?
    @Option(help: "The artifacts root (same as --artifacts).") var out: String?

    func run() throws {
        let ws = locations.workspace()
        do {
            let (card, e) = try ws.experiment(experiment)
            let runner = ExperimentRunner(plugins: ws.plugins)
            if e.isStudy && variant == nil {
                let study = try runner.runStudy(
                    card: card, experiment: e, seeds: [seed], quick: quick, threads: try threadCount(threads),
                    artifacts: out.map { URL(fileURLWithPath: $0) } ?? locations.artifactsURL, overrides: overrides)
                printStudy(study)
                if study.outcome == "interrupted" { throw ExitCode(130) }
                if !study.passed { throw ExitCode(1) }
                return
            }
            let summary = try runner.run(RunRequest(
                card: card, experiment: e, variant: variant, seed: seed, quick: quick, overrides: overrides,
                threads: try threadCount(threads), artifacts: out.map { URL(fileURLWithPath: $0) } ?? locations.artifactsURL))
            printSummary(summary)
            if summary.outcome == "interrupted" { throw ExitCode(130) }
            if !summary.passed { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue an interrupted run from its folder's checkpoint.")
    @OptionGroup var locations: Locations
    @Argument(help: "The run folder (artifacts/<experiment>/<run-id>).") var runDirectory: String

    func run() throws {
        let ws = locations.workspace()
        do {
            var runner = ExperimentRunner(plugins: ws.plugins)
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                runner.checkpointCheck = [exe, CheckCheckpoint.name]
            }
            let summary = try runner.resume(URL(fileURLWithPath: runDirectory), cards: ws.cards)
            printSummary(summary)
            if summary.outcome == "interrupted" { throw ExitCode(130) }
            if !summary.passed { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}

func printSummary(_ s: RunSummary) {
    print("")
    if let m = s.message { print(m) }
    for a in s.assertions { print("\(a.passed ? "✓" : "✗") \(a.text)") }
    let metrics = s.metrics.keys.sorted().map { String(format: "%@ %.4f", $0, s.metrics[$0]!) }.joined(separator: "  ")
    print("metrics: \(metrics)")
    print("report: \(s.runDirectory)/report.md")
    print(s.passed ? "PASS" : (s.outcome == "completed" ? "FAIL: an assertion did not hold" : "STOPPED: \(s.outcome)"))
}

func printStudy(_ s: StudyOutcome) {
    print("")
    if let m = s.message { print(m) }
    for c in s.claims { print(c.text) }
    for a in s.assertions { print("\(a.passed ? "✓" : "✗") \(a.text)") }
    if let f = s.figure { print("figure: \(s.studyDirectory)/\(f)") }
    print("report: \(s.studyDirectory)/report.md")
    print(s.passed ? "PASS" : (s.outcome == "completed" ? "FAIL: a claim's outcome is not the recorded one" : "STOPPED: \(s.outcome)"))
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run experiments and check their assertions and claims; exit 1 on any miss.")
    @OptionGroup var locations: Locations
    @Argument(help: "Experiments to verify (or --all).") var experiments: [String] = []
    @Flag(help: "Every experiment of every card.") var all = false
    @Flag(help: "The quick variants, asserted with expect_quick.") var quick = false
    @Option(parsing: .unconditional, help: "How many seeds per experiment (default: 1).") var seeds: Int?
    @Option(parsing: .unconditional, help: "The first seed; the card's tolerances were set on seeds from 0, so fresh ones start at 100 (default).",
            transform: parseSeed)
    var firstSeed: UInt64?
    @Option(parsing: .unconditional, help: "Draw this many seeds afresh from the system's randomness (10^6 to 2^31), printed first; for a maintainer before a release, not for CI.")
    var randomSeeds: Int?
    @Option(parsing: .unconditional, help: "Exactly these seeds, separated by commas (to rerun the ones --random-seeds printed).",
            transform: parseSeedList)
    var seedList: [UInt64]?
    @Option(parsing: .unconditional, help: "Threads for our pool and OpenBLAS (default: all cores).") var threads: Int?

    func validate() throws {
        guard all || !experiments.isEmpty else { throw ValidationError("name experiments to verify, or pass --all") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        if let randomSeeds, randomSeeds < 1 { throw ValidationError("--random-seeds must be at least 1") }
        guard [randomSeeds != nil, seedList != nil, seeds != nil || firstSeed != nil].filter({ $0 }).count <= 1 else {
            throw ValidationError("give one of --random-seeds, --seed-list, or --seeds/--first-seed")
        }
    }

    func run() throws {
        let ws = locations.workspace()
        do {
            let chosen = all ? ws.cards.experiments.map { ($0.card, $0.experiment) } : try experiments.map { try ws.experiment($0) }
            let verifier = Verifier(runner: ExperimentRunner(plugins: ws.plugins), artifacts: locations.artifactsURL,
                                    threads: try threadCount(threads), progress: true)
            let seedList: [UInt64]
            if let randomSeeds {
                seedList = FreshSeeds.draw(randomSeeds)
                print("seeds: \(seedList.map(String.init).joined(separator: " ")) (drawn fresh; rerun them with "
                      + "--seed-list \(seedList.map(String.init).joined(separator: ",")))")
                // Before the first run's progress (written unbuffered), even into a log file.
                fflush(stdout)
            } else {
                seedList = self.seedList ?? (0..<UInt64(seeds ?? 1)).map { (firstSeed ?? 100) + $0 }
            }
            var rows: [VerifyRow] = []
            for (card, e) in chosen { rows += try verifier.verify(card, e, seeds: seedList, quick: quick) }
            print("")
            print(TextTable.render(header: ["experiment", "check", "seeds", "result", ""],
                                   rows: rows.map { [$0.experiment, $0.kind, $0.seeds.map(String.init).joined(separator: ","), $0.passed ? "pass" : "FAIL", $0.text] }))
            let failed = rows.filter { !$0.passed }.count
            print("verify: \(rows.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reproduced vs expected vs reported, from the artifacts.")
    @OptionGroup var locations: Locations
    @Flag(help: "Print markdown instead of a terminal table.") var markdown = false
    @Flag(help: "Compare the quick runs instead of the full ones.") var quick = false

    func run() throws {
        let ws = locations.workspace()
        let c = Comparison.build(cards: ws.cards, artifacts: locations.artifactsURL, quick: quick)
        print(markdown ? c.markdown : c.terminal)
    }
}
