import Foundation

/// Recycles float buffers by size class.
///
/// A training step allocates the same shapes every time; freeing and re-faulting those pages
/// is expensive on the VMs we target, so a buffer whose last tensor died goes back on a free
/// list and the next step's op of a similar size takes it. Sizes are rounded up to one of 16
/// classes between each power of two and the next (at most 1/16 wasted above 512 floats),
/// and a request takes an idle buffer of up to twice its size when its own class has none: the
/// batches of a sequence model, whose length changes every step, then reuse each other's
/// buffers instead of filling the pool with sizes that come back rarely. Buffers are 64-byte
/// aligned for AVX-512 loads.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()
    /// Above this much idle memory, returned buffers are freed instead of kept.
    public var capacityBytes = 4 << 30

    /// Counters for `repro bench` and tests: how often a request was served from the pool.
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// The element count actually allocated for a request of `count`: a multiple of 16
    /// floats (one cache line), and of 2^(k−5) for counts in (2^(k−1), 2^k].
    public static func sizeClass(_ count: Int) -> Int {
        let n = max(count, 1)
        let bits = Int.bitWidth - (n - 1).leadingZeroBitCount
        let step = max(16, 1 << max(0, bits - 5))
        return (n + step - 1) / step * step
    }

    /// A buffer of at least `count` floats and its capacity: an idle one of the same class,
    /// else of a class up to twice as large (so that a batch a few tokens shorter reuses the
    /// longer batch's buffer), else a new one.
    func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let n = Self.sizeClass(count)
        lock.lock()
        var c = n
        while c <= 2 * n {
            // Popped in place: copying the list out of the dictionary would copy it on write.
            if let p = free[c]?.popLast() {
                cachedBytes -= c * 4
                hits += 1
                lock.unlock()
                return (p, c)
            }
            c = Self.sizeClass(c + 1)
        }
        misses += 1
        lock.unlock()
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(n) floats")
        }
        return (raw.bindMemory(to: Float.self, capacity: n), n)
    }

    /// Takes back a buffer of `capacity` floats (what `take` said).
    func give(_ p: UnsafeMutablePointer<Float>, capacity n: Int) {
        lock.lock()
        if cachedBytes + n * 4 <= capacityBytes {
            free[n, default: []].append(p)
            cachedBytes += n * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Frees every idle buffer.
    public func trim() {
        lock.lock()
        let all = free
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for (_, list) in all { for p in list { Foundation.free(p) } }
    }
}

/// A contiguous float32 buffer owned by one or more tensors (views share it).
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Floats the buffer really has (≥ count): what goes back to the pool.
    private let capacity: Int

    /// Uninitialised storage of `count` floats from the pool.
    init(count: Int) {
        self.count = count
        (pointer, capacity) = BufferPool.shared.take(count)
    }

    deinit { BufferPool.shared.give(pointer, capacity: capacity) }
}
