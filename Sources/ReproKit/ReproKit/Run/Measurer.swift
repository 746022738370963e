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
    /// (`MeasuredTolerance`) to each metric of `metricsToMeasure`. With `reuse`, a seed that
    /// already has a completed run of the same config under `artifacts` (`completedRun`) is
    /// counted from its folder instead of run again, so that a measurement of hour-long runs
    /// can be stopped and picked up, and each reused folder is logged with its commit.
    public func measure(card: PaperCard, experiment e: ExperimentSpec, variant: String?, seeds: [UInt64], quick: Bool,
                        metrics asked: [String], threads: Int, artifacts: URL, progress: Bool,
                        reuse: Bool = false) throws -> [MetricMeasurement] {
        guard seeds.count >= 2 else { throw MeasureError.tooFewSeeds(seeds.count) }
        let metrics = try e.metricsToMeasure(quick: quick, variant: variant, asked: asked)
        func check(_ run: RunSummary) throws {
            guard run.outcome == "completed" else {
                throw MeasureError.runStopped(seed: run.seed, outcome: run.outcome, message: run.message ?? run.outcome)
            }
            let reported = run.metrics.keys.sorted()
            for m in metrics where run.metrics[m] == nil {
                throw MeasureError.unknownMetric(m, reported: reported, suggestion: CardSuggest.closest(to: m, in: reported))
            }
        }
        var runs: [RunSummary] = []
        for seed in seeds {
            if reuse, let found = try completedRun(card: card, experiment: e, variant: variant, seed: seed, quick: quick,
                                                   artifacts: artifacts) {
                // A run from before a metric existed is run again rather than counted.
                if let missing = metrics.first(where: { found.summary.metrics[$0] == nil }) {
                    log("seed \(seed): \(found.folder.url.path) has no metric '\(missing)'; running the seed again")
                } else {
                    log("seed \(seed): counting \(found.folder.url.path) (commit \(found.record.gitCommit), "
                        + "\(found.record.threads) thread(s)), not running it again")
                    runs.append(found.summary)
                    continue
                }
            }
            runs += try runSeeds(card: card, experiment: e, variant: variant, seeds: [seed], quick: quick,
                                 threads: threads, artifacts: artifacts, progress: progress, afterEach: check)
        }
        return try metrics.map { m in
            MetricMeasurement(metric: m, measured: try MeasuredTolerance(seeds: runs.map(\.seed),
                                                                          values: runs.map { $0.metrics[m]! }))
        }
    }

    /// The latest completed run folder under `artifacts` of this experiment (or variant), seed
    /// and quick flag, made by the same plugin, version and task, whose resolved config is
    /// exactly the one a new run would get (no `--set`): a run that `measure --reuse` may count
    /// instead of running it again. Folders that cannot be read, and runs that stopped, are
    /// passed over.
    public func completedRun(card: PaperCard, experiment e: ExperimentSpec, variant: String?, seed: UInt64,
                             quick: Bool, artifacts: URL) throws -> (folder: RunFolder, record: RunRecord, summary: RunSummary)? {
        // A variant that is another experiment runs in that experiment's folder: not reused.
        if let variant, e.variantExperiments[variant] != nil { return nil }
        let (loaded, kind) = try task(for: e)
        let config = try resolveConfig(kind, e, variant: variant, quick: quick, overrides: [])
        let parent = artifacts.appendingPathComponent(e.name + (variant.map { "/" + $0 } ?? ""))
        let suffix = "-s\(seed)" + (quick ? "-quick" : "")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names.sorted(by: >) where name.hasSuffix(suffix) {
            let folder = RunFolder(url: parent.appendingPathComponent(name))
            guard let record = try? folder.readJSON(RunRecord.self, from: "config.json"),
                  let summary = try? folder.readJSON(RunSummary.self, from: "summary.json"),
                  summary.outcome == "completed", record.seed == seed, record.quick == quick,
                  record.variant == variant, record.overrides.isEmpty, record.configJSON == config.json,
                  record.plugin == loaded.plugin.id, record.pluginVersion == loaded.plugin.version, record.task == kind.name
            else { continue }
            return (folder, record, summary)
        }
        return nil
    }
}
