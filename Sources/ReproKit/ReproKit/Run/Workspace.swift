import Foundation

/// The plugins and cards a command works with, loaded once, with what failed to load.
public struct Workspace {
    public let plugins: [LoadedPlugin]
    public let pluginErrors: [PluginLoadError]
    public let cards: CardLibrary
    public let cardErrors: [CardError]

    /// Loads plugins (`--plugins`, `$REPRO_PLUGIN_PATH`, beside the binary) and cards
    /// (`--papers`, `$REPRO_PAPERS`, ./Papers, the source tree's Papers/).
    public static func load(plugins pluginDir: String?, papers papersDir: String?) -> Workspace {
        let (plugins, pluginErrors) = PluginLoader.loadAll(explicit: pluginDir)
        let (cards, cardErrors) = CardLibrary.load(explicit: papersDir)
        return Workspace(plugins: plugins, pluginErrors: pluginErrors, cards: cards, cardErrors: cardErrors)
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
