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

    /// A `[[experiments.NAME.expect]]` (or `expect_quick`) table ready to paste into the card:
    /// `value` and `tolerance`, or for `.atLeast` / `.atMost` the interval's edge on that side
    /// as the bound.
    public func cardEntry(experiment: String, quick: Bool, variant: String?, side: Expectation.Side = .both) -> String {
        var lines = ["[[experiments.\(experiment).\(quick ? "expect_quick" : "expect")]]"]
        if let variant { lines.append("variant = \(Self.tomlString(variant))") }
        lines.append("metric = \(Self.tomlString(metric))")
        var basis = measured.basis(quick: quick, variant: variant)
        switch side {
        case .both:
            lines += ["value = \(measured.valueText)", "tolerance = \(measured.toleranceText)"]
        case .atLeast:
            lines.append("at_least = \(measured.lowerEdgeText)")
            basis += "; the floor is that interval's lower edge, \(measured.valueText) − \(measured.toleranceText)"
        case .atMost:
            lines.append("at_most = \(measured.upperEdgeText)")
            basis += "; the ceiling is that interval's upper edge, \(measured.valueText) + \(measured.toleranceText)"
        }
        lines.append("basis = \(Self.tomlString(basis))")
        return lines.joined(separator: "\n")
    }

    /// A TOML basic string: quotes and backslashes escaped.
    static func tomlString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
