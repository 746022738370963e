import Foundation

/// All the paper cards found on the search path, and lookup of experiments by name.
public struct CardLibrary: Sendable {
    /// The cards that loaded, in search-path then file-name order.
    public let cards: [PaperCard]

    public init(cards: [PaperCard]) { self.cards = cards }

    /// The Papers/ folder of the source tree this ReproKit was built from (this file is
    /// Sources/ReproKit/ReproKit/Cards/CardLibrary.swift), so that a built `repro` finds the
    /// cards from anywhere.
    public static let sourceTreePapers: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Papers").path
    }()

    /// Where cards are looked for, in order: `--papers DIR` (kept even if missing, so that a
    /// typo is reported), `$REPRO_PAPERS` (colon-separated), `./Papers`, then the source
    /// tree's Papers/. Folders that do not exist, other than the explicit one, are dropped,
    /// and a folder reached twice is listed once.
    public static func searchPath(explicit: String?) -> [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["REPRO_PAPERS"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        dirs += ["Papers", sourceTreePapers]
        dirs = dirs.filter { isDirectory($0) }
        if let explicit { dirs.insert(explicit, at: 0) }
        var seen = Set<String>()
        return dirs.filter { seen.insert(URL(fileURLWithPath: $0).resolvingSymlinksInPath().path).inserted }
    }

    /// Loads every `*.toml` card in `dirs`. A malformed card is reported and the others still
    /// load. A card file name met again in a later folder is replaced by the first (a copy
    /// in `--papers` overrides the built-in card), with a warning naming both. Two cards with
    /// the same id, or one experiment name in two cards, are errors naming both files; the
    /// one loaded first (earlier on the search path, or first by file name) is kept, and the
    /// warning says which card is skipped.
    public static func load(dirs: [String]) -> (cards: [PaperCard], errors: [CardError]) {
        var cards: [PaperCard] = []
        var errors: [CardError] = []
        var seenFiles: [String: String] = [:]  // file name → the path loaded
        var idFile: [String: String] = [:]
        var experimentFile: [String: (file: String, line: Int)] = [:]
        for dir in dirs {
            guard isDirectory(dir) else {
                errors.append(CardError(file: dir, line: nil, "no such folder of paper cards"))
                continue
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.sorted()
            for name in names {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if let first = seenFiles[name] {
                    errors.append(CardError(file: path, line: nil,
                        "skipped: \(first), earlier on the card search path, has the same file name and replaces it"))
                    continue
                }
                seenFiles[name] = path
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    errors.append(CardError(file: path, line: nil, "cannot read the file (not UTF-8 text?)"))
                    continue
                }
                let (parsed, problems) = PaperCard.check(text, file: path)
                errors += CardError.capped(problems)
                guard let card = parsed else { continue }
                if let first = idFile[card.id] {
                    errors.append(CardError(file: path, line: card.idLine,
                        "card id '\(card.id)' is also the id of \(first), loaded first; \(path) is skipped "
                        + "(card ids must be unique)"))
                    continue
                }
                let clashes = card.experiments.filter { experimentFile[$0.name] != nil }
                for e in clashes {
                    let first = experimentFile[e.name]!
                    errors.append(CardError(file: path, line: e.line,
                        "experiment '\(e.name)' is also defined in \(first.file):\(first.line), loaded first; "
                        + "\(path) is skipped (experiment names must be unique across cards)"))
                }
                if !clashes.isEmpty { continue }
                idFile[card.id] = path
                for e in card.experiments { experimentFile[e.name] = (path, e.line) }
                cards.append(card)
            }
        }
        errors += link(&cards)
        return (cards, errors)
    }

    /// Fills in each study's variants that run another experiment (`{ experiment = "…" }`):
    /// that experiment must exist and be a plain one, without variants of its own.
    static func link(_ cards: inout [PaperCard]) -> [CardError] {
        let all = cards.flatMap { card in card.experiments.map { (card, $0) } }
        var errors: [CardError] = []
        for c in cards.indices {
            for i in cards[c].experiments.indices {
                let e = cards[c].experiments[i]
                for (variant, target) in e.variantExperiments.sorted(by: { $0.key < $1.key }) {
                    let at = ["variants", variant, "experiment"]
                    guard let (card, linked) = all.first(where: { $0.1.name == target }) else {
                        errors.append(e.error(at: at, "variant '\(variant)' of experiment '\(e.name)' runs experiment "
                            + "'\(target)', which no card has" + CardSuggest.didYouMean(target, all.map(\.1.name))))
                        continue
                    }
                    guard linked.variants.isEmpty else {
                        errors.append(e.error(at: at, "variant '\(variant)' of experiment '\(e.name)' runs experiment "
                            + "'\(target)', which has variants of its own; name a plain experiment"))
                        continue
                    }
                    cards[c].experiments[i].linkedVariants[variant] = LinkedExperiment(card: card, experiment: linked)
                }
            }
        }
        return errors
    }

    /// Loads the cards on the search path (`searchPath(explicit:)`).
    public static func load(explicit: String?) -> (library: CardLibrary, errors: [CardError]) {
        let (cards, errors) = load(dirs: searchPath(explicit: explicit))
        return (CardLibrary(cards: cards), errors)
    }

    /// Every experiment with its card, in card then file order.
    public var experiments: [(card: PaperCard, experiment: ExperimentSpec)] {
        cards.flatMap { card in card.experiments.map { (card, $0) } }
    }

    /// The experiment called `name` and its card.
    public func experiment(named name: String) -> (PaperCard, ExperimentSpec)? {
        for card in cards {
            if let e = card.experiment(named: name) { return (card, e) }
        }
        return nil
    }

    /// The card with paper id `id`.
    public func card(id: String) -> PaperCard? { cards.first { $0.id == id } }

    /// The experiment name closest to a mistyped `name`, for "did you mean …?".
    public func suggestion(for name: String) -> String? {
        CardSuggest.closest(to: name, in: experiments.map(\.experiment.name))
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
