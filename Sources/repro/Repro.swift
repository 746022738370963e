import ArgumentParser
import ReproKit

/// The `repro` command line: argument parsing and printing only; the work is in ReproKit.
@main
struct Repro: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repro",
        abstract: "Reproduce deep-learning papers at mini scale on a CPU.",
        subcommands: [Bench.self])
}
