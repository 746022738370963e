import Foundation

/// The plugins and cards a command works with, loaded once, with what failed to load.
public struct Workspace {
    public let plugins: [LoadedPlugin]
    public let pluginErrors: [PluginLoadError]
    public let cards: CardLibrary
    /// Problems of the cards themselves, then of experiments with their plugins.
    public let cardErrors: [CardError]
    /// Experiments whose card does not fit their plugin (`ExperimentRunner.cardProblems`),
    /// by name; they are listed, and refuse to run what the problem touches.
    public let experimentsWithProblems: Set<String>

    /// Loads plugins (`--plugins`, `$REPRO_PLUGIN_PATH`, beside the binary) and cards
    /// (`--papers`, `$REPRO_PAPERS`, ./Papers, the source tree's Papers/). With a `probe`,
    /// each plugin library is first loaded in a child process (`PluginProbe`).
    public static func load(plugins pluginDir: String?, papers papersDir: String?, probe: PluginProbe? = nil) -> Workspace {
        let (plugins, pluginErrors) = PluginLoader.loadAll(explicit: pluginDir, probe: probe)
        var (cards, cardErrors) = CardLibrary.load(explicit: papersDir)
        let runner = ExperimentRunner(plugins: plugins)
        var withProblems = Set<String>()
        for card in cards.cards {
            var problems: [CardError] = []
            for e in card.experiments {
                let found = runner.cardProblems(e)
                if !found.isEmpty { withProblems.insert(e.name) }
                problems += found
            }
            cardErrors += CardError.capped(problems)
        }
        return Workspace(plugins: plugins, pluginErrors: pluginErrors, cards: cards, cardErrors: cardErrors,
                         experimentsWithProblems: withProblems)
    }

    /// Every load problem as one line each (for stderr).
    public var problems: [String] {
        pluginErrors.map { "warning: \($0.description)" } + cardErrors.map { "warning: \($0.description)" }
    }

    /// The card and experiment called `name`, or a clear error.
    public func experiment(_ name: String) throws -> (PaperCard, ExperimentSpec) {
        guard let found = cards.experiment(named: name) else {
            throw RunError.unknownExperiment(name, suggestion: cards.suggestion(for: name))
        }
        return found
    }
}
