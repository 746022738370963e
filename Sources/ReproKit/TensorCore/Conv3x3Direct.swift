internal import CKernels
import Foundation

/// 3×3, stride-1, padding-1 convolutions (ResNet's and VGG's "same" 3×3) without im2col:
/// C kernels (`CKernels/conv3x3_kernels.h`, built for AVX-512 and for AVX2 + FMA) read
/// zero-padded planes directly, keeping a tile of output channels × pixels in registers
/// (forward and dX), or 9 weight-gradient accumulators per output channel (dW). For the
/// 16–64-channel layers of CIFAR-sized nets this replaces im2col (9 copies of the input) and
/// OpenBLAS's packing of them.
///
/// dX is the forward kernel run on padded dY with the rotated, channel-swapped weight.
/// Threads take images (backward: slices of the batch) as they free up (`dynamicFor`), each
/// with its own scratch. Which instruction set runs is `path`; CPUs with neither, and every
/// other shape, keep im2col + sgemm.
public enum Conv3x3Direct {
    /// The ways a 3×3 stride-1 convolution can run; the raw value names it in run folders and
    /// `repro bench` lines.
    public enum Path: String, CaseIterable, Sendable {
        case avx512 = "AVX-512 direct kernels"
        case avx2 = "AVX2 direct kernels"
        case im2col = "im2col + sgemm"

        /// The C kernels, when this is a direct path the CPU runs.
        fileprivate var kernels: repro_conv3x3_kernels? {
            let isa: Int32
            switch self {
            case .avx512: isa = Int32(REPRO_CONV3X3_AVX512)
            case .avx2: isa = Int32(REPRO_CONV3X3_AVX2)
            case .im2col: return nil
            }
            return repro_conv3x3_kernels(isa)?.pointee
        }
    }

    /// The kernels of each direct path this CPU runs, looked up once: the CPU does not change.
    private static let table: [Path: repro_conv3x3_kernels] =
        Dictionary(uniqueKeysWithValues: Path.allCases.compactMap { p in p.kernels.map { (p, $0) } })
    /// The paths this CPU runs, fastest first; `.im2col` always, last.
    public static let supportedPaths: [Path] = Path.allCases.filter { $0 == .im2col || table[$0] != nil }

    /// The path 3×3 stride-1 convolutions take: the fastest this CPU runs, or what the
    /// environment variable REPRO_CONV3X3 (`im2col`, `avx2`, `avx512`; read once, at first use)
    /// names. Tests set it to check each path; only `supportedPaths` may be set. SiLU and
    /// dropout's C kernels follow it too (`ElementwiseKernels`).
    nonisolated(unsafe) public static var path: Path = initialPath() {
        willSet { precondition(supportedPaths.contains(newValue), "\(newValue.rawValue) does not run on this CPU") }
    }
    /// Set to false to run every convolution through im2col + sgemm, whatever `path` says.
    nonisolated(unsafe) public static var enabled = true
    /// Padded floats of images processed together in the backward pass (512 KB, an L2's share).
    static let groupBudget = 1 << 17
    /// The backward pass's work items: contiguous slices of the batch, each summing its own
    /// dW partial. A fixed count (not one per group, not one per thread) bounds the partials'
    /// memory for wide layers, leaves threads something to balance, and keeps dW independent
    /// of which thread took which slice.
    static let backwardSlices = 16

    /// What runs 3×3 stride-1 convolutions now, for run folders and benchmarks.
    public static var kernelName: String { (enabled ? path : .im2col).rawValue }

    private static func initialPath() -> Path {
        let best = supportedPaths[0]
        guard let name = ProcessInfo.processInfo.environment["REPRO_CONV3X3"], !name.isEmpty else { return best }
        let names: [String: Path] = ["avx512": .avx512, "avx2": .avx2, "im2col": .im2col]
        guard let asked = names[name.lowercased()], supportedPaths.contains(asked) else {
            FileHandle.standardError.write(Data(("repro: REPRO_CONV3X3=\(name) is not one of this CPU's paths "
                + "(\(names.filter { supportedPaths.contains($0.value) }.keys.sorted().joined(separator: ", "))); "
                + "using \(best.rawValue)\n").utf8))
            return best
        }
        return asked
    }

    /// The kernels of the current path; only called where `applies` said yes.
    private static var kernels: repro_conv3x3_kernels { table[path]! }

    static func applies(_ s: ConvShape) -> Bool {
        enabled && path != .im2col && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1
            && s.ph == 1 && s.pw == 1 && s.dh == 1 && s.dw == 1 && s.groups == 1
    }

    /// y[N, O, H, W] = conv(x, w) (+ bias).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        _ s: ConvShape, _ y: UnsafeMutablePointer<Float>) {
        let packed = pack(w, o: s.o, c: s.c)
        run(x, packed: packed.data, c: s.c, o: s.o, s, y)
        if let bias { ConvKernels.addChannelBias(y, images: s.n, channels: s.o, len: s.p, bias) }
    }

    /// From dy[N, O, H, W]: overwrites dx[N, C, H, W] and/or dw[O, C, 3, 3] when given.
    /// dY is padded once per group of images and read by both.
    static func backward(x: UnsafePointer<Float>?, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         _ s: ConvShape, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?) {
        // dX = conv(dY, w rotated 180° with in/out channels swapped), padding 1 again.
        var flipped: Tensor? = nil
        if dx != nil {
            let wf = Tensor(uninitializedShape: [s.c * s.o * 9])
            ConvKernels.flippedWeight(w, s, wf.data)
            flipped = pack(wf.data, o: s.c, c: s.o)
        }
        let weightGrad = dw != nil && x != nil
        let ps = planeStride(s), perImage = ((weightGrad ? s.c : 0) + s.o) * ps
        // Images padded together; at least 8 groups in a batch of 8 or more, so that both
        // threads get work in small batches too.
        let group = max(1, min(s.n / 8, groupBudget / perImage))
        let groups = (s.n + group - 1) / group, slices = min(groups, backwardSlices)
        let workers = Threads.count, count = s.o * s.c * 9
        let partials: [Tensor] = weightGrad ? (0..<slices).map { _ in Tensor(shape: [count], repeating: 0) } : []
        let dyp = (0..<workers).map { _ in Tensor(uninitializedShape: [group * s.o * ps]) }
        let xp: [Tensor] = weightGrad ? (0..<workers).map { _ in Tensor(uninitializedShape: [group * s.c * ps]) } : []
        let grids: [Tensor] = flipped == nil ? []
            : (0..<workers).map { _ in Tensor(uninitializedShape: [repro_conv3x3_grid_count(Int32(s.c), Int32(s.h), Int32(s.w))]) }
        let (c, h, wd) = (Int32(s.c), Int32(s.h), Int32(s.w)), k = kernels
        Threads.pool.dynamicFor(slices) { t, slice in
            for g in (slice * groups / slices)..<((slice + 1) * groups / slices) {
                let n0 = g * group, b = min(group, s.n - n0)
                k.pad(dy + n0 * s.o * s.p, Int32(b * s.o), h, wd, ps, dyp[t].data)
                if let dx, let flipped {
                    for i in 0..<b {
                        k.forward(dyp[t].data + i * s.o * ps, Int32(s.o), h, wd, ps, flipped.data,
                                              c, grids[t].data, dx + (n0 + i) * s.c * s.hw)
                    }
                }
                if weightGrad, let x {
                    k.pad(x + n0 * s.c * s.hw, Int32(b * s.c), h, wd, ps, xp[t].data)
                    k.weight_grad(xp[t].data, dyp[t].data, Int32(b), c, Int32(s.o), h, wd, ps,
                                              partials[slice].data)
                }
            }
        }
        guard let dw, weightGrad else { return }
        // Summed in slice order: the same dW whichever thread took which slice.
        guard let first = partials.first else { return dw.initialize(repeating: 0, count: count) }
        dw.update(from: first.data, count: count)
        for p in partials.dropFirst() { Kernels.addInPlace(dw, p.data, count) }
    }

    private static func planeStride(_ s: ConvShape) -> Int {
        repro_conv3x3_plane_stride(Int32(s.h), Int32(s.w))
    }

    private static func pack(_ w: UnsafePointer<Float>, o: Int, c: Int) -> Tensor {
        let packed = Tensor(uninitializedShape: [repro_conv3x3_packed_count(Int32(o), Int32(c))])
        repro_conv3x3_pack_weight(w, Int32(o), Int32(c), packed.data)
        return packed
    }

    /// out[N, o, H, W] = conv(input[N, c, H, W], packed), one padded image at a time per thread.
    private static func run(_ input: UnsafePointer<Float>, packed: UnsafePointer<Float>, c: Int, o: Int,
                            _ s: ConvShape, _ out: UnsafeMutablePointer<Float>) {
        let ps = planeStride(s), hw = s.hw, workers = Threads.count, k = kernels
        let xp = (0..<workers).map { _ in Tensor(uninitializedShape: [c * ps]) }
        let grid = (0..<workers).map { _ in
            Tensor(uninitializedShape: [repro_conv3x3_grid_count(Int32(o), Int32(s.h), Int32(s.w))])
        }
        Threads.pool.dynamicFor(s.n) { t, i in
            k.pad(input + i * c * hw, Int32(c), Int32(s.h), Int32(s.w), ps, xp[t].data)
            k.forward(xp[t].data, Int32(c), Int32(s.h), Int32(s.w), ps, packed,
                                  Int32(o), grid[t].data, out + i * o * hw)
        }
    }
}
