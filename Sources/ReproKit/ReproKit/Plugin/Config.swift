import Foundation

/// A task's config as ordered key → value pairs. It starts as the defaults of the task's
/// Codable struct, read by reflection: numbers, bools, strings, String/Int enums, lists and
/// Optionals of those, and nested structs, whose fields become dotted keys (`adam.beta1`).
/// Card values and `--set` overrides are checked against each key's declared type, then the
/// whole dict decodes back to the struct.
public struct ConfigDict: Equatable, Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: ConfigValue] = [:]
    private var types: [String: ConfigType] = [:]
    /// The allowed values of keys whose struct declares them (`RangedConfig`).
    public private(set) var ranges: [String: ConfigRange] = [:]
    /// Decodes the dict as the config struct: what only the struct's decoder knows (the
    /// cases of an enum that is not CaseIterable, a custom `init(from:)`) is checked at each
    /// change, so a bad value is refused where it is given.
    private var check: (@Sendable (ConfigDict) throws -> Void)?

    public init() {}

    /// The fields of a config struct, read by reflection so that a `Double` field whose
    /// default is 1 stays a number and a nil Optional keeps its type. Throws, naming the
    /// field, for a type a config cannot hold or a struct whose fields do not decode back.
    public init<C: Codable>(encoding value: C) throws {
        try add(fieldsOf: value, prefix: "")
        try checkDeclaredRanges(of: C.self)
        do {
            _ = try decode(C.self)
        } catch let error as ConfigError {
            throw ConfigError.invalid("the defaults of \(C.self) do not decode from their own fields (\(error)); "
                                      + "give it the Codable conformance Swift synthesizes, without renamed keys")
        }
        check = { _ = try $0.decode(C.self) }
    }

    /// Two dicts are equal when they have the same keys, types and values.
    public static func == (a: ConfigDict, b: ConfigDict) -> Bool {
        a.keys == b.keys && a.values == b.values && a.types == b.types
    }

    public subscript(key: String) -> ConfigValue? { values[key] }

    /// Sets `key` to `value`, which must be a known key of a compatible type; `.null` (or
    /// the string "none") clears an Optional.
    public mutating func set(_ key: String, _ value: ConfigValue) throws {
        guard let type = types[key] else { throw ConfigError.unknownKey(key, valid: keys) }
        try replace(key, with: type.accept(value, key: key))
    }

    /// Applies `key=value` text (from `--set`), parsed as the key's type; `key=none` clears
    /// an Optional.
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw ConfigError.malformedOverride(text)
        }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        guard let type = types[key] else { throw ConfigError.unknownKey(key, valid: keys) }
        try replace(key, with: type.parse(raw, key: key))
    }

    private mutating func replace(_ key: String, with value: ConfigValue) throws {
        if let range = ranges[key], !range.allows(value) {
            throw ConfigError.outOfRange(key: key, value: value, allowed: range.description)
        }
        var next = self
        next.values[key] = value
        try check?(next)
        self = next
    }

    /// Checks every value against its key's range (`RangedConfig`); each `set` and `apply`
    /// already has, so this fails only for a dict put together some other way.
    public func checkRanges() throws {
        for key in keys {
            if let range = ranges[key], let value = values[key], !range.allows(value) {
                throw ConfigError.outOfRange(key: key, value: value, allowed: range.description)
            }
        }
    }

    /// The values as a JSON object string (keys sorted; a nested struct's keys nested as in
    /// its Codable form, a nil Optional as null), for run folders and checkpoints.
    public var json: String {
        var object: [String: Any] = [:]
        for k in keys { Self.insert(values[k]!.json, at: k.split(separator: ".").map(String.init)[...], into: &object) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func insert(_ value: Any, at path: ArraySlice<String>, into object: inout [String: Any]) {
        guard let first = path.first else { return }
        if path.count == 1 { object[first] = value; return }
        var inner = object[first] as? [String: Any] ?? [:]
        insert(value, at: path.dropFirst(), into: &inner)
        object[first] = inner
    }

    /// Decodes the values into the task's config struct; a value its decoder refuses is
    /// reported with its (dotted) key.
    public func decode<C: Decodable>(_ type: C.Type) throws -> C {
        do {
            return try JSONDecoder().decode(C.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw Self.configError(error)
        } catch {
            throw ConfigError.invalid("\(error)")
        }
    }
}

extension ConfigDict {
    /// Adds the stored properties of `value` as keys, a nested struct's as `prefix.field`.
    private mutating func add(fieldsOf value: Any, prefix: String) throws {
        // A struct's own ranges; a range its parent already gave for the same key wins.
        if let ranged = value as? RangedConfig {
            for (key, range) in type(of: ranged).ranges where ranges[prefix + key] == nil {
                ranges[prefix + key] = range
            }
        }
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let key = prefix + label
            // The dynamic type of the boxed field is its declared type: an Optional stays
            // Optional<Int> when nil, an empty list stays [Int].
            let declared = Swift.type(of: child.value)
            if let type = ConfigType.of(declared) {
                guard let v = type.value(of: child.value) else {
                    throw ConfigError.badValue(key: key, "has a default (\(child.value)) beyond what a config holds "
                                               + "(\(Int.min) to \(Int.max) for integers)")
                }
                keys.append(key)
                types[key] = type
                values[key] = v
            } else if Self.isFlatStruct(child.value) {
                try add(fieldsOf: child.value, prefix: key + ".")
            } else {
                throw ConfigError.unsupported(field: key, type: "\(declared)")
            }
        }
    }

    /// A struct's ranges must name its keys, fit their types, and allow its defaults: else the
    /// plugin has a mistake, named here.
    private func checkDeclaredRanges<C>(of _: C.Type) throws {
        for key in ranges.keys.sorted() {
            guard let type = types[key] else {
                throw ConfigError.invalid("\(C.self).ranges names '\(key)', which is not one of its keys "
                                          + "(\(keys.joined(separator: ", ")))")
            }
            if let why = ranges[key]!.mismatch(with: type) {
                throw ConfigError.invalid("\(C.self).ranges gives '\(key)' \(why)")
            }
            if let value = values[key], !ranges[key]!.allows(value) {
                throw ConfigError.invalid("the default \(key) = \(value) of \(C.self) is outside its range "
                                          + "(must be \(ranges[key]!.description))")
            }
        }
    }

    /// Whether `value` is a struct whose Codable form is an object of its stored properties
    /// (not a Date, which encodes as a number, nor a type with its own coding keys).
    private static func isFlatStruct(_ value: Any) -> Bool {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .struct, let encodable = value as? any Encodable,
              let data = try? JSONEncoder().encode(encodable),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return false }
        let labels = Set(mirror.children.compactMap(\.label))
        return !labels.isEmpty && Set(object.keys).isSubset(of: labels)
    }

    /// A decoding error as a config error naming the dotted key it is about.
    fileprivate static func configError(_ error: DecodingError) -> ConfigError {
        func key(_ path: [CodingKey]) -> String {
            // A list element's path ends in its index: the key is the list's.
            path.prefix { $0.intValue == nil }.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let k, let c):
            return .invalid("missing key '\(key(c.codingPath + [k]))'")
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            return .badValue(key: key(c.codingPath), "was refused by the config's decoder: \(c.debugDescription)")
        @unknown default:
            return .invalid("\(error)")
        }
    }
}
