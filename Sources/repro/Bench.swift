import ArgumentParser
import ReproKit

/// `repro bench WHAT`: speed measurements as JSON lines (never part of the tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON line per case.",
        discussion: "WHAT is `ops` (the tensor core's kernels beside bare sgemm and memory bandwidth).")

    @Argument(help: "What to measure: ops.")
    var what: String

    @Option(help: "Threads for our pool and OpenBLAS (default: all cores).")
    var threads: Int = Threads.defaultCount

    @Flag(help: "Smaller sizes, for a smoke run.")
    var quick = false

    func run() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        switch what {
        case "ops":
            OpsBench.run(threads: threads, quick: quick) { print($0.jsonLine) }
        default:
            throw ValidationError("unknown benchmark '\(what)'; known: ops")
        }
    }
}
