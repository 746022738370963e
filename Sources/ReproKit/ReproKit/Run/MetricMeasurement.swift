import Foundation

/// One metric measured over seeds: the rule's result and the card entry it gives.
public struct MetricMeasurement: Equatable, Sendable {
    /// The metric's name in the runs' summary.json.
    public let metric: String
    /// Its values per seed and what the rule makes of them.
    public let measured: MeasuredTolerance

    public init(metric: String, measured: MeasuredTolerance) {
        self.metric = metric; self.measured = measured
    }

    /// A `[[experiments.NAME.expect]]` (or `expect_quick`) table ready to paste into the card.
    public func cardEntry(experiment: String, quick: Bool, variant: String?) -> String {
        var lines = ["[[experiments.\(experiment).\(quick ? "expect_quick" : "expect")]]"]
        if let variant { lines.append("variant = \(Self.tomlString(variant))") }
        lines += ["metric = \(Self.tomlString(metric))",
                  "value = \(measured.valueText)",
                  "tolerance = \(measured.toleranceText)",
                  "basis = \(Self.tomlString(measured.basis(quick: quick, variant: variant)))"]
        return lines.joined(separator: "\n")
    }

    /// A TOML basic string: quotes and backslashes escaped.
    static func tomlString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
