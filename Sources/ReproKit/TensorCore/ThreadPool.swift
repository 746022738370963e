import Foundation
internal import CKernels

/// One persistent pool of worker threads for the element-wise and convolution kernels.
///
/// `parallelFor` and `dynamicFor` hand out pieces of work to the threads as they free up;
/// the calling thread works too. OpenBLAS runs single-threaded (`OpenBLAS.handle`), and
/// `BLAS.gemm` cuts large products over this pool, so one set of threads does all the work.
public final class ThreadPool: @unchecked Sendable {
    public let threads: Int
    private var mutex = pthread_mutex_t()
    private var workReady = pthread_cond_t()
    private var workDone = pthread_cond_t()
    /// Shared words, read without the mutex by spinning threads: [0] the job's generation,
    /// [1] workers inside the current job (the caller waits for these only), [2]
    /// `dynamicFor`'s next item (one per pool, not a counter allocated per call).
    private let words = UnsafeMutablePointer<Int>.allocate(capacity: 3)
    private var generation: UnsafeMutablePointer<Int> { words }
    private var active: UnsafeMutablePointer<Int> { words + 1 }
    private var nextItem: UnsafeMutablePointer<Int> { words + 2 }
    /// Workers asleep on `workReady`, under `mutex`: only then does a new job need a futex call.
    private var sleepers = 0
    private var job: ((Int) -> Void)?

    /// How long a thread spins for the next job (a worker) or for the workers to finish (the
    /// caller) before it sleeps. A VM's idle vCPU halts, and waking it took longer than most
    /// of a training step's kernels run, so two threads were slower than one; the ops of a
    /// step follow each other within this time, so workers stay awake through a step.
    nonisolated(unsafe) public static var spinNanoseconds: UInt64 = 2_000_000

    public init(threads: Int) {
        self.threads = max(1, threads)
        words.initialize(repeating: 0, count: 3)
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

    /// Spins until `done()` or `spinNanoseconds` passed; returns `done()`.
    private func spin(until done: () -> Bool) -> Bool {
        let limit = DispatchTime.now().uptimeNanoseconds &+ ThreadPool.spinNanoseconds
        while true {
            for _ in 0..<64 {
                if done() { return true }
                repro_cpu_relax()
            }
            if DispatchTime.now().uptimeNanoseconds >= limit { return done() }
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            _ = spin { repro_atomic_load(generation) != seen }
            pthread_mutex_lock(&mutex)
            while generation.pointee == seen {
                sleepers += 1
                pthread_cond_wait(&workReady, &mutex)
                sleepers -= 1
            }
            seen = generation.pointee
            // The caller closes the job (nil) once every item is taken; a worker arriving after
            // that has nothing to do and must not touch the closure.
            guard var work = job else { pthread_mutex_unlock(&mutex); continue }
            _ = repro_atomic_add(active, 1)
            pthread_mutex_unlock(&mutex)
            work(index)
            // Drop our reference before reporting done: runOnAll's withoutActuallyEscaping
            // traps if the closure is still retained when it returns.
            work = { _ in }
            if repro_atomic_add(active, -1) == 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_signal(&workDone)
                pthread_mutex_unlock(&mutex)
            }
        }
    }

    /// Runs `body(worker)` on this thread and on every worker that arrives before this thread's
    /// call returns, and returns when all those calls returned.
    ///
    /// The caller waits only for workers that joined, never for one still waking up: on a VM
    /// whose other vCPU is busy (a neighbour, another process) a wake-up can take a whole
    /// scheduler slice, and waiting for it made two threads slower than one. `body` must
    /// therefore do all the work when called alone (`dynamicFor`'s shared item counter does).
    private func runOnAll(_ body: (Int) -> Void) {
        if threads == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(&mutex)
            job = body
            repro_atomic_store(generation, generation.pointee + 1)
            if sleepers > 0 { pthread_cond_broadcast(&workReady) }
            pthread_mutex_unlock(&mutex)
            body(0)
            pthread_mutex_lock(&mutex)
            job = nil
            pthread_mutex_unlock(&mutex)
            if spin(until: { repro_atomic_load(active) == 0 }) { return }
            pthread_mutex_lock(&mutex)
            while repro_atomic_load(active) > 0 { pthread_cond_wait(&workDone, &mutex) }
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
        nextItem.pointee = 0   // no worker is in a job: runOnAll publishes it under the mutex
        Threads.inParallelRegion = true
        defer { Threads.inParallelRegion = false }
        runOnAll { worker in
            while true {
                let item = repro_atomic_add(nextItem, 1) - 1
                if item >= count { break }
                body(worker, item)
            }
        }
    }
}

/// The process-wide thread setting: our pool's size (OpenBLAS itself runs single-threaded).
public enum Threads {
    public nonisolated(unsafe) static private(set) var pool = ThreadPool(threads: defaultCount)
    nonisolated(unsafe) static var inParallelRegion = false
    nonisolated(unsafe) private static var pools: [Int: ThreadPool] = [:]

    /// All cores, unless `REPRO_THREADS` says otherwise.
    public static var defaultCount: Int {
        if let s = ProcessInfo.processInfo.environment["REPRO_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Sizes our pool to `n` threads and keeps OpenBLAS at one. Call before work starts.
    public static func set(_ n: Int) {
        let n = max(1, n)
        // A pool's workers block forever waiting for work, so a pool is never freed: switching
        // back and forth (a benchmark at 1 then 2 threads) reuses the one made before.
        if pool.threads != n {
            pools[pool.threads] = pool
            if let existing = pools[n] { pool = existing } else { pool = ThreadPool(threads: n); pools[n] = pool }
        }
        // OpenBLAS stays single-threaded: its threads spin after every call, which on two
        // cores took one from our pool; BLAS.gemm splits large products over our pool instead.
        OpenBLAS.threads = 1
    }

    /// The current thread count.
    public static var count: Int { pool.threads }
}
