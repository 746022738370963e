import XCTest
import ReproKit

/// `ConfigDict`: every field type a config struct may have is listed, set, checked and
/// decoded back; anything else is refused naming the field.
final class ConfigTests: XCTestCase {
    enum Shortcut: String, Codable, CaseIterable { case a = "A", b = "B" }
    enum Width: Int, Codable, CaseIterable { case narrow = 16, wide = 64 }
    /// Not CaseIterable: only its decoder knows the cases.
    enum Pooling: String, Codable { case max, mean }
    struct Adam: Codable, Equatable { var beta1 = 0.9; var beta2: Float = 0.999 }

    struct Paper: Codable, Equatable {
        var epochs = 3
        var shortcut = Shortcut.a
        var width = Width.narrow
        var adam = Adam()
        var max_pairs: Int? = nil
        var seed: UInt64 = 5_000_000_000
        var small: Int32 = 7
        var lr: Float = 0.1
        var milestones = [2, 4]
        var drops: [Int] = []
        var pooling = Pooling.max
    }

    func defaults() throws -> ConfigDict { try ConfigDict(encoding: Paper()) }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as ConfigError { return e.description } catch { return "not a ConfigError: \(error)" }
        return "no error"
    }

    func testDefaultsAreListedInDeclarationOrderWithTheirTypes() throws {
        let d = try defaults()
        XCTAssertEqual(d.keys, ["epochs", "shortcut", "width", "adam.beta1", "adam.beta2", "max_pairs", "seed",
                                "small", "lr", "milestones", "drops", "pooling"])
        XCTAssertEqual(d.keys.map { d[$0]! }, [
            .int(3), .string("A"), .int(16), .double(0.9), .double(0.999), .null, .int(5_000_000_000),
            .int(7), .double(0.1), .list([.int(2), .int(4)]), .list([]), .string("max")])
    }

    func testSetAndApplyDecodeBackToTheStruct() throws {
        var d = try defaults()
        for text in ["shortcut=B", "width=64", "adam.beta1=0.95", "max_pairs=100", "seed=6000000000",
                     "small=-3", "lr=0.05", "drops=[1, 5]", "pooling=mean"] {
            try d.apply(override: text)
        }
        try d.set("adam.beta2", .int(1))
        try d.set("epochs", .double(4))
        var expected = Paper(epochs: 4, shortcut: .b, width: .wide, adam: Adam(beta1: 0.95, beta2: 1), max_pairs: 100,
                             seed: 6_000_000_000, small: -3, lr: 0.05, drops: [1, 5], pooling: .mean)
        XCTAssertEqual(try d.decode(Paper.self), expected)

        try d.apply(override: "max_pairs=none")
        expected.max_pairs = nil
        XCTAssertEqual(try d.decode(Paper.self), expected)
        try d.set("max_pairs", .int(9))
        try d.set("max_pairs", .string("null"))
        XCTAssertEqual(d["max_pairs"], .null)
    }

    func testBadValuesNameTheDottedKeyAndLeaveTheConfigAsItWas() throws {
        var d = try defaults()
        let cases: [(String, String)] = [
            ("shortcut=C", #"config key 'shortcut' must be one of "A", "B", got "C""#),
            ("width=32", "config key 'width' must be one of 16, 64, got 32"),
            ("adam.beta1=fast", "config key 'adam.beta1' needs a number, got 'fast'"),
            ("adam.beta2=1e39", "config key 'adam.beta2' must be a finite number of size at most "
                + "\(Double(Float.greatestFiniteMagnitude)) (Float), got 1e+39"),
            ("seed=-1", "config key 'seed' must be between 0 and \(Int.max) (UInt64), got -1"),
            ("seed=99999999999999999999", "config key 'seed' must be between 0 and \(Int.max) (UInt64), got 99999999999999999999"),
            ("small=3000000000", "config key 'small' must be between -2147483648 and 2147483647 (Int32), got 3000000000"),
            // An Int key holds 32 bits, so a plugin's epochs × batches cannot overflow.
            ("epochs=9223372036854775807", "config key 'epochs' must be between -2147483648 and 2147483647 "
                + "(a config Int has 32 bits), got 9223372036854775807"),
            ("max_pairs=3000000000", "config key 'max_pairs' must be between -2147483648 and 2147483647 "
                + "(a config Int has 32 bits), got 3000000000"),
            ("max_pairs=many", "config key 'max_pairs' needs an integer or none, got 'many'"),
            ("drops=[1, x]", "config key 'drops' needs a list, got '[1, x]'"),
            ("epochs=abc", "config key 'epochs' needs an integer, got 'abc'"),
            ("lrate=1", "unknown config key 'lrate'; valid keys: " + d.keys.joined(separator: ", ")),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(message { try d.apply(override: text) }, expected, text)
        }
        XCTAssertEqual(message { try d.set("adam.beta1", .string("x")) }, #"config key 'adam.beta1' needs a number, got string "x""#)
        XCTAssertEqual(message { try d.set("width", .int(17)) }, "config key 'width' must be one of 16, 64, got 17")
        XCTAssertEqual(message { try d.set("epochs", .int(1 << 40)) }, "config key 'epochs' must be between -2147483648 "
            + "and 2147483647 (a config Int has 32 bits), got \(1 << 40)")
        // An enum that is not CaseIterable: its decoder refuses the value, named by its key.
        XCTAssertTrue(message { try d.apply(override: "pooling=median") }
            .hasPrefix("config key 'pooling' was refused by the config's decoder:"), message { try d.apply(override: "pooling=median") })
        XCTAssertEqual(d, try defaults())
    }

    struct WithDate: Codable { var epochs = 1; var when = Date(timeIntervalSince1970: 0) }
    struct WithDictionary: Codable { var weights: [String: Double] = [:] }
    struct Inner: Codable { var at: Date? = nil }
    struct WithNestedOptionalDate: Codable { var inner = Inner() }
    struct Renamed: Codable {
        var beta1 = 0.9
        enum CodingKeys: String, CodingKey { case beta1 = "b1" }
    }

    func testUnsupportedFieldTypesAreRefusedWithTheirName() {
        XCTAssertThrowsError(try ConfigDict(encoding: WithDate())) {
            XCTAssertEqual($0 as? ConfigError, .unsupported(field: "when", type: "Date"))
            XCTAssertTrue("\($0)".hasPrefix("config field 'when' has type Date, which a config cannot hold; use Int"), "\($0)")
        }
        XCTAssertThrowsError(try ConfigDict(encoding: WithDictionary())) {
            XCTAssertEqual($0 as? ConfigError, .unsupported(field: "weights", type: "Dictionary<String, Double>"))
        }
        XCTAssertThrowsError(try ConfigDict(encoding: WithNestedOptionalDate())) {
            XCTAssertEqual($0 as? ConfigError, .unsupported(field: "inner.at", type: "Optional<Date>"))
        }
        XCTAssertThrowsError(try ConfigDict(encoding: Renamed())) {
            XCTAssertTrue("\($0)".contains("do not decode from their own fields"), "\($0)")
        }
    }

    func testJSONNestsDottedKeysAndRoundTrips() throws {
        var d = try defaults()
        try d.apply(override: "adam.beta1=0.5")
        try d.apply(override: "shortcut=B")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(d.json.utf8)) as? [String: Any])
        XCTAssertEqual((object["adam"] as? [String: Any])?["beta1"] as? Double, 0.5)
        XCTAssertTrue(object["max_pairs"] is NSNull)
        let back = try JSONDecoder().decode(Paper.self, from: Data(d.json.utf8))
        XCTAssertEqual(back.adam.beta1, 0.5)
        XCTAssertEqual(back.shortcut, .b)
        XCTAssertEqual(try ConfigDict(encoding: back), d)
    }
}
