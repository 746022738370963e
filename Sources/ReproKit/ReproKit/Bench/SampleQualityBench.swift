import Foundation

/// `repro bench sample-quality`: what FID with the fixed classifier costs a generative task:
/// loading the weights and the reference statistics of the 10,000 test images (once per
/// process), then scoring `samples` 32×32 images (centre-cropped, as DDPM's are).
public enum SampleQualityBench {
    public static func run(samples: Int, threads: Int) throws -> [BenchResult] {
        Threads.set(threads)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let scorer = try SampleQuality.shared()
        let setup = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        var rng = RNG(seed: 0)
        let images = Tensor.uniform([samples, 1, 32, 32], low: -1, high: 1, rng: &rng)
        let seconds = benchTime(warmup: 1, repeats: 3) { _ = scorer.score(images) }
        return [
            BenchResult(bench: "sample-quality", case: "load weights + reference statistics", shape: "10000×1×28×28",
                        threads: threads, seconds: setup, itemsPerSecond: 10_000 / setup),
            BenchResult(bench: "sample-quality", case: "score", shape: "\(samples)×1×32×32", threads: threads,
                        seconds: seconds, itemsPerSecond: Double(samples) / seconds,
                        note: "features, FID against the cached reference, confidence, histogram"),
        ]
    }
}
