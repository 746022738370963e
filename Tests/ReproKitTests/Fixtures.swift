import Foundation
import XCTest
import ReproKit

/// The golden values written by scripts/golden/make_fixtures.py (PyTorch), read as JSON.
/// Tests compare our forward and backward against them; they never run PyTorch.
struct GoldenTensor: Decodable {
    let shape: [Int]
    let data: [Float]
    var tensor: Tensor { Tensor(data, shape: shape) }
    var ints: [Int] { data.map { Int($0) } }
}

struct GoldenCase: Decodable {
    let name: String
    let op: String
    let attrs: [String: GoldenValue]
    let inputs: [String: GoldenTensor]
    let output: GoldenTensor
    let grad_output: GoldenTensor?
    let grads: [String: GoldenTensor]?
    /// Extra outputs (running statistics, optimizer steps).
    let extra: [String: GoldenTensor]

    enum Key: String, CodingKey { case name, op, attrs, inputs, output, grad_output, grads }
    struct AnyKey: CodingKey {
        var stringValue: String; var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        name = try c.decode(String.self, forKey: .name)
        op = try c.decode(String.self, forKey: .op)
        attrs = try c.decodeIfPresent([String: GoldenValue].self, forKey: .attrs) ?? [:]
        inputs = try c.decode([String: GoldenTensor].self, forKey: .inputs)
        output = try c.decode(GoldenTensor.self, forKey: .output)
        grad_output = try c.decodeIfPresent(GoldenTensor.self, forKey: .grad_output)
        grads = try c.decodeIfPresent([String: GoldenTensor].self, forKey: .grads)
        let all = try decoder.container(keyedBy: AnyKey.self)
        var extra: [String: GoldenTensor] = [:]
        for k in all.allKeys where Key(rawValue: k.stringValue) == nil {
            if let t = try? all.decode(GoldenTensor.self, forKey: k) { extra[k.stringValue] = t }
        }
        self.extra = extra
    }

    func int(_ key: String) -> Int { attrs[key]!.ints[0] }
    func pair(_ key: String) -> (Int, Int) {
        let v = attrs[key]!.ints
        return v.count == 1 ? (v[0], v[0]) : (v[0], v[1])
    }
    func float(_ key: String) -> Float { attrs[key]!.floats[0] }
    func string(_ key: String) -> String? { attrs[key]?.string }
    func bool(_ key: String) -> Bool? { attrs[key]?.bool }
}

/// An attribute: a number, a list of numbers, a string or a bool.
enum GoldenValue: Decodable {
    case numbers([Double]), string(String), bool(Bool)
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .numbers([d]) }
        else if let a = try? c.decode([Double].self) { self = .numbers(a) }
        else { self = .string(try c.decode(String.self)) }
    }
    var floats: [Float] { if case .numbers(let a) = self { return a.map(Float.init) }; return [] }
    var ints: [Int] { if case .numbers(let a) = self { return a.map { Int($0) } }; return [] }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
}

enum Golden {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden.json")

    struct File: Decodable { let generator: String; let cases: [GoldenCase] }

    static let cases: [GoldenCase] = {
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    /// All cases of one op; the test fails if the fixture has none (a renamed op must not
    /// silently skip its checks).
    static func cases(_ op: String) -> [GoldenCase] { cases.filter { $0.op == op } }
}

extension XCTestCase {
    /// |a − b| ≤ rtol·|b| + scaleFloor·max|b| against a PyTorch golden: relative to the element,
    /// with a floor at the tensor's own scale (float32 sums of float64-exact terms err relative
    /// to their largest term). Reports the worst element only.
    func assertMatchesGolden(_ a: Tensor, _ b: GoldenTensor, rtol: Float = 1e-4, scaleFloor: Float = 1e-4, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        guard a.count == b.data.count else { return }
        let scale = b.data.map(abs).max() ?? 0
        var worst: (Int, Float, Float)? = nil
        for (i, (x, y)) in zip(a.scalars, b.data).enumerated() where !(abs(x - y) <= rtol * abs(y) + scaleFloor * scale) {
            if worst == nil || abs(x - y) > abs(worst!.1 - worst!.2) { worst = (i, x, y) }
        }
        if let (i, x, y) = worst {
            XCTFail("\(what): element \(i) is \(x), PyTorch \(y) (scale \(scale))", file: file, line: line)
        }
    }
}
