import Foundation

/// The project's one rule for turning a metric measured on several seeds into a card's
/// `expect` (or `expect_quick`) value and tolerance (issue 25; CONTRIBUTING.md, "Measure
/// seeds, then write the tolerances"). `repro measure` prints what it gives.
///
/// - **value**: the midpoint (lo + hi) / 2 of the observed range [lo, hi];
/// - **tolerance**: the larger of the range's width hi − lo (the range widened by half its
///   width on each side) and 3 sample standard deviations. The widened range makes no normal
///   assumption; 3 sd guards a sample whose values happen to bunch together;
/// - **rounding**: the tolerance UP to two significant digits, the value to nearest at the
///   same decimal place. The interval then still holds every observed value: they lie within
///   half the width of the midpoint, and the tolerance is at least the width and at least ten
///   units of that place, while rounding moves the value by half a unit at most. (A check
///   with the card's own `Expectation.within` grows the tolerance by a unit should binary
///   rounding ever say otherwise.) When every value is the same, the tolerance is 0 and the
///   value is written exactly.
public struct MeasuredTolerance: Equatable, Sendable {
    /// The seeds measured, in run order.
    public let seeds: [UInt64]
    /// The metric on each seed, in the order of `seeds`.
    public let values: [Double]
    /// The values' mean.
    public let mean: Double
    /// The sample standard deviation (divided by n − 1).
    public let sd: Double
    /// The lowest and highest value: the observed range.
    public let min: Double
    public let max: Double
    /// The rounded value and tolerance, as numbers and as the card writes them.
    public let value: Double
    public let tolerance: Double
    public let valueText: String
    public let toleranceText: String
    /// The range's width hi − lo, rounded up at the tolerance's decimal place.
    public let widthText: String
    /// The interval's edges value ∓ tolerance, at the same decimal place: a card's `at_least`
    /// (a floor) and `at_most` (a ceiling) by the same rule, for a metric where only one side
    /// matters.
    public let lowerEdgeText: String
    public let upperEdgeText: String
    /// True when 3 sd, not the range's width, set the tolerance.
    public let raisedToThreeSD: Bool

    /// The project's minimum number of seeds for a tolerance: 20 quick runs (seconds each,
    /// and their accuracy has a long lower tail that 5 seeds miss), 5 full runs.
    public static func minimumSeeds(quick: Bool) -> Int { quick ? 20 : 5 }

    /// Applies the rule to `values[i]` measured on `seeds[i]`: at least two, all finite.
    public init(seeds: [UInt64], values: [Double]) throws {
        guard seeds.count == values.count else {
            throw MeasureError.invalid("\(seeds.count) seeds but \(values.count) values")
        }
        guard values.count >= 2 else { throw MeasureError.tooFewSeeds(values.count) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw MeasureError.invalid("the value on seed \(seeds[bad]) is \(values[bad]), not a finite number")
        }
        self.seeds = seeds
        self.values = values
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.mean = mean
        sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        min = values.min()!
        max = values.max()!
        let width = max - min
        let wanted = Swift.max(width, 3 * sd)
        raisedToThreeSD = 3 * sd > width
        guard wanted > 0 else {
            value = min; tolerance = 0
            valueText = "\(min)"; toleranceText = "0"; widthText = "0"
            lowerEdgeText = valueText; upperEdgeText = valueText
            return
        }
        // Two significant digits: the unit is 10^(e − 1) for a tolerance of order 10^e.
        let decimals = 1 - Int(log10(wanted).rounded(.down))
        func units(_ x: Double) -> Double { x * pow(10, Double(decimals)) }
        func number(_ u: Double) -> Double { decimals >= 0 ? u / pow(10, Double(decimals)) : u * pow(10, Double(-decimals)) }
        // The relative nudge keeps 0.007000000000000006 (a subtraction's noise) at 70 units, not 71.
        var toleranceUnits = (units(wanted) * (1 - 1e-12)).rounded(.up)
        let valueUnits = units((min + max) / 2).rounded(.toNearestOrAwayFromZero)
        value = number(valueUnits)
        let widthUnits = (units(width) * (1 - 1e-12)).rounded(.up)
        while values.contains(where: { !Expectation.within($0, number(valueUnits), number(toleranceUnits)) }) {
            toleranceUnits += 1
        }
        tolerance = number(toleranceUnits)
        func text(_ x: Double) -> String { String(format: "%.\(Swift.max(0, decimals))f", x) }
        valueText = text(value); toleranceText = text(tolerance); widthText = text(number(widthUnits))
        lowerEdgeText = text(number(valueUnits - toleranceUnits)); upperEdgeText = text(number(valueUnits + toleranceUnits))
    }

    /// The card's `basis`: the runs, every value, mean and sd, and the rule as it applied,
    /// as "quick runs, seeds 0-4: 0.8308 0.8378 … (mean 0.8343, sd 0.0029); the range
    /// 0.8308-0.8378 widened by half its width on each side (±0.0070), raised to ±3 sd (0.0089)".
    public func basis(quick: Bool, variant: String?) -> String {
        let runs = (quick ? "quick runs, " : "") + (variant.map { "variant \($0) runs, " } ?? "")
        let observed = values.map { CardNumber.significant($0, 4) }.joined(separator: " ")
        var text = "\(runs)seeds \(Self.seedsText(seeds)): \(observed) (mean \(CardNumber.significant(mean, 4)), "
            + "sd \(CardNumber.significant(sd, 2))); the range \(CardNumber.significant(min, 4))-"
            + "\(CardNumber.significant(max, 4)) widened by half its width on each side (±\(widthText))"
        if raisedToThreeSD {
            text += ", raised to ±3 sd (\(toleranceText))"
        } else if toleranceText != widthText {
            text += ", rounded out to ±\(toleranceText) to hold every value"
        }
        return text
    }

    /// "0-4" for consecutive seeds in order, else every seed: "7 1834211 90213377".
    static func seedsText(_ seeds: [UInt64]) -> String {
        let consecutive = zip(seeds, seeds.dropFirst()).allSatisfy { $0 < UInt64.max && $1 == $0 + 1 }
        if consecutive, let first = seeds.first, let last = seeds.last {
            return first == last ? "\(first)" : "\(first)-\(last)"
        }
        return seeds.map(String.init).joined(separator: " ")
    }
}
