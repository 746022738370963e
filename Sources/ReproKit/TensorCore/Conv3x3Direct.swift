internal import CKernels

/// 3×3, stride-1, padding-1 convolutions (ResNet's and VGG's "same" 3×3) without im2col:
/// AVX-512 kernels in `CKernels/conv3x3.c` read zero-padded planes directly, keeping an
/// 8-channel × 32-pixel output tile in registers (forward and dX), or 2 × 9 weight-gradient
/// accumulators (dW). For the 16–64-channel layers of CIFAR-sized nets this replaces im2col
/// (9 copies of the input) and OpenBLAS's packing of them.
///
/// dX is the forward kernel run on padded dY with the rotated, channel-swapped weight.
/// Images are split across the pool's threads as in `ConvEngine`; CPUs without AVX-512,
/// and every other convolution shape, keep the im2col + sgemm path.
public enum Conv3x3Direct {
    /// Whether this CPU runs the kernels.
    public static let available = repro_conv3x3_available() != 0
    /// Set to false to run every convolution through im2col + sgemm (tests compare the two).
    nonisolated(unsafe) public static var enabled = true
    /// Padded floats of images processed together for dW (512 KB, an L2's share).
    static let groupBudget = 1 << 17

    static func applies(_ s: ConvShape) -> Bool {
        enabled && available && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1
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
        let group = max(1, min(s.n, groupBudget / perImage))
        let shares = ConvEngine.shares(s.n), count = s.o * s.c * 9
        let partials: [Tensor] = weightGrad ? (0..<shares).map { _ in Tensor(shape: [count], repeating: 0) } : []
        let (c, h, wd) = (Int32(s.c), Int32(s.h), Int32(s.w))
        ConvEngine.runShares(s.n, shares) { t, images in
            let dyp = Tensor(uninitializedShape: [group * s.o * ps])
            let xp: Tensor? = weightGrad ? Tensor(uninitializedShape: [group * s.c * ps]) : nil
            let grid: Tensor? = flipped == nil ? nil
                : Tensor(uninitializedShape: [repro_conv3x3_grid_count(c, h, wd)])
            for n0 in stride(from: images.lowerBound, to: images.upperBound, by: group) {
                let b = min(group, images.upperBound - n0)
                repro_conv3x3_pad(dy + n0 * s.o * s.p, Int32(b * s.o), h, wd, ps, dyp.data)
                if let dx, let flipped, let grid {
                    for i in 0..<b {
                        repro_conv3x3_forward(dyp.data + i * s.o * ps, Int32(s.o), h, wd, ps, flipped.data,
                                              c, grid.data, dx + (n0 + i) * s.c * s.hw)
                    }
                }
                if let xp, let x {
                    repro_conv3x3_pad(x + n0 * s.c * s.hw, Int32(b * s.c), h, wd, ps, xp.data)
                    repro_conv3x3_weight_grad(xp.data, dyp.data, Int32(b), c, Int32(s.o), h, wd, ps,
                                              partials[t].data)
                }
            }
        }
        guard let dw, weightGrad else { return }
        dw.update(from: partials[0].data, count: count)
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
        let ps = planeStride(s), hw = s.hw
        ConvEngine.runShares(s.n, ConvEngine.shares(s.n)) { _, images in
            let xp = Tensor(uninitializedShape: [c * ps])
            let grid = Tensor(uninitializedShape: [repro_conv3x3_grid_count(Int32(o), Int32(s.h), Int32(s.w))])
            for i in images {
                repro_conv3x3_pad(input + i * c * hw, Int32(c), Int32(s.h), Int32(s.w), ps, xp.data)
                repro_conv3x3_forward(xp.data, Int32(c), Int32(s.h), Int32(s.w), ps, packed,
                                      Int32(o), grid.data, out + i * o * hw)
            }
        }
    }
}
