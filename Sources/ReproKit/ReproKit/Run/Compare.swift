import Foundation

/// `repro compare`: for each experiment, the reproduced number (from the artifacts), what
/// the card expects, and what the paper reported; for each claim, the paper's statement,
/// what we see and the verdict.
public struct Comparison {
    public struct Row: Codable, Equatable {
        public var experiment: String
        public var metric: String
        public var reproduced: String
        public var expected: String
        public var paper: String
        public var verdict: String

        public init(experiment: String, metric: String, reproduced: String, expected: String, paper: String,
                    verdict: String) {
            self.experiment = experiment; self.metric = metric; self.reproduced = reproduced
            self.expected = expected; self.paper = paper; self.verdict = verdict
        }
    }

    public var rows: [Row] = []

    public init(rows: [Row] = []) { self.rows = rows }

    /// Builds the table from the latest full run of each experiment (quick runs when
    /// `quick`), and each claim from the latest study (or, before any, every run of its variants).
    public static func build(cards: CardLibrary, artifacts: URL, quick: Bool) -> Comparison {
        var c = Comparison()
        for (card, e) in cards.experiments {
            func paper(_ key: String?) -> String {
                key.flatMap { card.reported[$0] }.map {
                    "\(Report.withUnit($0.value, $0.unit)) \($0.metric), \($0.dataset) (\($0.source))"
                } ?? "—"
            }
            let runs = summaries(artifacts.appendingPathComponent(e.name), quick: quick)
            for x in quick ? e.expectQuick : e.expect {
                let latest = runs.filter { $0.variant == x.variant }.max { $0.runDirectory < $1.runDirectory }
                let observed = latest?.metrics[x.metric]
                let verdict = observed.map { x.check($0).passed ? "pass" : "FAIL" } ?? "not run"
                c.rows.append(Row(experiment: e.name + (x.variant.map { " / \($0)" } ?? ""), metric: x.metric,
                                  reproduced: observed.map { String(format: "%.4f", $0) } ?? "—",
                                  expected: x.expectedText, paper: paper(x.reported ?? e.reported), verdict: verdict))
            }
            let study = latestStudy(artifacts.appendingPathComponent(e.name), quick: quick)
            for claim in e.claims {
                if let row = study?.claims.first(where: { $0.statement == claim.statement }) {
                    c.rows.append(Row(experiment: e.name, metric: "claim: \(claim.statement) [\(claim.paper)]",
                                      reproduced: row.text, expected: claim.compareText + " " + row.recorded,
                                      paper: claim.paper,
                                      verdict: row.observed == nil ? "not evaluated"
                                        : row.matchesRecorded ? "as recorded (\(row.observed!))" : "CHANGED (now \(row.observed!))"))
                    continue
                }
                // No study yet: the mean over every completed run of each variant.
                let means = StudyOutcome.means(Dictionary(grouping: runs.filter { $0.variant != nil }) { $0.variant! })
                let verdict: String, seen: String
                if let v = try? claim.evaluate(means: means, quick: quick) {
                    seen = v.text
                    verdict = v.matchesRecorded ? "as recorded (\(Claim.outcomeText(v.observedHolds)))"
                        : "CHANGED (now \(Claim.outcomeText(v.observedHolds)))"
                } else {
                    seen = "recorded: \(claim.observed)"
                    verdict = "not run (recorded: \(claim.recordedText(quick: quick)))"
                }
                c.rows.append(Row(experiment: e.name, metric: "claim: \(claim.statement) [\(claim.paper)]",
                                  reproduced: seen, expected: claim.compareText + " " + claim.recordedText(quick: quick),
                                  paper: claim.paper, verdict: verdict))
            }
        }
        return c
    }

    /// The newest `study.json` of an experiment (full or quick).
    static func latestStudy(_ dir: URL, quick: Bool) -> StudyOutcome? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix("study-") }.sorted().reversed().lazy.compactMap {
            try? JSONDecoder().decode(StudyOutcome.self, from: Data(contentsOf: dir.appendingPathComponent($0).appendingPathComponent("study.json")))
        }.first { $0.quick == quick }
    }

    /// Every summary.json under an experiment's folder (variants in subfolders).
    static func summaries(_ dir: URL, quick: Bool) -> [RunSummary] {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        var out: [RunSummary] = []
        for case let url as URL in walker where url.lastPathComponent == "summary.json" {
            if let s = try? JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: url)), s.quick == quick {
                out.append(s)
            }
        }
        return out
    }

    public var markdown: String {
        var md = "| experiment | metric | reproduced | expected | paper | verdict |\n|---|---|---|---|---|---|\n"
        for r in rows { md += "| \(r.experiment) | \(r.metric) | \(r.reproduced) | \(r.expected) | \(r.paper) | \(r.verdict) |\n" }
        return md
    }

    /// The table for a terminal: as wide as $COLUMNS says, else 120 columns; long cells
    /// wrap inside their column, except the verdict (the full text is in `markdown` and the JSON).
    public var terminal: String {
        terminal(width: TextTable.terminalWidth())
    }

    /// The table with every line at most `width` characters (when the columns can fit at all).
    public func terminal(width: Int) -> String {
        TextTable.render(header: ["experiment", "metric", "reproduced", "expected", "paper", "verdict"],
                         rows: rows.map { [$0.experiment, $0.metric, $0.reproduced, $0.expected, $0.paper, $0.verdict] },
                         maxWidth: width, keepWhole: [5])
    }
}
