import Foundation

/// Axis ticks at round numbers (1, 2 or 5 times a power of ten), as people label axes.
public enum Ticks {
    /// A round step that splits `span` into about `target` parts.
    public static func niceStep(span: Double, target: Int) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(max(1, target))
        let mag = pow(10, (log10(raw)).rounded(.down))
        let n = raw / mag
        let f: Double = n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10
        return f * mag
    }

    /// Round values inside `low...high`, about `target` of them.
    public static func linear(_ low: Double, _ high: Double, target: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let step = niceStep(span: high - low, target: target)
        let eps = step * 1e-9
        // k * step rather than a running sum, so 0.6 is not 0.6000000000000001.
        var k = (low / step - 1e-9).rounded(.up)
        var out: [Double] = []
        while k * step <= high + eps, out.count < 100 {
            let v = k * step
            out.append(abs(v) < eps ? 0 : v)  // no "-0"
            k += 1
        }
        return out
    }

    /// Ticks for a log axis over `low...high` (both > 0): powers of ten, with 2 and 5 between
    /// when the range spans few decades, and plain round numbers when it spans less than one.
    public static func log(_ low: Double, _ high: Double, target: Int = 5) -> [Double] {
        guard low > 0, high > low else { return [low] }
        let d0 = Int(log10(low).rounded(.down)), d1 = Int(log10(high).rounded(.up))
        let decades = d1 - d0
        // 2 and 5 between the powers of ten while the data spans under ~2.5 decades.
        let mults: [Double] = log10(high / low) < 2.5 ? [1, 2, 5] : [1]
        var out: [Double] = []
        var d = d0
        while d <= d1 {
            for m in mults {
                let v = m * pow(10, Double(d))
                if v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9) { out.append(v) }
            }
            d += decades > 12 ? (decades / 6) : 1
        }
        if out.count < 2 { return linear(low, high, target: target) }
        return out
    }

    /// A label for a tick, with as many decimals as the step needs ("0.25", "1000", "1e-05").
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-4 { return compactExponent(v) }
        let decimals = max(0, min(6, Int((-log10(step) - 1e-9).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }

    /// A label for a log-axis tick: plain for everyday magnitudes, "1e-05" otherwise.
    public static func logLabel(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return compactExponent(v) }
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    private static func compactExponent(_ v: Double) -> String {
        var s = String(format: "%.2g", v)  // "1e+06", "2.5e-05"
        s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
            .replacingOccurrences(of: "e-0", with: "e-")
        return s
    }
}
