/// The element-wise loops everything else is built on.
///
/// Each is a non-generic function over raw pointers, kept out of line (`@inline(never)`) so
/// the optimiser sees a plain counted loop it can vectorise, and split across the thread
/// pool above `grain` elements. Ops call these; they never loop over tensors themselves.
public enum Kernels {
    /// Below this many elements a loop runs on the calling thread.
    public static let grain = 1 << 15

    @inline(never)
    public static func fill(_ p: UnsafeMutablePointer<Float>, _ v: Float, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { p[i] = v }
        }
    }

    @inline(never)
    public static func copy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        dst.update(from: src, count: n)
    }

    @inline(never)
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { o[i] = a[i] + b[i] }
        }
    }

    @inline(never)
    public static func sub(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { o[i] = a[i] - b[i] }
        }
    }

    @inline(never)
    public static func mul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { o[i] = a[i] * b[i] }
        }
    }

    @inline(never)
    public static func div(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { o[i] = a[i] / b[i] }
        }
    }

    /// a += b
    @inline(never)
    public static func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { a[i] += b[i] }
        }
    }

    /// y += alpha * x
    @inline(never)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { y[i] += alpha * x[i] }
        }
    }

    /// o = a * s + t
    @inline(never)
    public static func scaleShift(_ a: UnsafePointer<Float>, _ s: Float, _ t: Float,
                                  _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            for i in r { o[i] = a[i] * s + t }
        }
    }

    /// Sum of n elements, accumulated in Double for stability.
    @inline(never)
    public static func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
        // Blocks of float sums keep the loop vectorisable; blocks add in Double.
        var total: Double = 0
        var i = 0
        while i < n {
            let end = min(n, i + 4096)
            var s: Float = 0
            for j in i..<end { s += a[j] }
            total += Double(s)
            i = end
        }
        return Float(total)
    }

    /// Dot product of n elements.
    @inline(never)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var total: Double = 0
        var i = 0
        while i < n {
            let end = min(n, i + 4096)
            var s: Float = 0
            for j in i..<end { s += a[j] * b[j] }
            total += Double(s)
            i = end
        }
        return Float(total)
    }
}
