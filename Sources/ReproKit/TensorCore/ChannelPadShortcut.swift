/// The parameter-free ResNet shortcut "option A" (He et al. 2016, §3.3) as one op: keep every
/// `stride`-th pixel and add `channelPad` zero channels on both sides, i.e.
/// F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, pad, pad)) — one pass each way instead of a
/// subsampling pool plus a pad with their own buffers.
extension Tensor {
    /// [N, C, H, W] → [N, C + 2·channelPad, ⌈H/stride⌉, ⌈W/stride⌉]:
    /// out[n, c + channelPad, i, j] = x[n, c, i·stride, j·stride], zero in the padded channels.
    public func subsampledChannelPadded(stride: Int, channelPad: Int) -> Tensor {
        precondition(rank == 4, "subsampledChannelPadded: input must be [N, C, H, W], got \(shape)")
        precondition(stride >= 1 && channelPad >= 0, "subsampledChannelPadded: stride \(stride), channelPad \(channelPad)")
        let g = ShortcutGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3], stride: stride, pad: channelPad)
        let out = Tensor(uninitializedShape: [g.n, g.c + 2 * g.pad, g.ho, g.wo])
        ShortcutKernels.forward(data, g, out.data)
        let x = self
        return out.recordingGrad(inputs: [x]) { gy in
            let gx = Tensor(uninitializedShape: x.shape)
            ShortcutKernels.backward(gy.data, g, gx.data)
            x.accumulateGrad(gx)
        }
    }
}

struct ShortcutGeometry {
    let n, c, h, w, stride, pad: Int
    var ho: Int { (h + stride - 1) / stride }
    var wo: Int { (w + stride - 1) / stride }
    var co: Int { c + 2 * pad }
}

enum ShortcutKernels {
    /// Work per plane item; one (image, output channel) plane per item.
    @inline(never)
    static func forward(_ x: UnsafePointer<Float>, _ g: ShortcutGeometry, _ out: UnsafeMutablePointer<Float>) {
        let len = g.ho * g.wo
        Threads.pool.parallelFor(g.n * g.co, grain: max(1, Kernels.grain / max(len, 1))) { r in
            for item in r {
                let i = item / g.co, oc = item % g.co, c = oc - g.pad
                let dst = out + item * len
                if c < 0 || c >= g.c { dst.initialize(repeating: 0, count: len); continue }
                let src = x + (i * g.c + c) * g.h * g.w
                for oh in 0..<g.ho {
                    let line = src + oh * g.stride * g.w, row = dst + oh * g.wo
                    for ow in 0..<g.wo { row[ow] = line[ow * g.stride] }
                }
            }
        }
    }

    /// gx[n, c, i·s, j·s] = gy[n, c + pad, i, j]; zero at the pixels the forward skipped.
    @inline(never)
    static func backward(_ gy: UnsafePointer<Float>, _ g: ShortcutGeometry, _ gx: UnsafeMutablePointer<Float>) {
        let len = g.ho * g.wo, hw = g.h * g.w
        Threads.pool.parallelFor(g.n * g.c, grain: max(1, Kernels.grain / max(hw, 1))) { r in
            for item in r {
                let i = item / g.c, c = item % g.c
                let src = gy + (i * g.co + c + g.pad) * len, dst = gx + item * hw
                if g.stride == 1 { dst.update(from: src, count: hw); continue }
                dst.initialize(repeating: 0, count: hw)
                for oh in 0..<g.ho {
                    let row = src + oh * g.wo, line = dst + oh * g.stride * g.w
                    for ow in 0..<g.wo { line[ow * g.stride] = row[ow] }
                }
            }
        }
    }
}
