import Foundation

/// `report.md`: the run for a reader — the paper, the result against expectation and the
/// paper's own number, the pictures, and the exact config.
public enum Report {
    public static func write(summary s: RunSummary, record: RunRecord, card: PaperCard,
                             experiment e: ExperimentSpec, to url: URL) throws {
        var md = "# \(e.name)\(s.variant.map { " / \($0)" } ?? "")\n\n"
        md += "\(e.summary)\n\n"
        md += "**Paper:** \(card.title) — \(card.authors.joined(separator: ", ")), \(card.venue) \(card.year)"
        md += card.arxiv.map { ", arXiv:\($0)" } ?? ""
        md += "\n\n"
        md += "**Run:** seed \(s.seed)\(s.quick ? ", quick variant" : ""), \(s.steps) steps, "
        md += String(format: "%.1f s", s.seconds)
        md += ", \(record.threads) thread(s), commit \(record.gitCommit), \(record.machine)\n\n"
        md += "**Outcome:** \(s.outcome)\(s.message.map { " — \($0)" } ?? "")\n\n"
        if let data = record.data, !data.isEmpty {
            md += "**Data:** " + data.map(\.description).joined(separator: "; ") + "\n\n"
        }

        md += "## Result\n\n"
        if s.assertions.isEmpty {
            md += "No assertions for this run.\n\n"
        } else {
            md += "| metric | observed | expected | verdict |\n|---|---|---|---|\n"
            for a in s.assertions {
                let obs = a.observed.map { String(format: "%.4f", $0) } ?? "—"
                func edge(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
                let expected = a.low == nil ? "≤ \(edge(a.high))" : a.high == nil ? "≥ \(edge(a.low))"
                    : "\(String(format: "%.4f", a.expected)) (\(edge(a.low))–\(edge(a.high)))"
                md += "| \(a.metric) | \(obs) | \(expected) | \(a.passed ? "pass" : "FAIL") |\n"
            }
            md += "\nTolerances come from repeated seeds: " + s.assertions.map { "\($0.metric): \($0.basis)" }.joined(separator: "; ") + "\n\n"
        }
        // A variant's own paper number (resnet56 beside ResNet-56's error), else the experiment's.
        let reportedKey = e.expect.first { $0.variant == s.variant && $0.reported != nil }?.reported ?? e.reported
        if let key = reportedKey, let r = card.reported[key] {
            md += "## Beside the paper\n\n"
            md += "The paper reports \(r.metric) **\(withUnit(r.value, r.unit))** on \(r.dataset) (\(r.source)).\n"
            if let note = e.reportedNote { md += "\n> \(note)\n" }
            md += "\n"
        }
        md += "## Final metrics\n\n| metric | value |\n|---|---|\n"
        for k in s.metrics.keys.sorted() { md += "| \(k) | \(String(format: "%.4f", s.metrics[k]!)) |\n" }
        md += "\n## Curves\n\n![curves](curves.png)\n\n"
        let final = s.drawings.filter { !DrawingWriter.isStepDrawing($0) }
        let steps = s.drawings.filter(DrawingWriter.isStepDrawing)
        // Pictures as images; a task's text pieces (sample translations) inline.
        let texts = final.filter { $0.hasSuffix(".md") }, pictures = final.filter { !$0.hasSuffix(".md") }
        if !pictures.isEmpty {
            md += "## Drawings\n\n"
            for d in pictures { md += "![\(d)](\(d))\n\n" }
        }
        let folder = url.deletingLastPathComponent()
        for t in texts {
            guard let body = try? String(contentsOf: folder.appendingPathComponent(t), encoding: .utf8) else { continue }
            md += "## \(t.dropLast(3).replacingOccurrences(of: "_", with: " ").capitalized) (`\(t)`)\n\n\(body)\n"
        }
        if !steps.isEmpty {
            md += "## Drawings during training\n\n" + steps.map { "- [\($0)](\($0))" }.joined(separator: "\n") + "\n\n"
        }
        md += "## Config\n\n| key | value |\n|---|---|\n"
        for k in record.config.keys.sorted() { md += "| \(k) | \(record.config[k]!) |\n" }
        if !record.overrides.isEmpty { md += "\nOverrides: `\(record.overrides.joined(separator: " "))`\n" }
        md += "\nFiles: `config.json`, `metrics.jsonl`, `summary.json`, `checkpoint.h5`, `best.h5`.\n"
        try AtomicWrite.write(Data(md.utf8), to: url)
    }

    public static func formatNumber(_ v: Double) -> String {
        v == v.rounded() ? String(format: "%.0f", v) : String(format: "%g", v)
    }

    /// A paper's number with its unit: "8.75%", but "3.17 FID" and "27.3 BLEU" (a unit that is
    /// a word gets a space).
    public static func withUnit(_ v: Double, _ unit: String) -> String {
        formatNumber(v) + (unit.first?.isLetter == true ? " " : "") + unit
    }
}
