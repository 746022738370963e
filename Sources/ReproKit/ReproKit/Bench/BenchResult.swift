import Foundation

/// One line of `repro bench` output: what was measured, how fast, and the reference it
/// stands beside (bare sgemm, memory bandwidth).
public struct BenchResult: Codable, Sendable {
    public var bench: String
    public var `case`: String
    public var shape: String
    public var threads: Int
    public var seconds: Double
    public var gflops: Double?
    public var gbPerSecond: Double?
    public var itemsPerSecond: Double?
    public var note: String?

    public init(bench: String, case name: String, shape: String, threads: Int, seconds: Double,
                gflops: Double? = nil, gbPerSecond: Double? = nil, itemsPerSecond: Double? = nil,
                note: String? = nil) {
        self.bench = bench; self.case = name; self.shape = shape; self.threads = threads
        self.seconds = seconds; self.gflops = gflops; self.gbPerSecond = gbPerSecond
        self.itemsPerSecond = itemsPerSecond; self.note = note
    }

    /// The result as one JSON line (keys sorted, nil fields left out).
    public var jsonLine: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Wall-clock timing: the best of `repeats` runs after `warmup` runs, in seconds.
/// Best-of rather than mean: on a shared VM, interference only ever adds time.
public func benchTime(warmup: Int = 1, repeats: Int = 5, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var best = Double.infinity
    for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }
    return best
}
