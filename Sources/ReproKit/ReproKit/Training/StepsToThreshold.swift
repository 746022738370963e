import Foundation

/// Steps-to-threshold: how many optimizer steps a run needed to bring a logged metric to a
/// level (AlexNet Fig. 1: "reaches 25% training error six times faster"). Read off the
/// metrics log, so a task gets it without bookkeeping of its own.
extension MetricsHistory {
    /// The first logged step at which the running mean of the last `window` logged values of
    /// `metric` (in `split`, after `transform`) is ≤ `threshold` (or ≥ it when
    /// `below` is false); nil if it never gets there. Each train record is already the mean
    /// of the steps since the previous one, so the window smooths over `window` of those.
    public func firstStep(_ split: String = "train", metric: String, transform: (Double) -> Double = { $0 },
                          window: Int = 1, reaches threshold: Double, below: Bool = true) -> Int? {
        precondition(window >= 1, "firstStep: window must be ≥ 1, got \(window)")
        let points = series(split, metric)
        var recent: [Double] = []
        for p in points {
            recent.append(transform(p.y))
            if recent.count > window { recent.removeFirst() }
            let mean = recent.reduce(0, +) / Double(recent.count)
            if below ? mean <= threshold : mean >= threshold { return Int(p.x) }
        }
        return nil
    }

    /// Steps to each training-error threshold (error = 1 − `train_accuracy`), as summary
    /// metrics: `steps_to_train_error_0.25` is the first logged step at which the smoothed
    /// training error is ≤ 0.25. A threshold never reached reports the last logged step (the
    /// budget: a lower bound, never a made-up number) and `reached_train_error_0.25` = 0;
    /// reached, that flag is 1.
    public func stepsToTrainError(_ thresholds: [Double], window: Int = 3) -> [String: Double] {
        guard let last = records.last(where: { $0.split == "train" })?.step else { return [:] }
        var out: [String: Double] = [:]
        for t in thresholds {
            let key = "train_error_" + Self.thresholdText(t)
            let step = firstStep(metric: "train_accuracy", transform: { 1 - $0 }, window: window, reaches: t)
            out["steps_to_" + key] = Double(step ?? last)
            out["reached_" + key] = step == nil ? 0 : 1
        }
        return out
    }

    /// 0.25 → "0.25", 0.1 → "0.1": the shortest text that reads back as the threshold.
    static func thresholdText(_ t: Double) -> String {
        var s = String(format: "%.4f", t)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
