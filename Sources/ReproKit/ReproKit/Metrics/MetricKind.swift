/// What a metric measures: the scale its values live on, which decides the panel of
/// `curves.png` it is drawn in, and whether a larger value is better, which decides which
/// checkpoint is the best one.
///
/// A task declares the kinds of its metrics by name; a metric it does not declare gets the
/// kind its name suggests (`inferred(from:)`).
public struct MetricKind: Hashable, Sendable, Codable {
    /// The range and meaning of a metric's values. Metrics of one scale share a plot panel.
    public enum Scale: String, Hashable, Sendable, Codable, CaseIterable {
        /// A loss, on a scale of its own: compared only with other losses.
        case loss
        /// A fraction in 0…1: accuracy, error rate.
        case fraction
        /// BLEU, 0…100.
        case bleu
        /// Fréchet Inception Distance, 0 upward.
        case fid
        /// Perplexity, 1 upward, often over orders of magnitude.
        case perplexity
        case learningRate
        /// Anything else (a norm, a gap, a count).
        case other

        /// The panel title in `curves.png`.
        public var title: String {
            switch self {
            case .loss: return "Loss"
            case .fraction: return "Accuracy / error"
            case .bleu: return "BLEU"
            case .fid: return "FID"
            case .perplexity: return "Perplexity"
            case .learningRate: return "Learning rate"
            case .other: return "Other metrics"
            }
        }

        /// The y-axis label of its panel.
        public var axisLabel: String {
            switch self {
            case .loss: return "loss"
            case .fraction: return "fraction"
            case .bleu: return "BLEU"
            case .fid: return "FID"
            case .perplexity: return "perplexity"
            case .learningRate: return "lr"
            case .other: return "value"
            }
        }
    }

    public var scale: Scale
    public var higherIsBetter: Bool

    public init(scale: Scale, higherIsBetter: Bool) {
        self.scale = scale
        self.higherIsBetter = higherIsBetter
    }

    public static let accuracy = MetricKind(scale: .fraction, higherIsBetter: true)
    /// An error rate (1 − accuracy, top-5 error, …) as a fraction.
    public static let error = MetricKind(scale: .fraction, higherIsBetter: false)
    public static let loss = MetricKind(scale: .loss, higherIsBetter: false)
    public static let bleu = MetricKind(scale: .bleu, higherIsBetter: true)
    public static let fid = MetricKind(scale: .fid, higherIsBetter: false)
    public static let perplexity = MetricKind(scale: .perplexity, higherIsBetter: false)
    public static let learningRate = MetricKind(scale: .learningRate, higherIsBetter: false)
    /// A metric of no known scale. Higher is better, as `TrainingPlan` has always assumed
    /// for a best metric: a task whose "other" metric should fall must declare its kind.
    public static let other = MetricKind(scale: .other, higherIsBetter: true)

    /// The kind a metric's name says, by the names papers and tasks use. The name is split
    /// into words at "_", "-", "." and " ", so that "confidence" is not a FID:
    /// "lr", "lr_…" (a second optimizer's), "…_lr", "learning_rate" → learning rate; a word ending in "loss" → loss;
    /// "perplexity", "ppl" → perplexity; a word starting with "bleu" → BLEU; "fid" → FID;
    /// a word ending in "accuracy", or "acc" → accuracy; a word ending in "error", or "err"
    /// → error; anything else → `.other`.
    public static func inferred(from name: String) -> MetricKind {
        let words = name.lowercased().split(whereSeparator: { "_-. ".contains($0) }).map(String.init)
        func any(_ test: (String) -> Bool) -> Bool { words.contains(where: test) }
        if words.first == "lr" || words.last == "lr" || name.lowercased().contains("learning_rate") { return .learningRate }
        if any({ $0.hasSuffix("loss") }) { return .loss }
        if any({ $0 == "perplexity" || $0 == "ppl" }) { return .perplexity }
        if any({ $0.hasPrefix("bleu") }) { return .bleu }
        if any({ $0 == "fid" }) { return .fid }
        if any({ $0.hasSuffix("accuracy") || $0 == "acc" }) { return .accuracy }
        if any({ $0.hasSuffix("error") || $0 == "err" }) { return .error }
        return .other
    }

    /// The kind of metric `name`: the task's declaration if it has one, else the name's.
    public static func of(_ name: String, declared: [String: MetricKind]) -> MetricKind {
        declared[name] ?? inferred(from: name)
    }
}
