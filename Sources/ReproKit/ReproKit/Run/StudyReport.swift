import Foundation

/// A study's `report.md`: each claim with what the card records and what these runs show,
/// the figure, and the variants' runs with the final values of the claims' and the figure's metrics.
public enum StudyReport {
    public static func write(_ s: StudyOutcome, card: PaperCard, experiment e: ExperimentSpec, to url: URL) throws {
        var md = "# \(e.name): study over \(e.variants.count) variants\n\n\(e.summary)\n\n"
        md += "**Paper:** \(card.title) — \(card.authors.joined(separator: ", ")), \(card.venue) \(card.year)"
        md += card.arxiv.map { ", arXiv:\($0)" } ?? ""
        md += "\n\n**Seeds:** \(s.seeds.map(String.init).joined(separator: ", "))\(s.quick ? " (quick variant)" : "")"
        md += String(format: ", %.1f s in all", s.seconds) + "\n\n"
        md += "**Outcome:** \(s.outcome)\(s.message.map { " — \($0)" } ?? "")\n\n"

        md += "## Claims\n\nEach claim compares the variants' means over the seeds. A claim passes when the outcome "
        md += "seen now is the one the card records; one that does not hold at this scale is recorded as such.\n\n"
        md += "| claim | paper | compare | recorded | now | verdict |\n|---|---|---|---|---|---|\n"
        for c in s.claims {
            md += "| \(c.statement) | \(c.paper) | `\(c.compare)` | \(c.recorded) | \(c.observed ?? "—") "
            md += "| \(c.matchesRecorded ? "as recorded" : "**CHANGED or not evaluated**") |\n"
        }
        md += "\n" + s.claims.map { "- \($0.text)" }.joined(separator: "\n") + "\n\n"
        if !s.assertions.isEmpty {
            md += "## Variant assertions\n\n" + s.assertions.map { "- \($0.passed ? "✓" : "✗") \($0.text)" }.joined(separator: "\n") + "\n\n"
        }
        if let f = s.figure { md += "## Figure\n\n![\(e.figure?.title ?? e.name)](\(f))\n\n" }

        md += "## Variants\n\n"
        let metricNames = tableMetrics(e, means: s.means)
        md += "| variant | config | " + metricNames.map { "mean \($0)" }.joined(separator: " | ") + " | runs |\n"
        md += "|---|---|" + String(repeating: "---|", count: metricNames.count) + "---|\n"
        for (variant, pairs) in e.variants {
            let config = pairs.map { "\($0.0)=\($0.1.plainText)" }.joined(separator: " ")
            let values = metricNames.map { m in s.means[variant]?[m].map { String(format: "%.4f", $0) } ?? "—" }
            let links = (s.runs[variant] ?? []).map { "[\(URL(fileURLWithPath: $0).lastPathComponent)](\(relative($0, from: url)))" }
            md += "| \(variant) | `\(config)` | " + values.joined(separator: " | ") + " | \(links.joined(separator: ", ")) |\n"
        }
        md += "\nFiles: `study.json` (runs, means, claims)\(s.figure == nil ? "" : ", `figure.png`").\n"
        try AtomicWrite.write(Data(md.utf8), to: url)
    }

    /// The variants table's columns: the claims' metrics, then the figure's (a study whose
    /// claims judge BLEU and whose figure draws perplexity shows both per variant); a figure's
    /// metric that no run ends with (a curve of training error) is left out.
    static func tableMetrics(_ e: ExperimentSpec, means: [String: [String: Double]]) -> [String] {
        var names = e.claims.map(\.metric)
        for m in e.figure?.metrics ?? [] where means.values.contains(where: { $0[m] != nil }) { names.append(m) }
        return names.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// `path` relative to the folder of `file` (both under the same artifacts root).
    static func relative(_ path: String, from file: URL) -> String {
        let base = file.deletingLastPathComponent().standardizedFileURL.pathComponents
        let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        var i = 0
        while i < base.count, i < target.count, base[i] == target[i] { i += 1 }
        return (Array(repeating: "..", count: base.count - i) + target[i...]).joined(separator: "/")
    }
}
