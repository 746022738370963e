import Foundation

/// `repro bench ops`: the tensor core's kernels, each beside the reference it should approach.
/// - matmul against bare `cblas_sgemm` on the same buffers (must stay within 10% at ≥ 512);
/// - element-wise ops against a plain copy's bandwidth (must stay within 2×);
/// - conv2d forward + backward at the ResNet-20 shapes, batch 128;
/// - softmax and layer-norm throughput.
public enum OpsBench {
    public static func run(threads: Int, quick: Bool = false, emit: (BenchResult) -> Void) {
        Threads.set(threads)
        var rng = RNG(seed: 0)
        let reps = quick ? 2 : 5

        for n in [256, 512, 1024] {
            let a = Tensor.randn([n, n], rng: &rng), b = Tensor.randn([n, n], rng: &rng)
            let c = Tensor(uninitializedShape: [n, n])
            let flop = 2.0 * Double(n * n * n)
            // Small products take a millisecond: best of many, or thread wake-ups dominate.
            let reps = n <= 512 ? 4 * reps : reps
            let bare = benchTime(repeats: reps) {
                BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n,
                          a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
            }
            emit(BenchResult(bench: "ops", case: "cblas_sgemm", shape: "\(n)x\(n)x\(n)",
                             threads: threads, seconds: bare, gflops: flop / bare / 1e9))
            let ours = benchTime(repeats: reps) { _ = withNoGrad { a.matmul(b) } }
            emit(BenchResult(bench: "ops", case: "matmul", shape: "\(n)x\(n)x\(n)",
                             threads: threads, seconds: ours, gflops: flop / ours / 1e9,
                             note: String(format: "%.0f%% of bare sgemm", 100 * bare / ours)))
        }

        // Bandwidth: 16M floats (64 MB per array) is far outside every cache.
        let n = quick ? 1 << 22 : 1 << 24
        let x = Tensor.randn([n], rng: &rng), y = Tensor.randn([n], rng: &rng)
        let z = Tensor(uninitializedShape: [n])
        let copy = benchTime(repeats: reps) { Kernels.copy(x.data, z.data, n) }
        let bytes2 = Double(2 * n * 4), bytes3 = Double(3 * n * 4)
        emit(BenchResult(bench: "ops", case: "memcpy", shape: "\(n)", threads: threads,
                         seconds: copy, gbPerSecond: bytes2 / copy / 1e9, note: "reference bandwidth"))
        let add = benchTime(repeats: reps) { _ = withNoGrad { x + y } }
        emit(BenchResult(bench: "ops", case: "add", shape: "\(n)", threads: threads,
                         seconds: add, gbPerSecond: bytes3 / add / 1e9))
        let mul = benchTime(repeats: reps) { _ = withNoGrad { x * y } }
        emit(BenchResult(bench: "ops", case: "mul", shape: "\(n)", threads: threads,
                         seconds: mul, gbPerSecond: bytes3 / mul / 1e9))
        let relu = benchTime(repeats: reps) { _ = withNoGrad { x.relu() } }
        emit(BenchResult(bench: "ops", case: "relu", shape: "\(n)", threads: threads,
                         seconds: relu, gbPerSecond: bytes2 / relu / 1e9))
        let gelu = benchTime(repeats: reps) { _ = withNoGrad { x.gelu() } }
        emit(BenchResult(bench: "ops", case: "gelu", shape: "\(n)", threads: threads,
                         seconds: gelu, gbPerSecond: bytes2 / gelu / 1e9))

        // Softmax and layer norm over rows of a Transformer-sized activation.
        let rows = quick ? 4096 : 32768, d = 256
        let s = Tensor.randn([rows, d], rng: &rng)
        let sm = benchTime(repeats: reps) { _ = withNoGrad { s.softmax(axis: -1) } }
        emit(BenchResult(bench: "ops", case: "softmax", shape: "\(rows)x\(d)", threads: threads,
                         seconds: sm, gbPerSecond: Double(2 * rows * d * 4) / sm / 1e9,
                         itemsPerSecond: Double(rows) / sm))
        let w = Tensor.ones([d]), bias = Tensor.zeros([d])
        let ln = benchTime(repeats: reps) {
            _ = withNoGrad { layerNorm(s, normalizedShape: [d], weight: w, bias: bias) }
        }
        emit(BenchResult(bench: "ops", case: "layer_norm", shape: "\(rows)x\(d)", threads: threads,
                         seconds: ln, gbPerSecond: Double(2 * rows * d * 4) / ln / 1e9,
                         itemsPerSecond: Double(rows) / ln))

        // ResNet-20's convolutions at batch 128, forward + backward.
        let batch = quick ? 16 : 128
        let shapes: [(c: Int, o: Int, hw: Int, stride: Int)] = [
            (16, 16, 32, 1), (16, 32, 32, 2), (32, 32, 16, 1), (32, 64, 16, 2), (64, 64, 8, 1),
        ]
        for (c, o, hw, st) in shapes {
            let input = Tensor.randn([batch, c, hw, hw], rng: &rng)
            let weight = Tensor.randn([o, c, 3, 3], std: 0.1, rng: &rng)
            weight.requiresGrad = true
            input.requiresGrad = true
            let ho = hw / st
            let flop = 2.0 * Double(batch * o * c * 9 * ho * ho)
            let fwd = benchTime(repeats: reps) {
                _ = withNoGrad { conv2d(input, weight: weight, stride: (st, st), padding: (1, 1)) }
            }
            let both = benchTime(repeats: reps) {
                let out = conv2d(input, weight: weight, stride: (st, st), padding: (1, 1))
                try! out.backward(seed: out.detached())
                input.zeroGrad(); weight.zeroGrad()
            }
            let shape = "\(batch)x\(c)x\(hw)x\(hw)->\(o) s\(st)"
            emit(BenchResult(bench: "ops", case: "conv2d_3x3_forward", shape: shape, threads: threads,
                             seconds: fwd, gflops: flop / fwd / 1e9))
            emit(BenchResult(bench: "ops", case: "conv2d_3x3_forward_backward", shape: shape,
                             threads: threads, seconds: both, gflops: 3 * flop / both / 1e9))
        }
    }
}
