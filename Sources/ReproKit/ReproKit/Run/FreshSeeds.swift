/// Seeds nobody calibrated a tolerance on, for `repro verify --random-seeds`: drawn from the
/// system's randomness, distinct, and far above the 0-1000 that cards and CI use, so that a
/// pass says the tolerance holds beyond the seeds it was set on.
public enum FreshSeeds {
    /// The range they are drawn from: 10^6 to 2^31 − 1 (short enough to type back).
    public static let range: ClosedRange<UInt64> = 1_000_000...(1 << 31) - 1

    /// `count` distinct seeds from `range`, in the order drawn.
    public static func draw(_ count: Int) -> [UInt64] {
        var generator = SystemRandomNumberGenerator()
        var seeds: [UInt64] = []
        while seeds.count < count {
            let seed = UInt64.random(in: range, using: &generator)
            if !seeds.contains(seed) { seeds.append(seed) }
        }
        return seeds
    }
}
