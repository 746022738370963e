/// `summary.json`: how a run ended, its final metrics, and each assertion with its verdict.
public struct RunSummary: Codable, Equatable {
    public struct Assertion: Codable, Equatable {
        public var metric: String
        public var expected: Double
        /// The allowed range's edges; nil on the open side of an `at_least` / `at_most` bound.
        public var low: Double?
        public var high: Double?
        public var observed: Double?
        public var passed: Bool
        public var text: String
        public var basis: String
    }

    public var experiment: String
    public var paper: String
    public var variant: String?
    public var seed: UInt64
    public var quick: Bool
    /// "completed", "interrupted" or "diverged".
    public var outcome: String
    public var message: String?
    public var steps: Int
    public var epochs: Int
    public var seconds: Double
    /// The last evaluation's metrics and the derived final_train_* metrics.
    public var metrics: [String: Double]
    public var assertions: [Assertion]
    public var drawings: [String]
    public var runDirectory: String

    /// True when the run completed and every assertion passed.
    public var passed: Bool { outcome == "completed" && assertions.allSatisfy(\.passed) }
}

extension MetricsHistory {
    /// Training metrics at the end of the run: each train metric averaged over the last
    /// tenth of its records, and at least the last three (one logged interval of a short run
    /// is a few hundred examples: too noisy to compare runs on) (`loss` → `final_train_loss`,
    /// `train_accuracy` → `final_train_accuracy`, and `final_train_error` = 1 − accuracy).
    public func finalTrainingMetrics() -> [String: Double] {
        var out: [String: Double] = [:]
        for name in metricNames("train") where MetricKind.inferred(from: name).scale != .learningRate {
            let values = series("train", name).map(\.y)
            guard !values.isEmpty else { continue }
            let tail = values.suffix(Swift.max(3, values.count / 10))
            let key = name.hasPrefix("train_") ? "final_" + name : "final_train_" + name
            out[key] = tail.reduce(0, +) / Double(tail.count)
        }
        if let acc = out["final_train_accuracy"] { out["final_train_error"] = 1 - acc }
        return out
    }
}
