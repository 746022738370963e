import Foundation
import TOMLKit

/// A paper card (`Papers/<paper>.toml`): the citation, the paper's reported numbers, and the
/// experiments that reproduce it at mini scale with their assertions. It is data a student
/// edits without recompiling; Papers/FORMAT.md describes the format.
public struct PaperCard: Sendable {
    /// The file the card was read from, as given (used in every message about it).
    public let file: String
    /// The paper id, and the default plugin id of its experiments.
    public let id: String
    public let title: String
    public let authors: [String]
    public let venue: String
    public let year: Int
    /// The arXiv id, if the paper has one (AlexNet has none).
    public let arxiv: String?
    /// The paper's numbers by key.
    public let reported: [String: ReportedNumber]
    /// The keys of `reported` in file order.
    public let reportedKeys: [String]
    /// The experiments in file order (their linked variants filled in by `CardLibrary`).
    public internal(set) var experiments: [ExperimentSpec]
    /// The line of `id`, for messages about the card as a whole.
    var idLine = 1

    /// The reported numbers in file order.
    public var reportedInOrder: [ReportedNumber] { reportedKeys.compactMap { reported[$0] } }

    /// The experiment called `name` in this card.
    public func experiment(named name: String) -> ExperimentSpec? {
        experiments.first { $0.name == name }
    }

    public init(file: String, id: String, title: String, authors: [String], venue: String, year: Int,
                arxiv: String?, reported: [ReportedNumber], experiments: [ExperimentSpec]) {
        self.file = file
        self.id = id
        self.title = title
        self.authors = authors
        self.venue = venue
        self.year = year
        self.arxiv = arxiv
        self.reported = Dictionary(reported.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        self.reportedKeys = reported.map(\.key)
        self.experiments = experiments
    }

    /// Parses and validates a card's text. Throws the first problem (by line); use
    /// `check(_:file:)` to get them all.
    public static func parse(_ text: String, file: String) throws -> PaperCard {
        let (card, errors) = check(text, file: file)
        if let first = errors.first { throw first }
        return card!
    }

    /// Parses and validates a card's text, collecting every problem (sorted by line) so that
    /// a student can fix several typos in one go. The card is nil if there is any problem.
    public static func check(_ text: String, file: String) -> (card: PaperCard?, errors: [CardError]) {
        if let (line, problem) = TOMLPreflight.problem(text) {
            return (nil, [CardError(file: file, line: line, "TOML syntax error: \(problem)")])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            return (nil, [CardError(file: file, line: e.source.begin.line, "TOML syntax error: \(e.description)")])
        } catch {
            return (nil, [CardError(file: file, line: nil, "cannot parse: \(error)")])
        }
        let parser = CardParser(file: file, map: TOMLSourceMap(text: text))
        let card = parser.card(table)
        let errors = parser.errors.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
        return errors.isEmpty ? (card, []) : (nil, errors)
    }

    /// Reads and parses the card at `path`.
    public static func load(path: String) throws -> PaperCard {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CardError(file: path, line: nil, "cannot read the file (missing, or not UTF-8 text)")
        }
        return try parse(text, file: path)
    }
}

/// One number the paper reports, with where it is printed.
public struct ReportedNumber: Equatable, Sendable {
    /// The key under `[reported]` that experiments refer to.
    public let key: String
    public let value: Double
    /// "%", "BLEU", "FID", …
    public let unit: String
    /// The table or figure it is printed in ("Table 6").
    public let source: String
    public let metric: String
    public let dataset: String

    public init(key: String, value: Double, unit: String, source: String, metric: String, dataset: String) {
        self.key = key
        self.value = value
        self.unit = unit
        self.source = source
        self.metric = metric
        self.dataset = dataset
    }
}

/// One experiment of a card: which plugin task to run on what config, and what to assert.
public struct ExperimentSpec: Sendable {
    /// The card file it comes from, and the line of its `[experiments.NAME]` table.
    public let file: String
    public let line: Int
    /// The id of the card it belongs to.
    public let cardID: String
    /// The experiment's name, unique across all cards (`repro run NAME`).
    public let name: String
    /// The plugin id (the card id unless the card says otherwise).
    public let plugin: String
    /// The task of the plugin; nil means the plugin's first task.
    public let task: String?
    public let summary: String
    public let dataset: String
    /// The key of the card's `[reported]` number this experiment stands beside.
    public let reported: String?
    /// How this run differs from the paper's setting of that number.
    public let reportedNote: String?
    /// Overrides of the task's default config, in file order.
    public let config: [(String, ConfigValue)]
    /// Overrides applied on top of `config` for `--quick` runs, in file order.
    public let quick: [(String, ConfigValue)]
    /// Assertions on the full run and on the quick run.
    public let expect: [Expectation]
    public let expectQuick: [Expectation]
    /// Named config overrides (in file order) that the claims compare.
    public let variants: [(String, [(String, ConfigValue)])]
    public let claims: [Claim]
    /// Variants that run another experiment (`rnnsearch = { experiment = "bahdanau-mini" }`):
    /// the variant's name → that experiment's name. Their config overrides are empty.
    public let variantExperiments: [String: String]
    /// Those experiments with their cards, once `CardLibrary.load` has found them.
    public internal(set) var linkedVariants: [String: LinkedExperiment] = [:]
    /// The figure drawn over the variants' runs (`repro run` of the whole experiment, `verify`).
    public let figure: FigureSpec?
    /// Lines of the keys under config, quick and variants ("config.depth",
    /// "variants.plain8.depth"), for messages about them.
    let keyLines: [String: Int]

    /// The experiment's expectations for a run: the full or quick ones that name this variant
    /// (none: the runs of the experiment's own config).
    public func expectations(quick: Bool, variant: String?) -> [Expectation] {
        (quick ? expectQuick : expect).filter { $0.variant == variant }
    }

    /// True when `repro run` runs every variant and judges the claims (a study), rather than
    /// one config.
    public var isStudy: Bool { !claims.isEmpty }

    /// The overrides of the variant called `name`.
    public func variant(named name: String) -> [(String, ConfigValue)]? {
        variants.first { $0.0 == name }?.1
    }

    /// The overrides to apply, in order, to the task's defaults: `config`, then `quick` for a
    /// quick run, then the variant's (so that a variant keeps its identity in a quick run).
    /// A key set twice keeps its first position and its last value.
    public func resolvedConfig(variant: String? = nil, quick isQuick: Bool) -> [(String, ConfigValue)] {
        var out = config
        func apply(_ pairs: [(String, ConfigValue)]) {
            for (k, v) in pairs {
                if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
            }
        }
        if isQuick { apply(quick) }
        if let variant, let pairs = self.variant(named: variant) { apply(pairs) }
        return out
    }

    /// A card error located at a key of this experiment: `["config", "depth"]`,
    /// `["variants", "plain8", "depth"]`; the experiment's own line if the key is not found.
    /// The runner uses it for problems only it can see (a config key the task lacks).
    public func error(at keyPath: [String], _ message: String) -> CardError {
        CardError(file: file, line: keyLines[keyPath.joined(separator: ".")] ?? line, message)
    }

    public init(file: String, line: Int, cardID: String, name: String, plugin: String, task: String?,
                summary: String, dataset: String, reported: String?, reportedNote: String?,
                config: [(String, ConfigValue)], quick: [(String, ConfigValue)],
                expect: [Expectation], expectQuick: [Expectation],
                variants: [(String, [(String, ConfigValue)])], claims: [Claim], figure: FigureSpec? = nil,
                keyLines: [String: Int] = [:], variantExperiments: [String: String] = [:]) {
        self.variantExperiments = variantExperiments
        self.file = file
        self.line = line
        self.cardID = cardID
        self.name = name
        self.plugin = plugin
        self.task = task
        self.summary = summary
        self.dataset = dataset
        self.reported = reported
        self.reportedNote = reportedNote
        self.config = config
        self.quick = quick
        self.expect = expect
        self.expectQuick = expectQuick
        self.variants = variants
        self.claims = claims
        self.figure = figure
        self.keyLines = keyLines
    }
}

/// `figure` of an experiment: metrics of the history drawn against steps, one colour per
/// variant, averaged over seeds. `train_error` and `test_error` are 1 − the accuracies.
/// With `xValues`, one line per variant through the final value of each metric, metric i at
/// x = xValues[i]: BLEU by sentence length (Bahdanau et al. Figure 2) from the metrics of
/// each length bucket.
public struct FigureSpec: Equatable, Sendable {
    public let metrics: [String]
    public let title: String?
    public let yLabel: String?
    /// The top of the y-axis (the bottom is 0), to show the end of training as the papers do;
    /// nil: fit the data.
    public let yMax: Double?
    /// The x of each metric's final value; nil: the metrics against steps.
    public let xValues: [Double]?
    public let xLabel: String?
    public init(metrics: [String], title: String? = nil, yLabel: String? = nil, yMax: Double? = nil,
                xValues: [Double]? = nil, xLabel: String? = nil) {
        self.metrics = metrics; self.title = title; self.yLabel = yLabel; self.yMax = yMax
        self.xValues = xValues; self.xLabel = xLabel
    }
}

/// Another card's experiment that a study's variant runs, with its card.
public struct LinkedExperiment: Sendable {
    public let card: PaperCard
    public let experiment: ExperimentSpec
}
