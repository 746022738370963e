import Foundation

/// `curves.png`: the run's history as line plots against steps, one panel per scale of
/// metric (`MetricKind.Scale`) — losses together, 0–1 fractions (accuracy, error) together
/// on a 0–1 axis, BLEU, FID, perplexity, other metrics and the learning rate each alone.
/// Training series are plain lines, evaluations have a dot at each point (a single
/// evaluation, as in a one-epoch run, is a large dot with its value written beside it).
public enum Curves {
    /// Draws `history` to `url` (nothing when it is empty), under `title` (which says the
    /// experiment, seed and whether the run was quick: `FigureTitle.runs`). `kinds` are the
    /// task's declared metric kinds; other metrics get the kind their name suggests.
    public static func draw(_ history: MetricsHistory, title: String, kinds: [String: MetricKind] = [:],
                            to url: URL) throws {
        let plots = panels(history, kinds: kinds)
        guard !plots.isEmpty else { return }
        let canvas = try LinePlot.panels(plots, panelWidth: 480, height: 360, title: title,
                                         columns: columns(panels: plots.count))
        try canvas.write(to: url.path)
    }

    /// The panels of `curves.png`, in the order of `MetricKind.Scale`, the learning rate last.
    public static func panels(_ history: MetricsHistory, kinds: [String: MetricKind] = [:]) -> [LinePlot] {
        var byScale: [MetricKind.Scale: LinePlot] = [:]
        for split in ["train", "eval"] {
            for name in history.metricNames(split) {
                let points = history.series(split, name)
                guard !points.isEmpty else { continue }
                let scale = MetricKind.of(name, declared: kinds).scale
                let label = split == "train" && !name.hasPrefix("train") && scale != .learningRate ? "train_\(name)" : name
                byScale[scale, default: plot(scale)].add(label, points, markers: split == "eval")
            }
        }
        let order = MetricKind.Scale.allCases.filter { $0 != .learningRate } + [.learningRate]
        return order.compactMap { scale in byScale[scale].map { fitted($0, scale) } }
    }

    /// Up to three panels in a row; four as 2 × 2; more in rows of three, so that no panel
    /// gets narrow.
    public static func columns(panels n: Int) -> Int {
        n == 4 ? 2 : min(n, 3)
    }

    private static func plot(_ scale: MetricKind.Scale) -> LinePlot {
        // Perplexity falls over orders of magnitude early in training: a log axis shows all of it.
        return LinePlot(title: scale.title, xLabel: "step", yLabel: scale.axisLabel, logY: scale == .perplexity)
    }

    /// Fractions on the whole 0–1 axis, so that runs compare by eye (a preferred view: a
    /// percentage declared as a fraction widens it rather than being cut off).
    private static func fitted(_ plot: LinePlot, _ scale: MetricKind.Scale) -> LinePlot {
        guard scale == .fraction else { return plot }
        var p = plot
        p.yRange = 0...1
        return p
    }
}
