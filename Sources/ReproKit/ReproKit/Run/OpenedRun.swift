import Foundation

/// A run folder read back: its record and card, a task built again from the recorded config,
/// and its checkpoint, read and checked but not yet loaded into the task.
struct OpenedRun {
    let folder: RunFolder
    let record: RunRecord
    let card: PaperCard
    let experiment: ExperimentSpec
    let task: TrainingTask
    let checkpoint: CheckpointContents
}

extension ExperimentRunner {
    /// Reads a run folder and rebuilds its task: what `resume` continues and `sample` draws
    /// from. `overrides` (`key=value`) change the recorded config, for settings that do not
    /// touch the weights (a sampler, its steps).
    func open(_ folderURL: URL, cards: CardLibrary, overrides: [String] = [], threads: Int? = nil) throws -> OpenedRun {
        let folder = RunFolder(url: folderURL)
        guard FileManager.default.fileExists(atPath: folder.config.path),
              FileManager.default.fileExists(atPath: folder.checkpoint.path) else {
            throw RunError.notARunFolder(folderURL.path)
        }
        let record = try folder.readJSON(RunRecord.self, from: "config.json")
        guard let (card, experiment) = cards.experiment(named: record.experiment) else {
            throw RunError.unknownExperiment(record.experiment, suggestion: cards.suggestion(for: record.experiment))
        }
        let (_, kind) = try task(for: experiment)
        var config = kind.defaults
        for key in config.keys {
            if let text = record.config[key] {
                do { try config.apply(override: "\(key)=\(text)") } catch let e as ConfigError {
                    throw RunError.config("\(folder.config.path): \(e.description)")
                }
            }
        }
        for text in overrides {
            do { try config.apply(override: text) } catch let e as ConfigError { throw RunError.config("--set \(text): \(e.description)") }
        }
        try Self.checkResourcesForTheEnd()
        Threads.set(threads ?? record.threads)
        let task = try kind.make(config, context: RunContext(seed: record.seed, quick: record.quick,
                                                             threads: threads ?? record.threads))
        if let command = checkpointCheck,
           let how = ChildCheck.run(command + [folder.checkpoint.path], marker: Checkpoint.readMarker, timeout: 600) {
            throw CheckpointError.unreadable(path: folder.checkpoint.path, reason: "reading it crashed the HDF5 library (\(how))")
        }
        let checkpoint = try Checkpoint.read(from: folder.checkpoint)
        // A checkpoint copied in from another run may even fit the model (another variant,
        // the same plugin's other experiment); its weights are not this run's.
        let origin = checkpoint.metadata
        guard origin.plugin == record.plugin, origin.experiment == record.experiment else {
            throw RunError.config("\(folder.checkpoint.path) was written by experiment '\(origin.experiment)' of plugin "
                + "'\(origin.plugin)', not by this run of '\(record.experiment)'; put this run's own checkpoint back, "
                + "or resume the run it belongs to")
        }
        return OpenedRun(folder: folder, record: record, card: card, experiment: experiment, task: task, checkpoint: checkpoint)
    }

    /// Draws `count` new samples from a run's checkpoint (`repro sample RUN`) with the random
    /// stream `seed`, into `RUN/samples/`; returns the paths written.
    public func sample(_ folderURL: URL, cards: CardLibrary, count: Int, seed: UInt64,
                       overrides: [String] = [], threads: Int? = nil) throws -> [String] {
        let run = try open(folderURL, cards: cards, overrides: overrides, threads: threads)
        guard let sampler = run.task as? SamplingTask else {
            throw RunError.config("experiment '\(run.record.experiment)' does not draw samples (its task is not a generative "
                + "model); `repro sample` works on runs of ddpm-mini and the like")
        }
        // The trainer checks the checkpoint as a resume would (shapes, NaNs, the task's state).
        let trainer = try Trainer(task: run.task, callbacks: [])
        try trainer.restore(from: run.checkpoint, path: run.folder.checkpoint.path)
        let out = run.folder.url.appendingPathComponent("samples")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        return try sampler.drawSamples(count: count, seed: seed, in: out).map { out.appendingPathComponent($0).path }
    }
}
