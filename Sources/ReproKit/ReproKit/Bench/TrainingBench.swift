import Foundation

/// `repro bench EXPERIMENT`: training throughput of an experiment's task — forward,
/// backward and optimizer step on its real batches — in examples per second; then, for a task
/// that is `InferenceBenchmarking`, its inference on `inferenceItems` inputs.
public enum TrainingBench {
    public static func run(runner: ExperimentRunner, card: PaperCard, experiment e: ExperimentSpec,
                           overrides: [String], threads: Int, steps: Int, inferenceItems: Int = 64,
                           label: String) throws -> [BenchResult] {
        let (_, kind) = try runner.task(for: e)
        let config = try runner.resolveConfig(kind, e, variant: nil, quick: false, overrides: overrides)
        Threads.set(threads)
        let task = try kind.make(config, context: RunContext(seed: 0, threads: threads))
        let trainer = try Trainer(task: task)
        task.model.train()
        var examples = 0
        // The fastest single step too: on a shared machine other processes' bursts slow some
        // steps, and the best step is the steadier figure for comparing builds.
        var bestRate = 0.0
        func step(_ i: Int) throws {
            let start = DispatchTime.now().uptimeNanoseconds
            let per = task.plan.stepsPerEpoch
            let taken = try trainer.takeStep(epoch: i / per % task.plan.epochs, index: i % per)
            examples += taken.examples
            let took = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            bestRate = max(bestRate, Double(taken.examples) / max(took, 1e-9))
        }
        for i in 0..<3 { try step(i) }   // warm-up: buffer pool, caches
        examples = 0
        bestRate = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for i in 3..<(3 + steps) { try step(i) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        let training = BenchResult(bench: e.name, case: "train_step", shape: label, threads: threads, seconds: seconds / Double(steps),
                           itemsPerSecond: Double(examples) / seconds,
                           note: "\(steps) steps, best step \(Int(bestRate.rounded()))/s, 3×3 conv: \(Conv3x3Direct.kernelName); \(config.keys.filter { overrides.joined().contains($0) }.map { "\($0)=\(config[$0]!.plainText)" }.joined(separator: " "))")
        guard inferenceItems > 0, let inference = task as? InferenceBenchmarking else { return [training] }
        return [training, try InferenceBench.run(inference, experiment: e.name, items: inferenceItems, threads: threads, label: label)]
    }
}
