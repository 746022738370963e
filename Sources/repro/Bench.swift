import ArgumentParser
import ReproKit

/// `repro bench WHAT`: speed measurements as JSON lines (never part of the tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON line per case.",
        discussion: """
            WHAT is `ops` (the tensor core's kernels beside bare sgemm and memory bandwidth), `data` \
            (the text pipeline on the offline EN–ES corpus: read, split, train BPE, encode, batch an \
            epoch), `sample-quality` (the fixed classifier's reference statistics, then scoring 1000 \
            samples: FID, confidence, histogram), or an experiment's name (training examples/s of its task, at 1 and 2 threads \
            unless --threads, then its inference on --items inputs where the task has one: beam-search \
            sentences/s for translation).
            """)

    @OptionGroup var locations: Locations

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Option(help: "Training steps to time.")
    var steps: Int = 20

    @Option(help: "Inputs for the inference timing of an experiment (0: none).")
    var items: Int = 64

    @Argument(help: "What to measure: ops, data, sample-quality, or an experiment.")
    var what: String

    @Option(help: "Threads for our pool and OpenBLAS (default: all cores; for experiments: 1 and 2).")
    var threads: Int?

    @Flag(help: "Smaller sizes, for a smoke run.")
    var quick = false

    func run() throws {
        if what == "ops" {
            OpsBench.run(threads: try threadCount(threads), quick: quick) { print($0.jsonLine) }
            return
        }
        if what == "sample-quality" {
            do {
                for r in try SampleQualityBench.run(samples: quick ? 200 : 1000, threads: try threadCount(threads)) {
                    print(r.jsonLine)
                }
            } catch { throw fail(error) }
            return
        }
        if what == "data" {
            do {
                for r in try DataBench.run(vocabularySize: quick ? 1000 : 8000, maxTokens: 4096) { print(r.jsonLine) }
            } catch { throw fail(error) }
            return
        }
        let ws = locations.workspace()
        do {
            let (card, e) = try ws.experiment(what)
            let runner = ExperimentRunner(plugins: ws.plugins)
            for t in threads.map({ [$0] }) ?? [1, 2] {
                let results = try TrainingBench.run(runner: runner, card: card, experiment: e, overrides: overrides,
                                                    threads: try threadCount(t), steps: steps, inferenceItems: items,
                                                    label: overrides.isEmpty ? "card config" : overrides.joined(separator: " "))
                for r in results { print(r.jsonLine) }
            }
        } catch { throw fail(error) }
    }
}
