import Foundation

/// One config value: what a card's TOML and a `--set key=value` can say.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String), list([ConfigValue])
    /// No value: a nil Optional field (`--set key=none`).
    case null

    /// The type's name as users read it in error messages.
    public var typeName: String {
        switch self {
        case .int: return "integer"
        case .double: return "number"
        case .bool: return "true/false"
        case .string: return "string"
        case .list: return "list"
        case .null: return "none"
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let v): return "\"\(v)\""
        case .list(let v): return "[" + v.map(\.description).joined(separator: ", ") + "]"
        case .null: return "none"
        }
    }

    var json: Any {
        switch self {
        case .int(let v): return v
        case .double(let v): return v
        case .bool(let v): return v
        case .string(let v): return v
        case .list(let v): return v.map(\.json)
        case .null: return NSNull()
        }
    }
}

/// A config problem, said in one line with what to do.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unknownKey(String, valid: [String])
    case wrongType(key: String, expected: String, got: String)
    case malformedOverride(String)
    case invalid(String)
    /// A value of the right type that the key still cannot take: "must be one of …".
    case badValue(key: String, String)
    /// A value of the right type outside the range its config struct declares (`RangedConfig`).
    case outOfRange(key: String, value: ConfigValue, allowed: String)
    /// A config struct's field of a type a config cannot hold (a Date, a dictionary, a class).
    case unsupported(field: String, type: String)

    public var description: String {
        switch self {
        case .unknownKey(let key, let valid):
            return "unknown config key '\(key)'; valid keys: \(valid.joined(separator: ", "))"
        case .wrongType(let key, let expected, let got):
            // "an integer", "a number": the type names are the ones `typeName` gives.
            let article = expected.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            return "config key '\(key)' needs \(article) \(expected), got \(got)"
        case .malformedOverride(let text):
            return "--set '\(text)' is not of the form key=value"
        case .invalid(let why):
            return "invalid config: \(why)"
        case .outOfRange(let key, let value, let allowed):
            return "invalid config: \(key) = \(value), must be \(allowed)"
        case .badValue(let key, let why):
            return "config key '\(key)' \(why)"
        case .unsupported(let field, let type):
            return "config field '\(field)' has type \(type), which a config cannot hold; use Int, Double, Float, "
                + "Bool, String or another fixed-width integer, a String- or Int-backed enum, a list or Optional "
                + "of those, or a nested struct of them"
        }
    }
}
