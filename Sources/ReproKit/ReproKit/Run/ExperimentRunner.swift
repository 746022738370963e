import Foundation

/// A problem running an experiment, said in one line with what to do.
public enum RunError: Error, CustomStringConvertible {
    case unknownExperiment(String, suggestion: String?)
    case unknownPlugin(String, experiment: String, available: [String])
    case unknownTask(String, plugin: String, available: [String])
    case unknownVariant(String, experiment: String, available: [String])
    case card(CardError)
    case config(String)
    case notARunFolder(String)

    public var description: String {
        switch self {
        case .unknownExperiment(let name, let suggestion):
            return "unknown experiment '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                + " (`repro list` shows them all)"
        case .unknownPlugin(let id, let exp, let available):
            return "experiment '\(exp)' needs plugin '\(id)', which is not loaded (loaded: "
                + (available.isEmpty ? "none" : available.joined(separator: ", "))
                + "); build it with scripts/build or point --plugins at it"
        case .unknownTask(let task, let plugin, let available):
            return "plugin '\(plugin)' has no task '\(task)' (it has: \(available.joined(separator: ", ")))"
        case .unknownVariant(let v, let exp, let available):
            return "experiment '\(exp)' has no variant '\(v)' (it has: \(available.joined(separator: ", ")))"
        case .card(let e):
            return e.description
        case .config(let text):
            return text
        case .notARunFolder(let path):
            return "\(path) is not a run folder (no config.json and checkpoint.h5); pass a folder under artifacts/<experiment>/"
        }
    }
}

/// What to run.
public struct RunRequest {
    public var card: PaperCard
    public var experiment: ExperimentSpec
    public var variant: String?
    public var seed: UInt64
    public var quick: Bool
    /// `--set key=value` texts, applied last.
    public var overrides: [String]
    public var threads: Int
    /// The artifacts root; the run folder goes in `<root>/<experiment>[/<variant>]/`.
    public var artifacts: URL
    /// Progress output.
    public var progress: Bool

    public init(card: PaperCard, experiment: ExperimentSpec, variant: String? = nil, seed: UInt64 = 0,
                quick: Bool = false, overrides: [String] = [], threads: Int = Threads.count,
                artifacts: URL, progress: Bool = true) {
        self.card = card; self.experiment = experiment; self.variant = variant; self.seed = seed
        self.quick = quick; self.overrides = overrides; self.threads = threads
        self.artifacts = artifacts; self.progress = progress
    }
}

/// Runs card experiments through their plugins: resolve the config, build the task, train
/// with the standard callbacks, then check the card's assertions and write the run folder.
public struct ExperimentRunner {
    public let plugins: [LoadedPlugin]
    public let log: (String) -> Void
    /// The `repro` binary and its hidden subcommand that reads one checkpoint
    /// (`repro check-checkpoint PATH`): with it, `resume` reads the checkpoint in a child first,
    /// because libhdf5 can die of SIGSEGV on a file whose metadata is damaged.
    public var checkpointCheck: [String]?

    public init(plugins: [LoadedPlugin], log: @escaping (String) -> Void = { print($0) }) {
        self.plugins = plugins
        self.log = log
    }

    /// The plugin and task an experiment names.
    public func task(for e: ExperimentSpec) throws -> (LoadedPlugin, TaskKind) {
        guard let loaded = plugins.first(where: { $0.plugin.id == e.plugin }) else {
            throw RunError.unknownPlugin(e.plugin, experiment: e.name, available: plugins.map(\.plugin.id))
        }
        let tasks = loaded.plugin.tasks
        guard let kind = e.task.map({ name in tasks.first { $0.name == name } }) ?? tasks.first else {
            throw RunError.unknownTask(e.task ?? "(first)", plugin: loaded.plugin.id, available: tasks.map(\.name))
        }
        return (loaded, kind)
    }

    /// Defaults ← card config ← quick ← variant ← `--set`, each checked against the task's
    /// config keys and types. Card problems name the card's file and line.
    public func resolveConfig(_ kind: TaskKind, _ e: ExperimentSpec, variant: String?, quick: Bool,
                              overrides: [String]) throws -> ConfigDict {
        if let problem = kind.configProblem {
            throw RunError.config("plugin '\(e.plugin)', task '\(kind.name)': \(problem.description); fix the plugin's config struct")
        }
        if let variant, e.variant(named: variant) == nil {
            throw RunError.unknownVariant(variant, experiment: e.name, available: e.variants.map(\.0))
        }
        var config = kind.defaults
        for (key, value) in e.resolvedConfig(variant: variant, quick: quick) {
            do { try config.set(key, value) } catch let error as ConfigError {
                let section = e.variant(named: variant ?? "")?.contains(where: { $0.0 == key }) == true
                    ? ["variants", variant!]
                    : (quick && e.quick.contains(where: { $0.0 == key }) ? ["quick"] : ["config"])
                throw RunError.card(Self.cardError(e, section: section, key: key, error))
            }
        }
        for text in overrides {
            do { try config.apply(override: text) } catch let error as ConfigError {
                throw RunError.config(error.description)
            }
        }
        return config
    }

    /// What a run needs only at its end, checked before it trains: the font of curves.png and
    /// of the task's drawings (`$REPRO_FONT` or DejaVu Sans), so that a missing or broken one
    /// is one line now and not a failure after hours of training.
    static func checkResourcesForTheEnd() throws {
        _ = try Font.dejaVuSans()
    }

    /// What is wrong between an experiment's card and its plugin, found as the card loads
    /// and before anything runs: a task the plugin does not have; keys of `config`, `quick`
    /// or a variant that the task's config does not have, of the wrong type or out of range.
    /// One error per key, naming the file and line, the experiment and the table. None when
    /// the plugin is not loaded (`repro list` says so) or its config struct is broken (the
    /// plugin's own warning says so).
    public func cardProblems(_ e: ExperimentSpec) -> [CardError] {
        guard plugins.contains(where: { $0.plugin.id == e.plugin }) else { return [] }
        let kind: TaskKind
        do { (_, kind) = try task(for: e) } catch {
            return [CardError(file: e.file, line: e.line, "experiment '\(e.name)': \(error)")]
        }
        guard kind.configProblem == nil else { return [] }
        var sections: [([String], [(String, ConfigValue)])] = [(["config"], e.config), (["quick"], e.quick)]
        for (name, pairs) in e.variants { sections.append((["variants", name], pairs)) }
        var problems: [CardError] = []
        for (section, pairs) in sections {
            for (key, value) in pairs {
                var config = kind.defaults
                do { try config.set(key, value) } catch let error as ConfigError {
                    problems.append(Self.cardError(e, section: section, key: key, error))
                } catch {
                    problems.append(Self.cardError(e, section: section, key: key, .invalid("\(error)")))
                }
            }
        }
        return problems
    }

    /// A config problem of a card as one line: `FILE:LINE: experiment 'x', quick: …`.
    static func cardError(_ e: ExperimentSpec, section: [String], key: String, _ error: ConfigError) -> CardError {
        let table = section.count == 2 ? "variant '\(section[1])'" : section[0]
        return e.error(at: section + [key], "experiment '\(e.name)', \(table): \(error.description)")
    }

    /// Runs one experiment (one variant, one seed) and writes its run folder. A variant that
    /// is another experiment (`{ experiment = "…" }`) runs that experiment, in its own folder.
    public func run(_ r: RunRequest) throws -> RunSummary {
        if let variant = r.variant, let target = r.experiment.variantExperiments[variant] {
            guard let linked = r.experiment.linkedVariants[variant] else {
                throw RunError.card(r.experiment.error(at: ["variants", variant, "experiment"],
                    "variant '\(variant)' runs experiment '\(target)', which is not loaded; load its card too"))
            }
            var other = r
            other.card = linked.card
            other.experiment = linked.experiment
            other.variant = nil
            return try run(other)
        }
        let (loaded, kind) = try task(for: r.experiment)
        let config = try resolveConfig(kind, r.experiment, variant: r.variant, quick: r.quick, overrides: r.overrides)
        try Self.checkResourcesForTheEnd()
        Threads.set(r.threads)
        // The task first: a task that cannot be built (missing data, a bad value) leaves no
        // half-made run folder behind.
        let context = RunContext(seed: r.seed, quick: r.quick, threads: r.threads)
        let task = try kind.make(config, context: context)
        let name = r.experiment.name + (r.variant.map { "/" + $0 } ?? "")
        let folder = try RunFolder.create(root: r.artifacts, experiment: name, seed: r.seed, quick: r.quick)
        let record = RunRecord(
            experiment: r.experiment.name, paper: r.card.id, plugin: loaded.plugin.id,
            pluginVersion: loaded.plugin.version, task: kind.name, seed: r.seed, quick: r.quick,
            threads: r.threads, overrides: r.overrides,
            config: Dictionary(uniqueKeysWithValues: config.keys.map { ($0, config[$0]!.plainText) }),
            configJSON: config.json, variant: r.variant, gitCommit: Provenance.gitCommit(),
            machine: Provenance.machine(), versions: Provenance.versions(), started: Provenance.now(),
            data: task.datasets)
        try folder.writeJSON(record, to: "config.json")
        log("run folder: \(folder.url.path)")
        return try train(task: task, record: record, folder: folder, card: r.card, experiment: r.experiment,
                         restoreFrom: nil, progress: r.progress)
    }

    /// Continues an interrupted run from its folder's checkpoint.
    public func resume(_ folderURL: URL, cards: CardLibrary, progress: Bool = true) throws -> RunSummary {
        let run = try open(folderURL, cards: cards)
        return try train(task: run.task, record: run.record, folder: run.folder, card: run.card,
                         experiment: run.experiment, restoreFrom: run.checkpoint, progress: progress)
    }

    private func train(task: TrainingTask, record: RunRecord, folder: RunFolder, card: PaperCard,
                       experiment: ExperimentSpec, restoreFrom checkpoint: CheckpointContents?,
                       progress: Bool) throws -> RunSummary {
        let metadata = CheckpointMetadata(plugin: record.plugin, pluginVersion: record.pluginVersion,
                                          experiment: record.experiment, configJSON: record.configJSON)
        var history = MetricsHistory()
        if checkpoint != nil, FileManager.default.fileExists(atPath: folder.metrics.path) {
            // Keep what was logged up to the checkpoint; later lines are redone.
            let old = try MetricsLogWriter.read(folder.metrics)
            history = MetricsHistory(records: old.records.filter { $0.step <= checkpoint!.step })
        }
        let writer = MetricsLogWriter(url: folder.metrics, alreadyWritten: history.records.count)
        let checkpoints = CheckpointWriter(folder: folder.url, metadata: metadata)
        var callbacks: [TrainerCallback] = [writer, checkpoints, DrawingWriter(folder: folder.url)]
        if progress { callbacks.insert(ProgressPrinter(label: record.experiment), at: 0) }
        let trainer = try Trainer(task: task, callbacks: callbacks)
        if let checkpoint {
            try trainer.restore(from: checkpoint, path: folder.checkpoint.path)
            trainer.restoreHistory(history)
            // Only a checkpoint that loaded cuts the log back to its step, in one rename.
            try MetricsLogWriter.replace(folder.metrics, with: history)
            log("resuming \(record.experiment) from step \(checkpoint.step) in \(folder.url.path)")
        }
        // Only now: a refused resume leaves the folder exactly as it was.
        AtomicWrite.removeLeftovers(in: folder.url)
        let start = Date()
        Interrupt.install()
        defer { Interrupt.uninstall() }
        let outcome = try trainer.run()
        let seconds = Date().timeIntervalSince(start)

        var metrics = trainer.lastEval
        for (k, v) in trainer.history.finalTrainingMetrics() { metrics[k] = v }
        for (k, v) in task.summaryMetrics(history: trainer.history) { metrics[k] = v }
        // A timing, for tables beside accuracy (vit-patch-size); never asserted by a card.
        if let rate = trainer.trainingThroughput { metrics["train_examples_per_second"] = rate }
        var drawings: [String] = []
        if outcome == .completed {
            drawings = try trainer.draw(in: folder.url, final: true)
        }
        // Drawings made during training, this session's and (after a resume) earlier ones.
        drawings += DrawingWriter.stepDrawings(in: folder.url)
        try Curves.draw(trainer.history, title: FigureTitle.runs(experiment: record.experiment, variant: record.variant,
                                                                  seeds: [record.seed], quick: record.quick),
                        kinds: task.plan.metricKinds, to: folder.curves)
        // A variant run is asserted only with the `expect` entries that name it.
        let expectations = experiment.expectations(quick: record.quick, variant: record.variant)
        let assertions: [RunSummary.Assertion] = expectations.map { e in
            let observed = metrics[e.metric]
            let verdict = observed.map { e.check($0) }
            return RunSummary.Assertion(
                metric: e.metric, expected: e.value, low: e.side == .atMost ? nil : e.allowedRange.lowerBound,
                high: e.side == .atLeast ? nil : e.allowedRange.upperBound,
                observed: observed, passed: verdict?.passed ?? false,
                text: verdict?.text ?? "\(e.metric): not reported by the run", basis: e.basis)
        }
        var message: String?
        let outcomeName: String
        switch outcome {
        case .completed: outcomeName = "completed"
        case .interrupted(let step):
            outcomeName = "interrupted"
            message = "interrupted at step \(step); checkpoint saved. Resume with: repro resume \(folder.url.path)"
        case .diverged(let step, let loss):
            outcomeName = "diverged"
            let kept = FileManager.default.fileExists(atPath: folder.checkpoint.path)
                ? "the last good checkpoint is \(folder.checkpoint.path)"
                : "no checkpoint was saved (the parameters were no longer finite)"
            message = "loss became \(loss) at step \(step); \(kept). Try a lower learning rate (--set lr=…)"
        }
        let summary = RunSummary(
            experiment: record.experiment, paper: record.paper, variant: record.variant, seed: record.seed,
            quick: record.quick, outcome: outcomeName, message: message, steps: trainer.step,
            epochs: trainer.epoch, seconds: seconds, metrics: metrics, assertions: assertions,
            drawings: drawings, runDirectory: folder.url.path)
        try folder.writeJSON(summary, to: "summary.json")
        try Report.write(summary: summary, record: record, card: card, experiment: experiment, to: folder.report)
        return summary
    }
}

extension ConfigValue {
    /// The value as `--set` would write it (strings unquoted).
    public var plainText: String {
        switch self {
        case .string(let s): return s
        case .list(let items): return "[" + items.map(\.plainText).joined(separator: ", ") + "]"
        default: return description
        }
    }
}
