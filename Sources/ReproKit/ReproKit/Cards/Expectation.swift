import Foundation

/// An assertion on one metric of a run: its value within a tolerance, or (one-sided) at least
/// or at most a bound. The numbers come from repeated seeds (`basis` says which), never from
/// a guess.
public struct Expectation: Equatable, Sendable {
    public enum Tolerance: Equatable, Sendable {
        /// Allowed distance from the value, in the metric's units.
        case absolute(Double)
        /// Allowed distance as a fraction of |value| (0.02 = 2%).
        case relative(Double)
    }

    /// Which sides of `value` the assertion bounds.
    public enum Side: Equatable, Sendable {
        /// `value` ± tolerance (the card's `value` with `tolerance` or `rel_tolerance`).
        case both
        /// A floor: at least `value` (the card's `at_least`), where only "this good or
        /// better" is the claim, as a classifier's confidence in samples.
        case atLeast
        /// A ceiling: at most `value` (the card's `at_most`).
        case atMost
    }

    public let metric: String
    /// The expected value, or the bound of a one-sided assertion.
    public let value: Double
    /// The allowed distance; `.absolute(0)` for a one-sided assertion.
    public let tolerance: Tolerance
    public let side: Side
    /// Where the value and tolerance came from ("seeds 0-4: …; ±2.4 sd").
    public let basis: String
    /// The variant whose runs it applies to; nil: runs of the experiment's own config.
    public let variant: String?
    /// The key of the paper's number it stands beside; nil: the experiment's `reported`.
    public let reported: String?

    public init(metric: String, value: Double, tolerance: Tolerance, basis: String, variant: String? = nil,
                reported: String? = nil) {
        self.init(metric: metric, value: value, tolerance: tolerance, side: .both, basis: basis, variant: variant,
                  reported: reported)
    }

    /// A one-sided assertion: the metric at least (`.atLeast`) or at most (`.atMost`) `bound`.
    public init(metric: String, bound: Double, side: Side, basis: String, variant: String? = nil,
                reported: String? = nil) {
        self.init(metric: metric, value: bound, tolerance: .absolute(0), side: side, basis: basis, variant: variant,
                  reported: reported)
    }

    private init(metric: String, value: Double, tolerance: Tolerance, side: Side, basis: String, variant: String?,
                 reported: String?) {
        self.variant = variant
        self.reported = reported
        self.metric = metric
        self.value = value
        self.tolerance = tolerance
        self.side = side
        self.basis = basis
    }

    /// The allowed distance from `value`.
    public var allowedDistance: Double {
        switch tolerance {
        case .absolute(let t): return t
        case .relative(let r): return abs(value) * r
        }
    }

    /// The closed range an observation must fall in (unbounded on one side, by an infinity,
    /// for `at_least` and `at_most`).
    public var allowedRange: ClosedRange<Double> {
        switch side {
        case .both: return (value - allowedDistance)...(value + allowedDistance)
        case .atLeast: return value...Double.infinity
        case .atMost: return -Double.infinity...value
        }
    }

    /// "0.905 ± 0.012", "0.905 ± 2%", "≥ 0.55" or "≤ 6.2".
    public var expectedText: String {
        switch (side, tolerance) {
        case (.atLeast, _): return "≥ \(CardNumber.short(value))"
        case (.atMost, _): return "≤ \(CardNumber.short(value))"
        case (.both, .absolute(let t)): return "\(CardNumber.short(value)) ± \(CardNumber.short(t))"
        case (.both, .relative(let r)): return "\(CardNumber.short(value)) ± \(CardNumber.short(r * 100))%"
        }
    }

    /// Whether `observed` is within the tolerance or on the bound's side (edges included; a
    /// NaN or infinite observation never is).
    public func check(_ observed: Double) -> ExpectationVerdict {
        let passed = accepts(observed)
        // Print the observation with enough digits that its rounding cannot seem to
        // contradict the verdict (0.9170004 outside 0.905 ± 0.012 is not shown as 0.917).
        var shown = CardNumber.significant(observed, 4)
        if observed.isFinite {
            for digits in 4...17 {
                shown = CardNumber.significant(observed, digits)
                if let back = Double(shown), accepts(back) == passed { break }
            }
        }
        let relation = side == .both ? (passed ? "within" : "outside") : (passed ? "meets" : "misses")
        let text = "\(metric) \(shown) \(relation) \(expectedText) \(passed ? "✓" : "✗")"
        return ExpectationVerdict(passed: passed, observed: observed, allowed: allowedRange, text: text)
    }

    /// The verdict without its text.
    private func accepts(_ observed: Double) -> Bool {
        switch side {
        case .both: return Self.within(observed, value, allowedDistance)
        // Beyond the bound, the distance to it is what `within` measures with its slack.
        case .atLeast: return observed.isFinite && (observed >= value || Self.within(observed, value, 0))
        case .atMost: return observed.isFinite && (observed <= value || Self.within(observed, value, 0))
        }
    }

    /// |observed - value| <= distance, with a few ulps of slack so that an observation
    /// exactly at an edge written in the card (0.893 for 0.905 ± 0.012) passes despite the
    /// rounding of the subtraction.
    static func within(_ observed: Double, _ value: Double, _ distance: Double) -> Bool {
        guard observed.isFinite else { return false }
        let slack = 4 * Double.ulpOfOne * max(abs(value), abs(observed), distance)
        return abs(observed - value) <= distance + slack
    }
}

/// The outcome of checking one observation against an `Expectation`.
public struct ExpectationVerdict: Equatable, Sendable {
    public let passed: Bool
    public let observed: Double
    /// The range the observation had to be in.
    public let allowed: ClosedRange<Double>
    /// One line: "test_accuracy 0.903 within 0.905 ± 0.012 ✓", "fid 7.1 misses ≤ 6.5 ✗".
    public let text: String
}

/// Number formatting for card messages.
enum CardNumber {
    /// A number from a card, short: 0.905, 2, 0.0001, 1.5e-08.
    static func short(_ x: Double) -> String { significant(x, 6) }

    /// `digits` significant digits with trailing zeros dropped ("%g" style).
    static func significant(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)g", x)
    }
}
