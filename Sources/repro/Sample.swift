import ArgumentParser
import Foundation
import ReproKit

/// `repro sample RUN`: new samples from a trained generative model's checkpoint.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw new samples from a run's checkpoint (a generative model: ddpm-mini, …).",
        discussion: """
            Restores RUN/checkpoint.h5 (the weights and the task's state, e.g. the EMA) and writes \
            pictures into RUN/samples/, named by seed and count. --set changes sampling settings \
            only (e.g. --set sampler=ancestral --set sample_steps=1000).
            """)
    @OptionGroup var locations: Locations
    @Argument(help: "The run folder (artifacts/<experiment>/<run-id>).") var runDirectory: String
    @Option(name: .customLong("n"), parsing: .unconditional, help: "How many samples (1 to 4096).") var count: Int = 64
    @Option(parsing: .unconditional, help: "The random stream of the noise the samples start from.", transform: parseSeed)
    var seed: UInt64 = 1
    @Option(name: .customLong("set"), help: "Override a sampling setting: --set sample_steps=20 (repeatable).")
    var overrides: [String] = []
    @Option(parsing: .unconditional, help: "Threads for our pool and OpenBLAS (default: all cores).") var threads: Int?

    func run() throws {
        guard (1...4096).contains(count) else { throw fail(ValidationError("--n must be between 1 and 4096, got \(count)")) }
        let ws = locations.workspace()
        do {
            var runner = ExperimentRunner(plugins: ws.plugins)
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                runner.checkpointCheck = [exe, CheckCheckpoint.name]
            }
            let files = try runner.sample(URL(fileURLWithPath: runDirectory), cards: ws.cards, count: count, seed: seed,
                                          overrides: overrides, threads: try threadCount(threads))
            for f in files { print(f) }
        } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}
