import Foundation

extension ExperimentRunner {
    /// Runs the experiment (or one variant of it) once per seed, in order, each into its own
    /// run folder: the one way `repro verify` and `repro measure` run a set of seeds.
    /// `afterEach` sees every run as it ends and may throw to stop the rest (`measure` stops
    /// at a run that did not complete); an interrupted run (Ctrl-C) always ends the set,
    /// since the user asked to stop, not to skip one seed.
    public func runSeeds(card: PaperCard, experiment: ExperimentSpec, variant: String? = nil, seeds: [UInt64],
                         quick: Bool, threads: Int, artifacts: URL, progress: Bool,
                         afterEach: (RunSummary) throws -> Void = { _ in }) throws -> [RunSummary] {
        var summaries: [RunSummary] = []
        for seed in seeds {
            let summary = try run(RunRequest(card: card, experiment: experiment, variant: variant, seed: seed,
                                             quick: quick, threads: threads, artifacts: artifacts, progress: progress))
            summaries.append(summary)
            try afterEach(summary)
            if summary.outcome == "interrupted" { break }
        }
        return summaries
    }
}
