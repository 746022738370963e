// Atomics and a spin hint for the thread pool's spin-then-sleep wait (TensorCore/ThreadPool.swift).
// Swift's own atomics are ~Copyable values that a pool would have to hold by address anyway;
// these act on a plain heap word.
#ifndef REPRO_SPIN_WAIT_H
#define REPRO_SPIN_WAIT_H

/// Reads *p with acquire order.
static inline long repro_atomic_load(const long *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
/// Writes v to *p with release order.
static inline void repro_atomic_store(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
/// Adds d to *p and returns the new value (sequentially consistent).
static inline long repro_atomic_add(long *p, long d) { return __atomic_add_fetch(p, d, __ATOMIC_SEQ_CST); }
/// Tells the core this is a spin loop (x86 PAUSE): the sibling hyperthread gets the pipeline.
static inline void repro_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
