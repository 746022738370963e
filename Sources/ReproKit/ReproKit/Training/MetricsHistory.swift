/// Everything a run logged, in order: the training metrics every few steps and each
/// evaluation. `metrics.jsonl` holds the same records, one per line; curves are drawn from it.
public struct MetricsHistory: Sendable {
    public struct Record: Codable, Sendable, Equatable {
        /// "train" or "eval".
        public var split: String
        public var step: Int
        public var epoch: Int
        public var metrics: [String: Double]
        public init(split: String, step: Int, epoch: Int, metrics: [String: Double]) {
            self.split = split; self.step = step; self.epoch = epoch; self.metrics = metrics
        }
    }

    public private(set) var records: [Record] = []
    public init(records: [Record] = []) { self.records = records }

    public mutating func append(_ r: Record) { records.append(r) }

    /// (step, value) points of one metric in one split, e.g. ("train", "loss").
    public func series(_ split: String, _ metric: String) -> [(x: Double, y: Double)] {
        records.filter { $0.split == split }.compactMap { r in
            r.metrics[metric].map { (x: Double(r.step), y: $0) }
        }
    }

    /// Metric names that occur in a split, sorted.
    public func metricNames(_ split: String) -> [String] {
        Set(records.filter { $0.split == split }.flatMap { $0.metrics.keys }).sorted()
    }

    /// The last evaluation's metrics.
    public var lastEval: [String: Double]? { records.last { $0.split == "eval" }?.metrics }
}
