import Foundation

/// `study.json`: an experiment's variants run on the same seeds, and its claims judged on
/// the variants' means.
public struct StudyOutcome: Codable, Equatable {
    public struct ClaimRow: Codable, Equatable {
        public var statement: String
        public var paper: String
        public var compare: String
        public var recorded: String
        /// "holds" / "does not hold", or nil when the claim could not be evaluated.
        public var observed: String?
        /// True when what is observed now is the recorded outcome.
        public var matchesRecorded: Bool
        public var text: String
    }

    public var experiment: String
    public var paper: String
    public var seeds: [UInt64]
    public var quick: Bool
    /// "completed", "interrupted", or "failed" (a run diverged).
    public var outcome: String
    public var message: String?
    /// Run folders by variant, in the card's order of variants.
    public var runs: [String: [String]]
    /// Mean over the completed seeds of each metric, by variant.
    public var means: [String: [String: Double]]
    public var claims: [ClaimRow]
    /// Each variant run's assertions (from `expect` entries that name the variant).
    public var assertions: [RunSummary.Assertion]
    public var figure: String?
    public var seconds: Double
    public var studyDirectory: String

    /// Each metric's mean over the completed runs of each variant (variants with none left out).
    public static func means(_ runs: [String: [RunSummary]]) -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for (variant, summaries) in runs {
            let done = summaries.filter { $0.outcome == "completed" }
            guard !done.isEmpty else { continue }
            var sums: [String: Double] = [:], counts: [String: Int] = [:]
            for s in done { for (k, v) in s.metrics { sums[k, default: 0] += v; counts[k, default: 0] += 1 } }
            out[variant] = sums.reduce(into: [:]) { $0[$1.key] = $1.value / Double(counts[$1.key]!) }
        }
        return out
    }

    /// True when every run completed, every claim's outcome is the recorded one and every
    /// variant assertion passed.
    public var passed: Bool {
        outcome == "completed" && claims.allSatisfy(\.matchesRecorded) && assertions.allSatisfy(\.passed)
    }
}

extension ExperimentRunner {
    /// Runs every variant of `e` on each seed (each a normal run folder under
    /// `<artifacts>/<experiment>/<variant>/`), judges the claims on the means, draws the card's
    /// figure, and writes `<artifacts>/<experiment>/study-<time>-s<seeds>/` (study.json,
    /// figure.png, report.md). Stops at the first interrupted run.
    public func runStudy(card: PaperCard, experiment e: ExperimentSpec, seeds: [UInt64], quick: Bool,
                         threads: Int, artifacts: URL, overrides: [String] = [],
                         progress: Bool = true) throws -> StudyOutcome {
        precondition(!seeds.isEmpty)
        let start = Date()
        var runs: [String: [RunSummary]] = [:]
        var outcome = "completed", message: String?
        let total = e.variants.count * seeds.count
        var n = 0
        study: for (variant, _) in e.variants {
            for seed in seeds {
                n += 1
                log("── \(e.name): variant \(variant), seed \(seed) (run \(n) of \(total))")
                let s = try run(RunRequest(card: card, experiment: e, variant: variant, seed: seed, quick: quick,
                                           overrides: overrides, threads: threads, artifacts: artifacts,
                                           progress: progress))
                runs[variant, default: []].append(s)
                if s.outcome == "interrupted" {
                    outcome = "interrupted"
                    message = "interrupted in variant \(variant), seed \(seed); finish that run with "
                        + "`repro resume \(s.runDirectory)`, or run the study again"
                    break study
                }
                if s.outcome != "completed" {
                    outcome = "failed"
                    message = (message.map { $0 + "; " } ?? "") + "\(variant) seed \(seed): \(s.message ?? s.outcome)"
                }
            }
        }

        let means = StudyOutcome.means(runs)
        let claims: [StudyOutcome.ClaimRow] = e.claims.map { c in
            var row = StudyOutcome.ClaimRow(statement: c.statement, paper: c.paper, compare: c.compareText,
                                            recorded: c.recordedText(quick: quick), observed: nil,
                                            matchesRecorded: false, text: "")
            do {
                let v = try c.evaluate(means: means, quick: quick)
                row.observed = Claim.outcomeText(v.observedHolds)
                row.matchesRecorded = v.matchesRecorded
                row.text = v.text
            } catch {
                row.text = "✗ \(error)"
            }
            return row
        }

        let name = "study-" + RunFolder.timestamp() + "-s" + Self.seedText(seeds) + (quick ? "-quick" : "")
        let folder = try RunFolder.create(root: artifacts.appendingPathComponent(e.name), name: name)
        var figureName: String?
        if let spec = e.figure {
            var histories: [(String, [MetricsHistory])] = []
            for (variant, _) in e.variants {
                let hs = (runs[variant] ?? []).filter { $0.outcome == "completed" }.compactMap {
                    try? MetricsLogWriter.read(URL(fileURLWithPath: $0.runDirectory).appendingPathComponent("metrics.jsonl"))
                }
                if !hs.isEmpty { histories.append((variant, hs)) }
            }
            if !histories.isEmpty {
                try StudyFigure.draw(spec, histories: histories, experiment: e.name, seeds: seeds, quick: quick,
                                     to: folder.file("figure.png"))
                figureName = "figure.png"
            }
        }
        let result = StudyOutcome(
            experiment: e.name, paper: card.id, seeds: seeds, quick: quick, outcome: outcome, message: message,
            runs: runs.mapValues { $0.map(\.runDirectory) }, means: means, claims: claims,
            assertions: runs.values.flatMap { $0.flatMap(\.assertions) }, figure: figureName,
            seconds: Date().timeIntervalSince(start), studyDirectory: folder.url.path)
        try folder.writeJSON(result, to: "study.json")
        try StudyReport.write(result, card: card, experiment: e, to: folder.report)
        return result
    }

    static func seedText(_ seeds: [UInt64]) -> String {
        guard let first = seeds.first, let last = seeds.last else { return "" }
        if seeds.count == 1 { return "\(first)" }
        return seeds == Array(first...last) ? "\(first)-\(last)" : seeds.map(String.init).joined(separator: ",")
    }
}

extension MetricsHistory {
    /// A metric's points for figures: train records first, then evaluations; a missing
    /// `X_error` is drawn as 1 − `X_accuracy`.
    public func figureSeries(_ metric: String) -> [(x: Double, y: Double)] {
        for split in ["train", "eval"] {
            let s = series(split, metric)
            if !s.isEmpty { return s }
        }
        if metric.hasSuffix("_error") {
            let accuracy = String(metric.dropLast("_error".count)) + "_accuracy"
            return figureSeries(accuracy).map { (x: $0.x, y: 1 - $0.y) }
        }
        return []
    }
}
