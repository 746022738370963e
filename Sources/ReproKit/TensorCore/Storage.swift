import Foundation

/// Recycles float buffers by exact element count.
///
/// A training step allocates the same shapes every time; freeing and re-faulting those pages
/// is expensive on the VMs we target, so a buffer whose last tensor died goes back on a free
/// list and the next step's op of the same size takes it. Buffers are 64-byte aligned for
/// AVX-512 loads.
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

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        if var list = free[n], let p = list.popLast() {
            free[n] = list
            cachedBytes -= n * 4
            hits += 1
            lock.unlock()
            return p
        }
        misses += 1
        lock.unlock()
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(n) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        let n = max(count, 1)
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

    /// Uninitialised storage of `count` floats from the pool.
    init(count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
    }

    deinit { BufferPool.shared.give(pointer, count) }
}
