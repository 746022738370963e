import Foundation

/// `curves.png`: the run's history as line plots against steps — losses in one panel,
/// the other metrics (accuracies, …) in another, the learning rate in a third.
public enum Curves {
    public static func draw(_ history: MetricsHistory, title: String, to url: URL) throws {
        var lossPlot = LinePlot(title: "Loss", xLabel: "step", yLabel: "loss")
        var metricPlot = LinePlot(title: "Metrics", xLabel: "step", yLabel: "value")
        var lrPlot = LinePlot(title: "Learning rate", xLabel: "step", yLabel: "lr")
        for split in ["train", "eval"] {
            for name in history.metricNames(split) {
                let points = history.series(split, name)
                guard !points.isEmpty else { continue }
                let label = split == "train" && !name.hasPrefix("train") && name != "lr" ? "train_\(name)" : name
                if name == "lr" {
                    lrPlot.add(label, points)
                } else if name.contains("loss") {
                    lossPlot.add(label, points, markers: split == "eval")
                } else {
                    metricPlot.add(label, points, markers: split == "eval")
                }
            }
        }
        let panels = [lossPlot, metricPlot, lrPlot].filter { !$0.series.isEmpty }
        guard !panels.isEmpty else { return }
        let canvas = try LinePlot.panels(panels, panelWidth: 480, height: 360, title: title)
        try canvas.write(to: url.path)
    }
}
