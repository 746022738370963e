/// A counter-based, splittable random number generator.
///
/// Element `i` of a draw is a hash of (key, counter + i), so a fill can be split across
/// threads in any way and still give the same numbers: a run's values depend on its seed
/// alone. `split(_:)` derives an independent stream (per layer, per data loader, ...).
/// The state is two integers, saved in checkpoints.
public struct RNG: Codable, Equatable, Sendable {
    public var key: UInt64
    public var counter: UInt64

    public init(seed: UInt64) {
        key = RNG.mix(seed ^ 0x5851_F42D_4C95_7F2D)
        counter = 0
    }

    public init(key: UInt64, counter: UInt64) {
        self.key = key
        self.counter = counter
    }

    /// SplitMix64's finaliser: a bijective 64-bit mix.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) static func bits(_ key: UInt64, _ n: UInt64) -> UInt64 {
        mix(key ^ mix(n))
    }

    /// An independent generator for sub-stream `stream`.
    public func split(_ stream: UInt64) -> RNG {
        RNG(key: RNG.mix(key ^ RNG.mix(stream &+ 0xD1B5_4A32_D192_ED03)), counter: 0)
    }

    /// 64 random bits.
    public mutating func next() -> UInt64 {
        defer { counter &+= 1 }
        return RNG.bits(key, counter)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// Fills `count` floats with U[low, high).
    public mutating func fillUniform(_ p: UnsafeMutablePointer<Float>, _ count: Int,
                                     low: Float = 0, high: Float = 1) {
        let key = self.key, base = counter
        let scale = (high - low) * 0x1p-24
        Threads.pool.parallelFor(count, grain: 1 << 15) { r in
            for i in r { p[i] = low + Float(RNG.bits(key, base &+ UInt64(i)) >> 40) * scale }
        }
        counter &+= UInt64(count)
    }

    /// Fills `count` floats with N(mean, std²) by Box-Muller, one 64-bit draw per element.
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, _ count: Int,
                                    mean: Float = 0, std: Float = 1) {
        let key = self.key, base = counter
        Threads.pool.parallelFor(count, grain: 1 << 14) { r in
            for i in r {
                let b = RNG.bits(key, base &+ UInt64(i))
                let u1 = (Double(b >> 40) + 0.5) * 0x1p-24        // (0, 1)
                let u2 = Double((b >> 16) & 0xFF_FFFF) * 0x1p-24  // [0, 1)
                let z = (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
                p[i] = mean + std * Float(z)
            }
        }
        counter &+= UInt64(count)
    }

    /// A random permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var a = Array(0..<n)
        if n < 2 { return a }
        for i in stride(from: n - 1, to: 0, by: -1) { a.swapAt(i, int(below: i + 1)) }
        return a
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

extension Tensor {
    /// Samples from N(mean, std²).
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RNG) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillNormal(t.data, t.count, mean: mean, std: std)
        return t
    }

    /// Samples from U[low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RNG) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillUniform(t.data, t.count, low: low, high: high)
        return t
    }
}
