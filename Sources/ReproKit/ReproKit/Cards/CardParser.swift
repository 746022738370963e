import TOMLKit

/// Turns a parsed TOML table into a `PaperCard`, checking every key against the format
/// (Papers/FORMAT.md) and collecting every problem with its line, so that one run shows a
/// student all the typos in a card.
final class CardParser {
    typealias Path = TOMLSourceMap.Path

    let file: String
    let map: TOMLSourceMap
    private(set) var errors: [CardError] = []
    /// Keys that an unknown key of a table looks like a typo of (by table path): their
    /// absence is already explained by the "did you mean" message, so it is not reported
    /// a second time.
    private var typoTargets: [Path: Set<String>] = [:]

    init(file: String, map: TOMLSourceMap) {
        self.file = file
        self.map = map
    }

    // MARK: The card's sections

    func card(_ root: TOMLTable) -> PaperCard {
        check(root, [], allowed: ["id", "title", "authors", "venue", "year", "arxiv", "reported", "experiments"])
        let id = string(root, [], "id") ?? ""
        let title = string(root, [], "title") ?? ""
        let authors = stringList(root, [], "authors") ?? []
        let venue = string(root, [], "venue") ?? ""
        let year = integer(root, [], "year") ?? 0
        let arxiv = string(root, [], "arxiv", required: false)

        var reported: [ReportedNumber] = []
        if let table = subtable(root, [], "reported") {
            for key in orderedKeys(table, ["reported"]) {
                let path = ["reported", key]
                guard let t = subtable(table, ["reported"], key) else { continue }
                check(t, path, allowed: ["value", "unit", "source", "metric", "dataset"])
                let value = number(t, path, "value")
                let unit = string(t, path, "unit"), source = string(t, path, "source")
                let metric = string(t, path, "metric"), dataset = string(t, path, "dataset")
                if let value, let unit, let source, let metric, let dataset {
                    reported.append(ReportedNumber(key: key, value: value, unit: unit, source: source,
                                                   metric: metric, dataset: dataset))
                }
            }
        }

        var experiments: [ExperimentSpec] = []
        if let table = subtable(root, [], "experiments") {
            let reportedKeys = root["reported"]?.table.map { orderedKeys($0, ["reported"]) }
            for name in orderedKeys(table, ["experiments"]) {
                guard let t = subtable(table, ["experiments"], name) else { continue }
                if let e = experiment(t, name: name, cardID: id, reportedKeys: reportedKeys) {
                    experiments.append(e)
                }
            }
        }
        var card = PaperCard(file: file, id: id, title: title, authors: authors, venue: venue, year: year,
                             arxiv: arxiv, reported: reported, experiments: experiments)
        card.idLine = map.line(["id"])
        return card
    }

    private func experiment(_ t: TOMLTable, name: String, cardID: String, reportedKeys: [String]?) -> ExperimentSpec? {
        let path = ["experiments", name]
        check(t, path, allowed: ["plugin", "task", "summary", "dataset", "reported", "reported_note",
                                 "config", "quick", "expect", "expect_quick", "variants", "claims", "figure"])
        let plugin = string(t, path, "plugin", required: false)
        let task = string(t, path, "task", required: false)
        let summary = string(t, path, "summary")
        let dataset = string(t, path, "dataset")
        let reported = string(t, path, "reported", required: false)
        let note = string(t, path, "reported_note", required: false)
        if let reported {
            if let keys = reportedKeys {
                if !keys.contains(reported) {
                    fail(path + ["reported"], "reported = '\(reported)' in \(tableName(path)) is not a key of [reported]"
                         + CardSuggest.didYouMean(reported, keys))
                }
            } else {
                fail(path + ["reported"], "reported = '\(reported)' in \(tableName(path)), but the card has no [reported] table")
            }
        }

        var keyLines: [String: Int] = [:]
        func configTable(_ key: String) -> [(String, ConfigValue)] {
            guard let c = subtable(t, path, key) else { return [] }
            return configPairs(c, path + [key]) { keyLines["\(key).\($0)"] = $1 }
        }
        let config = configTable("config")
        let quick = configTable("quick")
        var variants: [(String, [(String, ConfigValue)])] = []
        var variantNames: [String] = []  // all of them, also malformed ones, for the claims' check
        var linkedNames: [String: String] = [:]  // variant → the experiment it runs
        if let vt = subtable(t, path, "variants") {
            variantNames = orderedKeys(vt, path + ["variants"])
            for v in variantNames {
                guard let c = subtable(vt, path + ["variants"], v) else { continue }
                keyLines["variants.\(v)"] = map.line(path + ["variants", v])
                if c["experiment"] != nil {
                    // A variant that is another experiment's run, as that experiment's card has it.
                    let vpath = path + ["variants", v]
                    if let other = c.keys.first(where: { $0 != "experiment" }) {
                        fail(vpath + [other], "variant '\(v)' in \(tableName(path)) runs experiment "
                             + "'\(c["experiment"]?.string ?? "?")' and takes no other key ('\(other)'); "
                             + "change that experiment's config, or make a variant of this one")
                    }
                    if let target = string(c, vpath, "experiment") {
                        linkedNames[v] = target
                        keyLines["variants.\(v).experiment"] = map.line(vpath + ["experiment"])
                    }
                    variants.append((v, []))
                    continue
                }
                variants.append((v, configPairs(c, path + ["variants", v]) { keyLines["variants.\(v).\($0)"] = $1 }))
            }
        }
        let expect = expectations(t, path, "expect", variants: variantNames, reportedKeys: reportedKeys ?? [])
        let expectQuick = expectations(t, path, "expect_quick", variants: variantNames, reportedKeys: reportedKeys ?? [])
        let claims = self.claims(t, path, variants: variantNames, hasVariants: t["variants"] != nil)
        let figure = self.figure(t, path, hasVariants: t["variants"] != nil)

        guard let summary, let dataset else { return nil }
        return ExperimentSpec(file: file, line: map.line(path), cardID: cardID, name: name,
                              plugin: plugin ?? cardID, task: task, summary: summary, dataset: dataset,
                              reported: reported, reportedNote: note, config: config, quick: quick,
                              expect: expect, expectQuick: expectQuick, variants: variants,
                              claims: claims, figure: figure, keyLines: keyLines, variantExperiments: linkedNames)
    }

    private func expectations(_ t: TOMLTable, _ parent: Path, _ key: String, variants: [String],
                              reportedKeys: [String]) -> [Expectation] {
        guard let items = tableArray(t, parent, key) else { return [] }
        var out: [Expectation] = []
        for (i, e) in items.enumerated() {
            let path = parent + [key, TOMLSourceMap.index(i)]
            check(e, path, allowed: ["metric", "value", "tolerance", "rel_tolerance", "at_least", "at_most", "basis",
                                     "variant", "reported"])
            let metric = string(e, path, "metric")
            let basis = string(e, path, "basis")
            // Three forms: value with a tolerance, or one bound (at_least / at_most).
            let forms = ["value", "at_least", "at_most"].filter { e[$0] != nil }
                .sorted { map.line(path + [$0]) < map.line(path + [$1]) }
            var form: (value: Double, tolerance: Expectation.Tolerance, side: Expectation.Side)?
            if forms.count > 1 {
                fail(path + [forms[1]], "\(tableName(path)) has both '\(forms[0])' and '\(forms[1])'; give one: "
                     + "'value' with a tolerance, 'at_least' (a floor) or 'at_most' (a ceiling)")
            } else if let bound = forms.first, bound != "value" {
                let side: Expectation.Side = bound == "at_least" ? .atLeast : .atMost
                if let extra = ["tolerance", "rel_tolerance"].first(where: { e[$0] != nil }) {
                    fail(path + [extra], "'\(extra)' in \(tableName(path)) goes with 'value', not with '\(bound)' (a bound has none)")
                } else if let x = number(e, path, bound) {
                    form = (x, .absolute(0), side)
                }
            } else if forms.isEmpty && !["value", "at_least", "at_most"].contains(where: { isTypoTarget(path, $0) }) {
                fail(path, "\(tableName(path)) needs 'value' with 'tolerance' or 'rel_tolerance', or one bound: "
                     + "'at_least' or 'at_most'")
            } else if !forms.isEmpty {
                let value = number(e, path, "value")
                let abs = number(e, path, "tolerance", required: false, nonNegative: true)
                let rel = number(e, path, "rel_tolerance", required: false, nonNegative: true)
                switch (e["tolerance"] != nil, e["rel_tolerance"] != nil) {
                case (true, true):
                    let later = map.line(path + ["tolerance"]) > map.line(path + ["rel_tolerance"]) ? "tolerance" : "rel_tolerance"
                    fail(path + [later], "\(tableName(path)) has both 'tolerance' and 'rel_tolerance'; give exactly one")
                case (false, false) where !isTypoTarget(path, "tolerance") && !isTypoTarget(path, "rel_tolerance"):
                    fail(path, "\(tableName(path)) needs 'tolerance' (absolute) or 'rel_tolerance' (a fraction of the value)")
                case (false, false): break
                default:
                    if let value, let tolerance = abs.map(Expectation.Tolerance.absolute) ?? rel.map(Expectation.Tolerance.relative) {
                        form = (value, tolerance, .both)
                    }
                }
            }
            let variant = string(e, path, "variant", required: false)
            if let variant, !variants.contains(variant) {
                fail(path + ["variant"], "variant '\(variant)' in \(tableName(path)) is not a variant of the experiment"
                     + CardSuggest.didYouMean(variant, variants)
                     + (variants.isEmpty ? "; it has none" : "; variants: " + variants.joined(separator: ", ")))
            }
            let reported = string(e, path, "reported", required: false)
            if let reported, !reportedKeys.contains(reported) {
                fail(path + ["reported"], "reported = '\(reported)' in \(tableName(path)) is not a key of [reported]"
                     + CardSuggest.didYouMean(reported, reportedKeys))
            }
            if let metric, let basis, let form {
                out.append(form.side == .both
                    ? Expectation(metric: metric, value: form.value, tolerance: form.tolerance, basis: basis,
                                  variant: variant, reported: reported)
                    : Expectation(metric: metric, bound: form.value, side: form.side, basis: basis,
                                  variant: variant, reported: reported))
            }
        }
        return out
    }

    private func claims(_ t: TOMLTable, _ parent: Path, variants: [String], hasVariants: Bool) -> [Claim] {
        guard let items = tableArray(t, parent, "claims") else { return [] }
        if !items.isEmpty && !hasVariants {
            fail(parent + ["claims"], "\(tableName(parent)) has claims but no variants to compare; "
                 + "add [\(dotted(parent + ["variants"]))]")
        }
        var out: [Claim] = []
        for (i, c) in items.enumerated() {
            let path = parent + ["claims", TOMLSourceMap.index(i)]
            check(c, path, allowed: ["statement", "paper", "metric", "compare", "factor", "margin", "outcome", "outcome_quick", "observed"])
            let statement = string(c, path, "statement"), paper = string(c, path, "paper")
            let observed = string(c, path, "observed")
            let margin = number(c, path, "margin", required: false, nonNegative: true)
            var factor = number(c, path, "factor", required: false, nonNegative: true)
            if factor == 0 {
                fail(path + ["factor"], "'factor' in \(tableName(path)) must be positive (1: a plain comparison)")
                factor = nil
            }
            var compared: (left: String, op: Claim.Operator, right: String)?
            var sides: [(variant: String, metric: String?)] = []
            let compareText = string(c, path, "compare")
            if let text = compareText {
                if let parsed = Claim.parseCompare(text) {
                    compared = parsed
                    sides = [Claim.parseSide(parsed.left), Claim.parseSide(parsed.right)]
                    for side in sides where side.metric?.isEmpty == true || side.variant.isEmpty {
                        fail(path + ["compare"], "compare '\(text)' in \(tableName(path)): a side is VARIANT or "
                             + "VARIANT.METRIC, not '\(side.variant).\(side.metric ?? "")'")
                        compared = nil
                    }
                    for v in sides.map(\.variant) where compared != nil && hasVariants && !variants.contains(v) {
                        fail(path + ["compare"], "compare '\(text)' in \(tableName(path)) names unknown variant '\(v)'"
                             + CardSuggest.didYouMean(v, variants) + "; variants: " + variants.joined(separator: ", "))
                        compared = nil
                    }
                    if compared != nil && sides[0].variant == sides[1].variant && sides[0].metric == sides[1].metric {
                        fail(path + ["compare"], "compare '\(text)' in \(tableName(path)) compares a variant with itself")
                        compared = nil
                    }
                } else {
                    fail(path + ["compare"], "compare '\(text)' in \(tableName(path)) is not SIDE OP SIDE (a side is "
                         + "VARIANT or VARIANT.METRIC) with OP one of > < >= <=")
                }
            }
            // `metric` may be left out only when both sides name their own.
            let bothNamed = !sides.isEmpty && sides.allSatisfy { $0.metric != nil }
            let metric = string(c, path, "metric", required: !bothNamed)
            var judgedInQuick = true
            func outcomeValue(_ key: String, required: Bool) -> Bool? {
                guard let text = string(c, path, key, required: required) else { return nil }
                switch text {
                case "holds": return true
                case "does not hold": return false
                case "not judged" where key == "outcome_quick":
                    judgedInQuick = false
                    return nil
                default:
                    fail(path + [key], "\(key) '\(text)' in \(tableName(path)) must be \"holds\" or \"does not hold\""
                         + (key == "outcome_quick" ? " or \"not judged\"" : ""))
                    return nil
                }
            }
            let outcome = outcomeValue("outcome", required: true)
            let quickOutcome = outcomeValue("outcome_quick", required: false)
            if let statement, let paper, let observed, let compared, let outcome,
               let metric = metric ?? sides.first?.metric {
                out.append(Claim(statement: statement, paper: paper, metric: metric, left: sides[0].variant,
                                 op: compared.op, right: sides[1].variant, leftMetric: sides[0].metric,
                                 rightMetric: sides[1].metric, factor: factor ?? 1, margin: margin ?? 0,
                                 recordedOutcome: outcome, recordedQuickOutcome: quickOutcome,
                                 judgedInQuick: judgedInQuick, observed: observed))
            }
        }
        return out
    }

    /// `figure = { metrics = [...], title = "...", y_label = "..." }`: one figure over the variants;
    /// with `x_values` (one number per metric), each metric's final value at its x.
    private func figure(_ t: TOMLTable, _ parent: Path, hasVariants: Bool) -> FigureSpec? {
        guard let f = subtable(t, parent, "figure") else { return nil }
        let path = parent + ["figure"]
        check(f, path, allowed: ["metrics", "title", "y_label", "y_max", "x_values", "x_label"])
        if !hasVariants {
            fail(path, "\(tableName(parent)) has a figure but no variants to draw; add [\(dotted(parent + ["variants"]))]")
        }
        let metrics = stringList(f, path, "metrics")
        let title = string(f, path, "title", required: false)
        let yLabel = string(f, path, "y_label", required: false)
        var yMax = number(f, path, "y_max", required: false, nonNegative: true)
        if yMax == 0 {
            fail(path + ["y_max"], "'y_max' in \(tableName(path)) must be positive")
            yMax = nil
        }
        let xLabel = string(f, path, "x_label", required: false)
        var xValues: [Double]? = nil
        if let v = f["x_values"] {
            if let a = v.array, !a.isEmpty, case let xs = a.compactMap({ $0.double ?? $0.int.map(Double.init) }),
               xs.count == a.count, xs.allSatisfy(\.isFinite) {
                xValues = xs
                if let metrics, metrics.count != xs.count {
                    fail(path + ["x_values"], "'x_values' in \(tableName(path)) needs one number per metric "
                         + "(\(metrics.count) metrics, \(xs.count) values)")
                }
            } else {
                wrongType(path, "x_values", "a non-empty list of numbers", v)
            }
        }
        guard let metrics else { return nil }
        return FigureSpec(metrics: metrics, title: title, yLabel: yLabel, yMax: yMax, xValues: xValues, xLabel: xLabel)
    }

    /// A table of config values in file order, each reported to `line` with its line. A
    /// sub-table (`adam = { beta1 = 0.9 }`, or the dotted key `adam.beta1 = 0.9`) gives dotted
    /// keys ("adam.beta1"): the keys of a nested config struct.
    private func configPairs(_ t: TOMLTable, _ path: Path, prefix: String = "",
                             line: (String, Int) -> Void) -> [(String, ConfigValue)] {
        var out: [(String, ConfigValue)] = []
        for key in orderedKeys(t, path) {
            guard let v = t[key] else { continue }
            line(prefix + key, map.line(path + [key]))
            if let c = configValue(v) {
                out.append((prefix + key, c))
            } else if let sub = v.table {
                out += configPairs(sub, path + [key], prefix: prefix + key + ".", line: line)
            } else {
                fail(path + [key], "'\(key)' in \(tableName(path)) must be a number, true/false, a string, "
                     + "a list of them or a table of them, not \(describe(v))")
            }
        }
        return out
    }

    private func configValue(_ v: TOMLValueConvertible) -> ConfigValue? {
        switch v.type {
        case .int: return v.int.map(ConfigValue.int)
        case .double: return v.double.map(ConfigValue.double)
        case .bool: return v.bool.map(ConfigValue.bool)
        case .string: return v.string.map(ConfigValue.string)
        case .array:
            guard let a = v.array else { return nil }
            let items = a.map(configValue)
            return items.contains(where: { $0 == nil }) ? nil : .list(items.map { $0! })
        default: return nil
        }
    }

    // MARK: Typed access with messages

    private func fail(_ path: Path, _ message: String) {
        errors.append(CardError(file: file, line: map.line(path), message))
    }

    /// How a table is named in messages: "[experiments.x]", "[[experiments.x.expect]]".
    func tableName(_ path: Path) -> String {
        if path.isEmpty { return "the top level" }
        let isElement = TOMLSourceMap.isIndex(path.last!)
        return isElement ? "[[\(dotted(path))]]" : "[\(dotted(path))]"
    }

    /// The path as TOML writes it, without array indices; keys quoted where TOML needs it.
    private func dotted(_ path: Path) -> String {
        path.filter { !TOMLSourceMap.isIndex($0) }.map { key in
            let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
            }
            return bare ? key : "\"\(key)\""
        }.joined(separator: ".")
    }

    /// The keys of a table in file order (toml++ keeps them sorted).
    private func orderedKeys(_ t: TOMLTable, _ path: Path) -> [String] {
        let present = Set(t.keys)
        let inFile = map.children(path).filter { present.contains($0) }
        // A set: a card with thousands of keys must not take quadratic time.
        let listed = Set(inFile)
        return inFile + t.keys.filter { !listed.contains($0) }.sorted()
    }

    /// Reports keys of `t` that the format does not have.
    private func check(_ t: TOMLTable, _ path: Path, allowed: [String]) {
        for key in orderedKeys(t, path) where !allowed.contains(key) {
            let target = CardSuggest.closest(to: key, in: allowed)
            fail(path + [key], "unknown key '\(key)' in \(tableName(path))" + (target.map { " (did you mean '\($0)'?)" } ?? ""))
            if let target { typoTargets[path, default: []].insert(target) }
        }
    }

    private func describe(_ v: TOMLValueConvertible) -> String {
        switch v.type {
        case .string: return "the string \"\(v.string ?? "")\""
        case .int: return "the integer \(v.int ?? 0)"
        case .double: return "the number \(v.double ?? 0)"
        case .bool: return "\(v.bool ?? false)"
        case .array: return (v.array?.isEmpty ?? false) ? "an empty list" : "a list"
        case .table: return "a table"
        default: return "a date or time"
        }
    }

    /// The value at `key`, or nil (reporting it if required and missing).
    private func present(_ t: TOMLTable, _ path: Path, _ key: String, _ required: Bool) -> TOMLValueConvertible? {
        if let v = t[key] { return v }
        if required && !isTypoTarget(path, key) { fail(path, "missing required key '\(key)' in \(tableName(path))") }
        return nil
    }

    private func isTypoTarget(_ path: Path, _ key: String) -> Bool {
        typoTargets[path]?.contains(key) ?? false
    }

    private func wrongType(_ path: Path, _ key: String, _ expected: String, _ v: TOMLValueConvertible) {
        fail(path + [key], "'\(key)' in \(tableName(path)) must be \(expected), not \(describe(v))")
    }

    private func string(_ t: TOMLTable, _ path: Path, _ key: String, required: Bool = true) -> String? {
        guard let v = present(t, path, key, required) else { return nil }
        guard let s = v.string else { wrongType(path, key, "a string", v); return nil }
        if s.allSatisfy(\.isWhitespace) {
            fail(path + [key], "'\(key)' in \(tableName(path)) is empty")
            return nil
        }
        return s
    }

    private func number(_ t: TOMLTable, _ path: Path, _ key: String, required: Bool = true,
                        nonNegative: Bool = false) -> Double? {
        guard let v = present(t, path, key, required) else { return nil }
        guard let x = v.double ?? v.int.map(Double.init) else { wrongType(path, key, "a number", v); return nil }
        if !x.isFinite || (nonNegative && x < 0) {
            fail(path + [key], "'\(key)' in \(tableName(path)) must be a finite\(nonNegative ? ", non-negative" : "") number, not \(x)")
            return nil
        }
        return x
    }

    private func integer(_ t: TOMLTable, _ path: Path, _ key: String) -> Int? {
        guard let v = present(t, path, key, true) else { return nil }
        guard let x = v.int else { wrongType(path, key, "an integer", v); return nil }
        return x
    }

    private func stringList(_ t: TOMLTable, _ path: Path, _ key: String) -> [String]? {
        guard let v = present(t, path, key, true) else { return nil }
        guard let a = v.array, !a.isEmpty, a.allSatisfy({ $0.type == .string }) else {
            wrongType(path, key, "a non-empty list of strings", v)
            return nil
        }
        return a.compactMap { $0.string }
    }

    private func subtable(_ t: TOMLTable, _ path: Path, _ key: String) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard let table = v.table else { wrongType(path, key, "a table", v); return nil }
        return table
    }

    /// An array of tables (`[[parent.key]]` headers, or a list of inline tables).
    private func tableArray(_ t: TOMLTable, _ path: Path, _ key: String) -> [TOMLTable]? {
        guard let v = t[key] else { return nil }
        guard let a = v.array, a.allSatisfy({ $0.type == .table }) else {
            wrongType(path, key, "a list of tables ([[\(dotted(path + [key]))]])", v)
            return nil
        }
        return a.compactMap { $0.table }
    }
}
