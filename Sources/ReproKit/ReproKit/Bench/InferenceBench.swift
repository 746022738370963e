import Foundation

/// Times a task's `InferenceBenchmarking` work, after a small warm-up.
public enum InferenceBench {
    public static func run(_ task: InferenceBenchmarking, experiment: String, items: Int, threads: Int,
                           label: String) throws -> BenchResult {
        task.model.eval()
        _ = try task.benchmarkInference(items: Swift.max(1, items / 16))   // warm-up: buffer pool, caches
        let start = DispatchTime.now().uptimeNanoseconds
        let (count, what) = try task.benchmarkInference(items: items)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return BenchResult(bench: experiment, case: "inference", shape: label, threads: threads,
                           seconds: seconds / Double(Swift.max(count, 1)), itemsPerSecond: Double(count) / seconds,
                           note: what)
    }
}
