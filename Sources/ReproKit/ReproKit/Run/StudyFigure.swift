import Foundation

/// The study's `figure.png`: each figure metric against steps, one colour per variant, the
/// first metric solid with dots, the next ones dashed with squares, triangles (as in the
/// papers' "training (solid) and test (dashed)" plots); with several seeds, the mean line
/// over a shaded band from the lowest to the highest seed. With the spec's `xValues`, each
/// variant's final metrics against those x values instead.
///
/// The card's `y_max` is a preferred view: when the data goes above it, the figure shows all
/// of the data, and beside it the card's view with a note of what that view cuts off, if
/// that view still holds every curve's end.
public enum StudyFigure {
    public static func draw(_ spec: FigureSpec, histories: [(String, [MetricsHistory])], experiment: String,
                            seeds: [UInt64], quick: Bool = false, width: Int = 760, height: Int = 500,
                            to url: URL) throws {
        let plot = self.plot(spec, histories: histories, experiment: experiment, seeds: seeds, quick: quick)
        guard !plot.series.isEmpty else { return }
        guard let top = spec.yMax else { return try plot.render(width: width, height: height).write(to: url.path) }
        var card = plot
        card.yRange = 0...top
        let (_, fitted) = card.ranges()
        if fitted == 0...top { return try card.render(width: width, height: height).write(to: url.path) }
        // The data leaves the card's view: the view widened to all of it, and beside it the
        // card's view itself if every curve ends inside it.
        let endsInside = plot.series.allSatisfy { s in s.finitePoints.last.map { (0...top).contains($0.y) } ?? true }
        guard endsInside else { return try card.render(width: width, height: height).write(to: url.path) }
        var all = card, zoom = card
        all.title = "all steps"
        all.subtitle = ""
        zoom.title = "the card's view (y ≤ \(LinePlot.valueText(top)))"
        zoom.clipsToRange = true
        zoom.subtitle = ""
        zoom.legend = .none
        try LinePlot.panels([all, zoom], panelWidth: width * 4 / 5, height: height, title: plot.title,
                            subtitle: plot.subtitle, columns: 2)
            .write(to: url.path)
    }

    /// The figure as one plot, its axes fitted to the data (and the card's view, if it holds them).
    static func plot(_ spec: FigureSpec, histories: [(String, [MetricsHistory])], experiment: String,
                     seeds: [UInt64], quick: Bool) -> LinePlot {
        let several = histories.contains { $0.1.count > 1 }
        var subtitle = FigureTitle.runs(experiment: experiment, seeds: seeds, quick: quick)
        if several { subtitle += " · line: mean over seeds, band: lowest to highest" }
        var plot = LinePlot(title: spec.title ?? experiment, subtitle: subtitle, xLabel: spec.xLabel ?? "step",
                            yLabel: spec.yLabel ?? spec.metrics.joined(separator: ", "))
        let shapes = LinePlot.Marker.allCases
        for (i, (variant, hs)) in histories.enumerated() {
            let color = RGB.palette[i % RGB.palette.count]
            if let xValues = spec.xValues {
                // Final values against the card's x, over the runs that have each metric.
                let stats = zip(xValues, spec.metrics).compactMap { x, metric in
                    SeedSpread(x: x, hs.compactMap { $0.lastEval?[metric] })
                }
                if !stats.isEmpty {
                    plot.add(variant, stats.map { (x: $0.x, y: $0.mean) }, color: color, markers: true,
                             band: several ? stats.map { (x: $0.x, low: $0.low, high: $0.high) } : [])
                }
                continue
            }
            for (j, metric) in spec.metrics.enumerated() {
                let stats = seedSpread(hs.map { $0.figureSeries(metric) })
                guard !stats.isEmpty else { continue }
                let label = spec.metrics.count == 1 ? variant : "\(variant) \(metric)"
                plot.add(label, stats.map { (x: $0.x, y: $0.mean) }, color: color, thickness: j == 0 ? 2 : 1.5,
                         dashed: j > 0, markers: stats.count <= 12, marker: shapes[j % shapes.count],
                         band: hs.count > 1 ? stats.map { (x: $0.x, low: $0.low, high: $0.high) } : [])
            }
        }
        return plot
    }

    /// The mean, lowest and highest value over runs at one x.
    struct SeedSpread {
        var x: Double, mean: Double, low: Double, high: Double
        init?(x: Double, _ ys: [Double]) {
            guard !ys.isEmpty else { return nil }
            self.x = x; mean = ys.reduce(0, +) / Double(ys.count); low = ys.min()!; high = ys.max()!
        }
    }

    /// The spread over runs at each step that every run logged.
    static func seedSpread(_ runs: [[(x: Double, y: Double)]]) -> [SeedSpread] {
        guard let first = runs.first else { return [] }
        let tables = runs.map { Dictionary($0.map { ($0.x, $0.y) }, uniquingKeysWith: { _, b in b }) }
        return first.compactMap { p in
            let ys = tables.compactMap { $0[p.x] }
            return ys.count == tables.count ? SeedSpread(x: p.x, ys) : nil
        }
    }
}
