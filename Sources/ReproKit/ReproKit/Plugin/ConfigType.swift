import Foundation

/// The declared type of one config key, read off the config struct's stored property. Card
/// values and `--set` text are checked and converted against it, so a bad value is refused
/// when it is given, naming the key, and not later as a decoding error.
indirect enum ConfigType: Equatable, Sendable {
    /// A fixed-width integer (Int, Int32, UInt64, …): the values it and `Int` can both hold,
    /// and for `Int` those of 32 bits (`intRange`).
    case integer(ClosedRange<Int>, swiftName: String)
    /// Double, or Float (`float`: values beyond Float's range are refused).
    case number(float: Bool)
    case bool
    case string
    /// A String- or Int-backed enum: `raw` is `.string` or `.integer`; `allowed` lists the raw
    /// values when the enum is `CaseIterable` (otherwise the struct's decoder checks them).
    case choice(raw: ConfigType, allowed: [ConfigValue]?)
    case list(ConfigType)
    case optional(ConfigType)

    /// The type's name as users read it in error messages (the names `ConfigValue.typeName` uses).
    var typeName: String {
        switch self {
        case .integer: return "integer"
        case .number: return "number"
        case .bool: return "true/false"
        case .string: return "string"
        case .choice(let raw, _): return raw.typeName
        case .list: return "list"
        case .optional(let wrapped): return wrapped.typeName + " or none"
        }
    }

    // MARK: Reading a Swift type

    /// The config type of a stored property's static type, or nil when a config cannot hold
    /// it (a nested struct is not a single key: `ConfigDict` flattens it).
    static func of(_ type: Any.Type) -> ConfigType? {
        if type == Bool.self { return .bool }
        if type == String.self { return .string }
        if type == Double.self { return .number(float: false) }
        if type == Float.self { return .number(float: true) }
        if let t = type as? any FixedWidthInteger.Type { return integer(t) }
        if let t = type as? any RawRepresentable.Type { return choice(t) }
        if let t = type as? any ConfigOptionalType.Type { return of(t.wrappedType).map(ConfigType.optional) }
        if let t = type as? any ConfigArrayType.Type, let element = of(t.elementType) {
            // `--set` writes a list as "[a, b]": one level of scalars.
            switch element {
            case .list, .optional: return nil
            default: return .list(element)
            }
        }
        return nil
    }

    private static func integer<T: FixedWidthInteger>(_ t: T.Type) -> ConfigType {
        if t == Int.self { return .integer(intRange, swiftName: "a config Int has 32 bits") }
        return .integer(Int(clamping: T.min)...Int(clamping: T.max), swiftName: "\(t)")
    }

    /// The values of an `Int` key. Plugins multiply config integers (epochs × batches per
    /// epoch is a schedule's length) and size buffers by them; 64-bit values such as
    /// `epochs=9223372036854775807` trapped there on overflow, far from the key. Within 32
    /// bits a product of two never overflows, and no mini-scale run needs more. A key that
    /// does (a 64-bit seed) declares its field `Int64` or `UInt64`.
    static let intRange = Int(Int32.min)...Int(Int32.max)

    private static func choice<R: RawRepresentable>(_ t: R.Type) -> ConfigType? {
        let raw: ConfigType
        if R.RawValue.self == String.self {
            raw = .string
        } else if R.RawValue.self == Int.self {
            raw = .integer(Int.min...Int.max, swiftName: "Int")
        } else {
            return nil
        }
        let allowed = (t as? any CaseIterable.Type).map { rawValues($0) }
        return .choice(raw: raw, allowed: allowed)
    }

    private static func rawValues<C: CaseIterable>(_ t: C.Type) -> [ConfigValue] {
        C.allCases.compactMap { ($0 as? any RawRepresentable).flatMap { value(raw: $0.rawValue) } }
    }

    private static func value(raw: Any) -> ConfigValue? {
        switch raw {
        case let s as String: return .string(s)
        case let i as Int: return .int(i)
        default: return nil
        }
    }

    /// A property's current value as a config value; nil when it is out of this type's range
    /// (a UInt64 above `Int.max`).
    func value(of swift: Any) -> ConfigValue? {
        switch self {
        case .integer:
            guard let i = swift as? any BinaryInteger else { return nil }
            return Int(exactly: i).map(ConfigValue.int)
        case .number:
            // A Float's shortest text, so that 0.1 reads 0.1 and not 0.10000000149011612.
            if let f = swift as? Float { return Double("\(f)").map(ConfigValue.double) }
            return (swift as? Double).map(ConfigValue.double)
        case .bool: return (swift as? Bool).map(ConfigValue.bool)
        case .string: return (swift as? String).map(ConfigValue.string)
        case .choice(let raw, _):
            return (swift as? any RawRepresentable).flatMap { raw.value(of: $0.rawValue) }
        case .list(let element):
            guard let items = swift as? [Any] else { return nil }
            let values = items.compactMap(element.value(of:))
            return values.count == items.count ? .list(values) : nil
        case .optional(let wrapped):
            guard let o = swift as? any ConfigOptionalType else { return nil }
            return o.wrappedValue.map(wrapped.value(of:)) ?? .null
        }
    }

    // MARK: Checking values

    /// `value` (from a card) converted to this type; an integer is a valid number, and "none"
    /// clears an Optional.
    func accept(_ value: ConfigValue, key: String) throws -> ConfigValue {
        func wrong() -> ConfigError { .wrongType(key: key, expected: typeName, got: "\(value.typeName) \(value)") }
        switch (self, value) {
        case (.integer(let range, let name), .int(let v)):
            return try Self.inRange(v, range, name, key: key)
        case (.integer(let range, let name), .double(let v)):
            guard v == v.rounded(), abs(v) < 1e15 else { throw wrong() }
            return try Self.inRange(Int(v), range, name, key: key)
        case (.number(let float), .int(let v)):
            return try Self.finite(Double(v), float: float, key: key)
        case (.number(let float), .double(let v)):
            return try Self.finite(v, float: float, key: key)
        case (.bool, .bool), (.string, .string):
            return value
        case (.choice(let raw, let allowed), _):
            return try Self.oneOf(allowed, try raw.accept(value, key: key), key: key)
        case (.list(let element), .list(let items)):
            return .list(try items.map { try element.accept($0, key: key) })
        case (.optional, .null), (.optional, .string("none")), (.optional, .string("null")):
            return .null
        case (.optional(let wrapped), _):
            do { return try wrapped.accept(value, key: key) } catch ConfigError.wrongType { throw wrong() }
        default:
            throw wrong()
        }
    }

    /// The text of `--set key=TEXT` parsed as this type.
    func parse(_ text: String, key: String) throws -> ConfigValue {
        let wrong = ConfigError.wrongType(key: key, expected: typeName, got: "'\(text)'")
        switch self {
        case .integer(let range, let name):
            if let v = Int(text) { return try Self.inRange(v, range, name, key: key) }
            // Digits that do not fit an Int are out of range, not "not an integer".
            let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { throw wrong }
            throw Self.outOfRange(text, range, name, key: key)
        case .number(let float):
            guard let v = Double(text) else { throw wrong }
            return try Self.finite(v, float: float, key: key)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: throw wrong
            }
        case .string:
            return .string(text)
        case .choice(let raw, let allowed):
            return try Self.oneOf(allowed, try raw.parse(text, key: key), key: key)
        case .list(let element):
            let body = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            let parts = body.isEmpty ? [] : body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            do {
                return .list(try parts.map { try element.parse($0, key: key) })
            } catch ConfigError.wrongType {
                throw wrong
            }
        case .optional(let wrapped):
            if ["none", "null"].contains(text.lowercased()) { return .null }
            do { return try wrapped.parse(text, key: key) } catch ConfigError.wrongType { throw wrong }
        }
    }

    private static func inRange(_ v: Int, _ range: ClosedRange<Int>, _ name: String, key: String) throws -> ConfigValue {
        guard range.contains(v) else { throw outOfRange("\(v)", range, name, key: key) }
        return .int(v)
    }

    private static func outOfRange(_ text: String, _ range: ClosedRange<Int>, _ name: String, key: String) -> ConfigError {
        .badValue(key: key, "must be between \(range.lowerBound) and \(range.upperBound) (\(name)), got \(text)")
    }

    private static func finite(_ v: Double, float: Bool, key: String) throws -> ConfigValue {
        let limit = float ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
        // JSON has no NaN or infinity, and a Float field cannot hold more than its range.
        guard v.isFinite, abs(v) <= limit else {
            throw ConfigError.badValue(key: key, "must be a finite number of size at most \(limit) (\(float ? "Float" : "Double")), got \(v)")
        }
        return .double(v)
    }

    private static func oneOf(_ allowed: [ConfigValue]?, _ v: ConfigValue, key: String) throws -> ConfigValue {
        guard let allowed, !allowed.contains(v) else { return v }
        throw ConfigError.badValue(key: key, "must be one of \(allowed.map(\.description).joined(separator: ", ")), got \(v)")
    }
}

/// Optional's wrapped type and value, for reading a config struct whose field may be nil.
protocol ConfigOptionalType {
    static var wrappedType: Any.Type { get }
    var wrappedValue: Any? { get }
}

extension Optional: ConfigOptionalType {
    static var wrappedType: Any.Type { Wrapped.self }
    var wrappedValue: Any? { self.map { $0 as Any } }
}

/// Array's element type, for reading a list field (empty by default) with its element type.
protocol ConfigArrayType {
    static var elementType: Any.Type { get }
}

extension Array: ConfigArrayType {
    static var elementType: Any.Type { Element.self }
}
