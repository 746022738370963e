import Foundation

extension ExperimentSpec {
    /// The metrics `repro measure` measures: `asked`, or else those this experiment asserts on
    /// these runs (`expect` or `expect_quick`, of the variant or the experiment's own
    /// config), in card order without repeats. None is an error that says to name some.
    public func metricsToMeasure(quick: Bool, variant: String?, asked: [String]) throws -> [String] {
        var names: [String] = []
        for m in asked.isEmpty ? expectations(quick: quick, variant: variant).map(\.metric) : asked
        where !names.contains(m) { names.append(m) }
        guard !names.isEmpty else {
            throw MeasureError.nothingToMeasure(experiment: name, section: (quick ? "expect_quick" : "expect")
                                                + (variant.map { " for variant '\($0)'" } ?? ""))
        }
        return names
    }
}

extension ExperimentRunner {
    /// Runs every seed as an ordinary run folder (`runSeeds`), stopping at the first run that
    /// does not complete or that lacks a metric, and applies the tolerance rule
    /// (`MeasuredTolerance`) to each metric of `metricsToMeasure`.
    public func measure(card: PaperCard, experiment e: ExperimentSpec, variant: String?, seeds: [UInt64], quick: Bool,
                        metrics asked: [String], threads: Int, artifacts: URL,
                        progress: Bool) throws -> [MetricMeasurement] {
        guard seeds.count >= 2 else { throw MeasureError.tooFewSeeds(seeds.count) }
        let metrics = try e.metricsToMeasure(quick: quick, variant: variant, asked: asked)
        let runs = try runSeeds(card: card, experiment: e, variant: variant, seeds: seeds, quick: quick,
                                threads: threads, artifacts: artifacts, progress: progress) { run in
            guard run.outcome == "completed" else {
                throw MeasureError.runStopped(seed: run.seed, outcome: run.outcome, message: run.message ?? run.outcome)
            }
            let reported = run.metrics.keys.sorted()
            for m in metrics where run.metrics[m] == nil {
                throw MeasureError.unknownMetric(m, reported: reported, suggestion: CardSuggest.closest(to: m, in: reported))
            }
        }
        return try metrics.map { m in
            MetricMeasurement(metric: m, measured: try MeasuredTolerance(seeds: runs.map(\.seed),
                                                                          values: runs.map { $0.metrics[m]! }))
        }
    }
}
