import Foundation

/// One config value: what a card's TOML and a `--set key=value` can say.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String), list([ConfigValue])

    /// The type's name as users read it in error messages.
    public var typeName: String {
        switch self {
        case .int: return "integer"
        case .double: return "number"
        case .bool: return "true/false"
        case .string: return "string"
        case .list: return "list"
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let v): return "\"\(v)\""
        case .list(let v): return "[" + v.map(\.description).joined(separator: ", ") + "]"
        }
    }

    var json: Any {
        switch self {
        case .int(let v): return v
        case .double(let v): return v
        case .bool(let v): return v
        case .string(let v): return v
        case .list(let v): return v.map(\.json)
        }
    }

    /// A Swift value of a config field.
    init?(swift value: Any) {
        switch value {
        case let v as Int: self = .int(v)
        case let v as Double: self = .double(v)
        case let v as Float: self = .double(Double(v))
        case let v as Bool: self = .bool(v)
        case let v as String: self = .string(v)
        case let a as [Any]:
            let items = a.compactMap(ConfigValue.init(swift:))
            guard items.count == a.count else { return nil }
            self = .list(items)
        default: return nil
        }
    }

    /// This value converted to the type of `like` (an integer is a valid number), or nil.
    func converted(like: ConfigValue) -> ConfigValue? {
        switch (like, self) {
        case (.int, .int), (.double, .double), (.bool, .bool), (.string, .string): return self
        case (.double, .int(let v)): return .double(Double(v))
        case (.int, .double(let v)) where v == v.rounded() && abs(v) < 1e15: return .int(Int(v))
        case (.list(let proto), .list(let items)):
            guard let first = proto.first else { return self }
            let conv = items.map { $0.converted(like: first) }
            return conv.contains(where: { $0 == nil }) ? nil : .list(conv.map { $0! })
        default: return nil
        }
    }

    /// Parses the text of `--set key=TEXT` as the type of `like`.
    static func parse(_ text: String, like: ConfigValue) -> ConfigValue? {
        switch like {
        case .int: return Int(text).map(ConfigValue.int)
        case .double: return Double(text).map(ConfigValue.double)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: return nil
            }
        case .string: return .string(text)
        case .list(let proto):
            let body = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            let parts = body.isEmpty ? [] : body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = proto.first else { return .list(parts.map { .string($0) }) }
            let items = parts.map { parse($0, like: first) }
            return items.contains(where: { $0 == nil }) ? nil : .list(items.map { $0! })
        }
    }
}

/// A config problem, said in one line with what to do.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unknownKey(String, valid: [String])
    case wrongType(key: String, expected: String, got: String)
    case malformedOverride(String)
    case invalid(String)

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
        }
    }
}

/// A task's config as ordered key → value pairs. It starts as the encoded defaults of the
/// task's Codable struct; card values and `--set` overrides are checked against them (key
/// and type), then it decodes back to the struct.
public struct ConfigDict: Equatable, Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: ConfigValue] = [:]

    public init() {}

    /// The fields of a config struct (numbers, bools, strings and lists of them), read by
    /// reflection so that a `Double` field whose default is 1 stays a number, not an integer.
    public init<C: Encodable>(encoding value: C) throws {
        for child in Mirror(reflecting: value).children {
            guard let key = child.label else { continue }
            guard let v = ConfigValue(swift: child.value) else {
                throw ConfigError.invalid("field '\(key)' is not a number, bool, string or list")
            }
            keys.append(key)
            values[key] = v
        }
    }

    public subscript(key: String) -> ConfigValue? { values[key] }

    /// Sets `key` to `value`, which must be a known key of a compatible type.
    public mutating func set(_ key: String, _ value: ConfigValue) throws {
        guard let current = values[key] else { throw ConfigError.unknownKey(key, valid: keys) }
        guard let v = value.converted(like: current) else {
            throw ConfigError.wrongType(key: key, expected: current.typeName, got: "\(value.typeName) \(value)")
        }
        values[key] = v
    }

    /// Applies `key=value` text (from `--set`), parsed as the key's type.
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw ConfigError.malformedOverride(text)
        }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        guard let current = values[key] else { throw ConfigError.unknownKey(key, valid: keys) }
        guard let v = ConfigValue.parse(raw, like: current) else {
            throw ConfigError.wrongType(key: key, expected: current.typeName, got: "'\(raw)'")
        }
        values[key] = v
    }

    /// The values as a JSON object string (keys sorted), for run folders and checkpoints.
    public var json: String {
        var object: [String: Any] = [:]
        for k in keys { object[k] = values[k]!.json }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes the values into the task's config struct.
    public func decode<C: Decodable>(_ type: C.Type) throws -> C {
        do {
            return try JSONDecoder().decode(C.self, from: Data(json.utf8))
        } catch {
            throw ConfigError.invalid("\(error)")
        }
    }
}
