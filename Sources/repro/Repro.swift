import ArgumentParser
import Foundation
import ReproKit

/// The `repro` command line: argument parsing and printing only; the work is in ReproKit.
@main
struct Repro: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repro",
        abstract: "Reproduce deep-learning papers at mini scale on a CPU.",
        discussion: """
            Exit codes: 0 success; 1 a run failed, an assertion or claim did not hold, or bad input \
            (the message says which and what to do); 130 interrupted by Ctrl-C (a checkpoint was saved).
            """,
        subcommands: [List.self, Info.self, Run.self, Resume.self, Sample.self, Verify.self, Measure.self, Compare.self,
                      DataCommand.self, Bench.self, BleuCommand.self, SampleClassifierCommand.self, ProbePlugin.self,
                      CheckCheckpoint.self])
}

/// Where plugins, cards and runs are.
struct Locations: ParsableArguments {
    @Option(help: "A folder of plugin libraries (searched before $REPRO_PLUGIN_PATH and the binary's folder).")
    var plugins: String?

    @Option(help: "A folder of paper cards (searched before $REPRO_PAPERS, ./Papers and the source tree).")
    var papers: String?

    @Option(help: "Where run folders go.")
    var artifacts: String = "artifacts"

    /// Loads the workspace and prints load problems as warnings on stderr. Each plugin
    /// library is loaded first in a child `repro probe-plugin` (once per file: the verdict is
    /// cached), so that one that crashes cannot take this process down.
    func workspace() -> Workspace {
        let ws = Workspace.load(plugins: plugins, papers: papers, probe: PluginProbe.forThisExecutable())
        for p in ws.problems { printError(p) }
        return ws
    }

    var artifactsURL: URL { URL(fileURLWithPath: artifacts) }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints a failure as one line and exits 1.
func fail(_ error: Error) -> ExitCode {
    printError("repro: \(error)")
    return ExitCode(1)
}

/// Parses `--seed` and `--first-seed`: a whole number from 0 to 2^64−1. Those options (and
/// the other numeric ones) parse `.unconditional`ly, so that `--seed -1` reaches here and is
/// refused as a negative seed instead of being taken for an option with the value missing.
func parseSeed(_ text: String) throws -> UInt64 {
    guard let seed = UInt64(text) else {
        throw ValidationError("a seed is a whole number from 0 to \(UInt64.max)")
    }
    return seed
}

/// Parses `--seed-list`: seeds separated by commas, as `--random-seeds` prints them.
func parseSeedList(_ text: String) throws -> [UInt64] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { try parseSeed(String($0)) }
}

/// Parses and checks `--threads`.
func threadCount(_ n: Int?) throws -> Int {
    guard let n else { return Threads.defaultCount }
    guard n >= 1 && n <= 256 else { throw ValidationError("--threads must be between 1 and 256, got \(n)") }
    return n
}

/// `repro probe-plugin PATH`, hidden: loads one plugin library and says so on stdout. The
/// host runs it in a child process before loading a library it has not seen (`PluginProbe`).
struct ProbePlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: PluginProbe.subcommand, abstract: "Load one plugin library (repro runs this in a child process).",
        shouldDisplay: false)
    @Argument(help: "The library.") var path: String

    func run() throws { PluginProbe.childMain(path: path) }
}

/// `repro check-checkpoint PATH`, hidden: reads one checkpoint and says so on stdout. `repro
/// resume` runs it in a child process first, since libhdf5 can crash on a damaged file.
struct CheckCheckpoint: ParsableCommand {
    static let name = "check-checkpoint"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "Read one checkpoint (repro resume runs this in a child process).", shouldDisplay: false)
    @Argument(help: "The checkpoint.") var path: String

    func run() throws { Checkpoint.childMain(path: path) }
}
