import Foundation

/// One persistent pool of worker threads for the element-wise and convolution kernels.
///
/// `parallelFor` and `dynamicFor` hand out pieces of work to the threads as they free up;
/// the calling thread works too. OpenBLAS has threads of its own: `Threads.set(_:)` sizes both to the
/// same number, and our kernels never call sgemm from inside a parallel region, so the two
/// never run at once and never oversubscribe the cores.
public final class ThreadPool: @unchecked Sendable {
    public let threads: Int
    private var mutex = pthread_mutex_t()
    private var workReady = pthread_cond_t()
    private var workDone = pthread_cond_t()
    private var generation = 0
    private var pending = 0
    private var job: ((Int) -> Void)?
    /// `dynamicFor`'s next item, taken under `mutex`: one per pool rather than a lock and a
    /// counter allocated per call (parallelFor runs hundreds of times a training step).
    private var nextItem = 0

    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&workReady, nil)
        pthread_cond_init(&workDone, nil)
        for worker in 1..<self.threads {
            // Pools are never destroyed (see Threads.set), so workers may hold the pool strongly.
            let thread = Thread { self.workerLoop(index: worker) }
            thread.name = "repro-worker-\(worker)"
            thread.start()
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            pthread_mutex_lock(&mutex)
            while generation == seen { pthread_cond_wait(&workReady, &mutex) }
            seen = generation
            var work = job
            pthread_mutex_unlock(&mutex)
            work?(index)
            // Drop our reference before reporting done: runOnAll's withoutActuallyEscaping
            // traps if the closure is still retained when it returns.
            work = nil
            pthread_mutex_lock(&mutex)
            pending -= 1
            if pending == 0 { pthread_cond_signal(&workDone) }
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Runs `body(chunk)` for chunk in 0..<threads, in parallel, and returns when all ran.
    private func runOnAll(_ body: (Int) -> Void) {
        if threads == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(&mutex)
            job = body
            pending = threads - 1
            generation += 1
            pthread_cond_broadcast(&workReady)
            pthread_mutex_unlock(&mutex)
            body(0)
            pthread_mutex_lock(&mutex)
            while pending > 0 { pthread_cond_wait(&workDone, &mutex) }
            job = nil
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when each thread
    /// would get at least `grain` items; otherwise on the whole range, on this thread.
    ///
    /// The range is cut into up to `chunksPerThread` pieces per thread, which threads take as
    /// they free up (see `dynamicFor`), so a slower core does not hold up the faster one.
    /// Bodies see only their range, never which thread runs it.
    public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads * ThreadPool.chunksPerThread, max(1, count / max(grain, 1)))
        if chunks <= 1 || threads == 1 || Threads.inParallelRegion { body(0..<count); return }
        let per = (count + chunks - 1) / chunks
        dynamicFor((count + per - 1) / per) { _, c in
            body((c * per)..<min(count, (c + 1) * per))
        }
    }

    /// Pieces per thread in `parallelFor`: enough to even out a core running 20–30% slower.
    static let chunksPerThread = 4

    /// Calls `body(worker, item)` for every item in 0..<count, each thread taking the next
    /// item as soon as it finished one; `worker` (0..<threads) indexes per-thread scratch.
    ///
    /// For coarse items such as one image's convolution. A VM's second vCPU often shares a
    /// physical core with a neighbour and runs 20–30% slower; an even split (as `parallelFor`
    /// was) then waits for it, and two threads gave 1.45× one thread instead of ~1.8×.
    public func dynamicFor(_ count: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        guard count > 0 else { return }
        if threads == 1 || count == 1 || Threads.inParallelRegion {
            for i in 0..<count { body(0, i) }
            return
        }
        nextItem = 0   // workers are idle: runOnAll publishes it under the mutex
        Threads.inParallelRegion = true
        defer { Threads.inParallelRegion = false }
        runOnAll { worker in
            while true {
                pthread_mutex_lock(&mutex)
                let item = nextItem
                nextItem += 1
                pthread_mutex_unlock(&mutex)
                if item >= count { break }
                body(worker, item)
            }
        }
    }
}

/// The process-wide thread setting shared by our pool and OpenBLAS.
public enum Threads {
    public nonisolated(unsafe) static private(set) var pool = ThreadPool(threads: defaultCount)
    nonisolated(unsafe) static var inParallelRegion = false
    nonisolated(unsafe) private static var pools: [Int: ThreadPool] = [:]

    /// All cores, unless `REPRO_THREADS` says otherwise.
    public static var defaultCount: Int {
        if let s = ProcessInfo.processInfo.environment["REPRO_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Sizes our pool and OpenBLAS's to `n` threads. Call before work starts.
    public static func set(_ n: Int) {
        let n = max(1, n)
        // A pool's workers block forever waiting for work, so a pool is never freed: switching
        // back and forth (a benchmark at 1 then 2 threads) reuses the one made before.
        if pool.threads != n {
            pools[pool.threads] = pool
            if let existing = pools[n] { pool = existing } else { pool = ThreadPool(threads: n); pools[n] = pool }
        }
        OpenBLAS.threads = n
    }

    /// The current thread count.
    public static var count: Int { pool.threads }
}
