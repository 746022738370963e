import Foundation

/// A config struct that says which values its keys allow, beside its defaults:
///
///     struct MyConfig: Codable, RangedConfig {
///         var epochs = 3
///         var lr = 0.1
///         var dropout = 0.5
///         var schedule = "cosine"
///         var widths = [16, 32]
///
///         static let ranges: [String: ConfigRange] = [
///             "epochs": .atLeast(1), "lr": .above(0), "dropout": .within(0..<1),
///             "schedule": .oneOf(["cosine", "constant"]), "widths": .count(2, each: .atLeast(1)),
///         ]
///     }
///
/// Every value a card, a quick or variant table, `--set` or a resumed run's config.json
/// gives is checked against its key's range when it is given, so a run with a value out of
/// range never builds its task nor makes a run folder; the message is one line
/// (`invalid config: epochs = -1, must be ≥ 1`). Keys are the config's (dotted for a nested
/// struct: `"adam.beta1"`); a nested struct may instead adopt `RangedConfig` itself, with
/// its own field names. A key without a range takes any value of its type. A range on a key
/// the struct does not have, a range that does not fit the key's type, or a default outside
/// its range is a mistake in the plugin: the task is listed with the problem and refuses to run.
public protocol RangedConfig {
    static var ranges: [String: ConfigRange] { get }
}

/// The values one config key allows. Bounds apply to integer and number keys, `oneOf` to
/// string keys; on a list key both apply to each item, and `count` fixes the list's length.
/// An Optional key may always be none.
public struct ConfigRange: Sendable, Equatable, CustomStringConvertible {
    public struct Bound: Sendable, Equatable {
        public var value: Double
        public var inclusive: Bool
    }
    public var lower: Bound?
    public var upper: Bound?
    public var choices: [String]?
    /// A list key's number of items.
    public var count: Int?

    public init(lower: Bound? = nil, upper: Bound? = nil, choices: [String]? = nil, count: Int? = nil) {
        self.lower = lower
        self.upper = upper
        self.choices = choices
        self.count = count
    }

    /// ≥ x.
    public static func atLeast(_ x: Double) -> ConfigRange { ConfigRange(lower: Bound(value: x, inclusive: true)) }
    /// > x (a learning rate: `.above(0)`).
    public static func above(_ x: Double) -> ConfigRange { ConfigRange(lower: Bound(value: x, inclusive: false)) }
    /// ≤ x.
    public static func atMost(_ x: Double) -> ConfigRange { ConfigRange(upper: Bound(value: x, inclusive: true)) }
    /// From a to b, both included: `.within(0...1)`.
    public static func within(_ r: ClosedRange<Double>) -> ConfigRange {
        ConfigRange(lower: Bound(value: r.lowerBound, inclusive: true), upper: Bound(value: r.upperBound, inclusive: true))
    }
    /// From a (included) to b (excluded): `.within(0..<1)` for a dropout rate or a decay.
    public static func within(_ r: Range<Double>) -> ConfigRange {
        ConfigRange(lower: Bound(value: r.lowerBound, inclusive: true), upper: Bound(value: r.upperBound, inclusive: false))
    }
    /// One of these strings, exactly.
    public static func oneOf(_ choices: [String]) -> ConfigRange { ConfigRange(choices: choices) }
    /// A list of exactly `n` items, each in `each` if given.
    public static func count(_ n: Int, each: ConfigRange? = nil) -> ConfigRange {
        var r = each ?? ConfigRange()
        r.count = n
        return r
    }

    /// What the range allows, as the end of "must be …": "≥ 1", "in [0, 1)", "one of \"A\", \"B\"".
    public var description: String {
        var parts: [String] = []
        switch (lower, upper) {
        case let (l?, u?):
            parts.append("in \(l.inclusive ? "[" : "(")\(Self.text(l.value)), \(Self.text(u.value))\(u.inclusive ? "]" : ")")")
        case let (l?, nil): parts.append("\(l.inclusive ? "≥" : ">") \(Self.text(l.value))")
        case let (nil, u?): parts.append("\(u.inclusive ? "≤" : "<") \(Self.text(u.value))")
        case (nil, nil): break
        }
        if let choices { parts.append("one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")) }
        guard let count else { return parts.joined(separator: ", ") }
        return "a list of \(count) item\(count == 1 ? "" : "s")" + (parts.isEmpty ? "" : ", each " + parts.joined(separator: ", "))
    }

    /// 1 for 1.0, 0.001 for 1e-3.
    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }

    /// Whether a value (already of its key's type) is in the range.
    func allows(_ value: ConfigValue) -> Bool {
        switch value {
        case .null: return true
        case .list(let items):
            if let count, items.count != count { return false }
            return items.allSatisfy(allowsItem)
        default:
            return count == nil && allowsItem(value)
        }
    }

    private func allowsItem(_ value: ConfigValue) -> Bool {
        let x: Double
        switch value {
        case .int(let v): x = Double(v)
        case .double(let v): x = v
        case .string(let s): return choices?.contains(s) ?? true
        default: return true
        }
        if let lower, lower.inclusive ? x < lower.value : x <= lower.value { return false }
        if let upper, upper.inclusive ? x > upper.value : x >= upper.value { return false }
        return true
    }

    /// Why the range cannot apply to a key of `type`, or nil when it can.
    func mismatch(with type: ConfigType) -> String? {
        var item = type
        if case .optional(let wrapped) = item { item = wrapped }
        if case .list(let element) = item {
            item = element
        } else if count != nil {
            return "a count for a key that is not a list"
        }
        if case .choice(let raw, _) = item { item = raw }
        let bounds = lower != nil || upper != nil
        switch item {
        case .integer, .number:
            return choices != nil ? "string choices for a key of numbers" : nil
        case .string:
            return bounds ? "numeric bounds for a key of strings" : nil
        default:
            return bounds || choices != nil ? "bounds or choices for a key of \(item.typeName)" : nil
        }
    }
}
