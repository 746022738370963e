import Foundation

/// Why `repro measure` cannot measure, in one line with what to do.
public enum MeasureError: Error, CustomStringConvertible, Equatable {
    /// The rule needs a spread: at least two seeds.
    case tooFewSeeds(Int)
    /// The card asserts no metric on these runs and none was named with --metric.
    case nothingToMeasure(experiment: String, section: String)
    /// A metric the runs do not report, with the ones they do.
    case unknownMetric(String, reported: [String], suggestion: String?)
    /// A run that did not complete ("interrupted" or "diverged") and its message.
    case runStopped(seed: UInt64, outcome: String, message: String)
    /// Values the rule cannot use (not finite; not one per seed), said in words.
    case invalid(String)

    public var description: String {
        switch self {
        case .tooFewSeeds(let n):
            return "--seeds must be at least 2 (a tolerance needs a spread), got \(n); the cards use 5 full or 20 quick runs"
        case .nothingToMeasure(let e, let section):
            return "experiment '\(e)' asserts no metric in \(section); name the metrics to measure with --metric M"
        case .unknownMetric(let m, let reported, let suggestion):
            return "the runs do not report a metric '\(m)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                + " (they report: \(reported.joined(separator: ", ")))"
        case .runStopped(let seed, _, let message):
            return "the run of seed \(seed) did not complete, so nothing is measured: \(message)"
        case .invalid(let text):
            return text
        }
    }
}
