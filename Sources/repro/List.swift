import ArgumentParser
import ReproKit

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List papers, their experiments and plugin status.")
    @OptionGroup var locations: Locations

    func run() throws {
        let ws = locations.workspace()
        let loaded = Set(ws.plugins.map(\.plugin.id))
        var rows: [[String]] = []
        for (card, e) in ws.cards.experiments {
            let status = !loaded.contains(e.plugin) ? "plugin '\(e.plugin)' missing"
                : ws.experimentsWithProblems.contains(e.name) ? "card problem (see warnings)" : "ready"
            let checks = "\(e.expect.count) expect, \(e.expectQuick.count) quick, \(e.claims.count) claims"
            rows.append([e.name, card.id, e.summary, checks, status])
        }
        print(TextTable.render(header: ["experiment", "paper", "summary", "assertions", "status"], rows: rows))
        print("plugins: " + (ws.plugins.isEmpty ? "none" : ws.plugins.map { "\($0.plugin.id) \($0.plugin.version) (\($0.path))" }.joined(separator: ", ")))
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an experiment: its paper, config, reported numbers and expectations.")
    @OptionGroup var locations: Locations
    @Argument(help: "The experiment's name (see `repro list`).") var experiment: String

    func run() throws {
        let ws = locations.workspace()
        do {
            let (card, e) = try ws.experiment(experiment)
            print("\(e.name): \(e.summary)")
            print("paper: \(card.title) — \(card.authors.joined(separator: ", ")), \(card.venue) \(card.year)" + (card.arxiv.map { ", arXiv:\($0)" } ?? ""))
            print("card: \(e.file)   plugin: \(e.plugin)\(e.task.map { " / \($0)" } ?? "")   data: \(e.dataset)")
            if let (_, kind) = try? ExperimentRunner(plugins: ws.plugins).task(for: e) {
                let config = try ExperimentRunner(plugins: ws.plugins).resolveConfig(kind, e, variant: nil, quick: false, overrides: [])
                print("config:")
                for k in config.keys { print("  \(k) = \(config[k]!.plainText)") }
            } else {
                print("config (card overrides only; plugin not loaded): " + e.config.map { "\($0.0)=\($0.1.plainText)" }.joined(separator: " "))
            }
            if !e.quick.isEmpty { print("quick: " + e.quick.map { "\($0.0)=\($0.1.plainText)" }.joined(separator: " ")) }
            for (name, pairs) in e.variants { print("variant \(name): " + pairs.map { "\($0.0)=\($0.1.plainText)" }.joined(separator: " ")) }
            if let key = e.reported, let r = card.reported[key] {
                print("paper reports: \(Report.withUnit(r.value, r.unit)) \(r.metric) on \(r.dataset) (\(r.source))" + (e.reportedNote.map { " — \($0)" } ?? ""))
            }
            for x in e.expect { print("expect\(x.variant.map { " (\($0))" } ?? ""): \(x.metric) \(x.expectedText)   [\(x.basis)]") }
            for x in e.expectQuick {
                print("expect (quick\(x.variant.map { ", \($0)" } ?? "")): \(x.metric) \(x.expectedText)   [\(x.basis)]")
            }
            if let f = e.figure { print("figure: \(f.metrics.joined(separator: ", ")) per variant" + (f.title.map { " — \($0)" } ?? "")) }
            for c in e.claims {
                print("claim (\(c.paper)): \(c.statement) — \(c.compareText) on \(c.metric): recorded \(Claim.outcomeText(c.recordedOutcome)) (\(c.observed))")
            }
        } catch { throw fail(error) }
    }
}
