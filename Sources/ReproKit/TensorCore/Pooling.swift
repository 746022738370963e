/// Spatial pooling and nearest-neighbour upsampling over NCHW tensors, as in
/// torch.nn.functional (floor mode, no dilation). Every kernel works plane by plane
/// (one (image, channel) pair), so the planes split across threads with disjoint writes.

/// The geometry of a pooling window over one plane.
struct PoolShape {
    var h, w, ho, wo, kh, kw, sh, sw, ph, pw: Int
    var hw: Int { h * w }
    var p: Int { ho * wo }
}

/// Argmax positions of a max pool, kept for its backward pass.
final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    deinit { pointer.deallocate() }
}

private func poolShape(_ op: String, _ x: Tensor, _ kernel: (Int, Int), _ stride: (Int, Int)?,
                       _ padding: (Int, Int)) -> PoolShape {
    precondition(x.rank == 4, "\(op): input must be [N, C, H, W], got \(x.shape)")
    let st = stride ?? kernel
    precondition(kernel.0 > 0 && kernel.1 > 0 && st.0 > 0 && st.1 > 0,
                 "\(op): kernel \(kernel) and stride \(st) must be positive")
    precondition(padding.0 >= 0 && padding.1 >= 0 && padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1,
                 "\(op): padding \(padding) must be between 0 and half the kernel \(kernel)")
    let (h, w) = (x.shape[2], x.shape[3])
    let spanH = h + 2 * padding.0 - kernel.0, spanW = w + 2 * padding.1 - kernel.1
    precondition(spanH >= 0 && spanW >= 0,
                 "\(op): kernel \(kernel) is larger than the padded input \(h + 2 * padding.0)x\(w + 2 * padding.1)")
    return PoolShape(h: h, w: w, ho: spanH / st.0 + 1, wo: spanW / st.1 + 1, kh: kernel.0, kw: kernel.1,
                     sh: st.0, sw: st.1, ph: padding.0, pw: padding.1)
}

private func planeGrain(_ work: Int) -> Int { max(1, Kernels.grain / max(work, 1)) }

enum PoolKernels {
    /// Max over each window (padding never wins); idx gets the first argmax, row-major in the window.
    /// Loops run tap by tap across a whole output row, so the compare-and-select chains of
    /// neighbouring outputs overlap instead of waiting on each other.
    @inline(never)
    static func maxForward(_ x: UnsafePointer<Float>, planes: Int, _ s: PoolShape,
                           _ y: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>) {
        Threads.pool.parallelFor(planes, grain: planeGrain(s.p * s.kh * s.kw)) { r in
            for plane in r {
                let src = x + plane * s.hw
                for oh in 0..<s.ho {
                    let h0 = max(oh * s.sh - s.ph, 0), h1 = min(oh * s.sh - s.ph + s.kh, s.h)
                    let best = y + plane * s.p + oh * s.wo, at = idx + plane * s.p + oh * s.wo
                    for ow in 0..<s.wo {
                        best[ow] = -Float.infinity
                        at[ow] = Int32(truncatingIfNeeded: h0 * s.w + max(ow * s.sw - s.pw, 0))
                    }
                    for ih in h0..<h1 {
                        let row = ih * s.w
                        for kj in 0..<s.kw {
                            let off = kj - s.pw
                            let (lo, hi) = validRange(off, s.sw, s.w, s.wo)
                            var ow = lo
                            if s.sw <= 2 {
                                // Four outputs at a time; stride 2 takes the even lanes of 8
                                // loaded floats, while the load stays inside the plane.
                                let room = (s.hw - (row + off)) / s.sw - 4
                                let lane = SIMD4<Int32>(0, 1, 2, 3) &* Int32(s.sw)
                                while ow + 4 <= hi && ow <= room {
                                    let p = UnsafeRawPointer(src + row + ow * s.sw + off)
                                    let v = s.sw == 1 ? p.loadUnaligned(as: SIMD4<Float>.self)
                                                      : p.loadUnaligned(as: SIMD8<Float>.self).evenHalf
                                    let iw = lane &+ Int32(truncatingIfNeeded: row + ow * s.sw + off)
                                    maxStep(v, iw, best + ow, at + ow)
                                    ow += 4
                                }
                            }
                            for ow in ow..<hi {
                                let iw = row + ow * s.sw + off
                                let v = src[iw]
                                // v > best or v is NaN (NaN propagates, as in PyTorch): the two
                                // exclude each other, so != is their "or", without a branch.
                                let take = (v > best[ow]) != (v != v)
                                best[ow] = take ? v : best[ow]
                                at[ow] = take ? Int32(truncatingIfNeeded: iw) : at[ow]
                            }
                        }
                    }
                }
            }
        }
    }

    /// best, at ← v, iw in the lanes where v > best or v is NaN.
    @inline(__always)
    private static func maxStep(_ v: SIMD4<Float>, _ iw: SIMD4<Int32>,
                                _ best: UnsafeMutablePointer<Float>, _ at: UnsafeMutablePointer<Int32>) {
        let b = UnsafeRawPointer(best).loadUnaligned(as: SIMD4<Float>.self)
        let a = UnsafeRawPointer(at).loadUnaligned(as: SIMD4<Int32>.self)
        let take = (v .> b) .| (v .!= v)   // a Float mask has Int32 lanes: it also selects indices
        UnsafeMutableRawPointer(best).storeBytes(of: b.replacing(with: v, where: take), as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(at).storeBytes(of: a.replacing(with: iw, where: take), as: SIMD4<Int32>.self)
    }

    /// dx[argmax] += dy.
    @inline(never)
    static func maxBackward(_ g: UnsafePointer<Float>, _ idx: UnsafePointer<Int32>, planes: Int, _ s: PoolShape,
                            _ dx: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(planes, grain: planeGrain(s.hw + s.p)) { r in
            for plane in r {
                let d = dx + plane * s.hw, gp = g + plane * s.p, ind = idx + plane * s.p
                for i in 0..<s.hw { d[i] = 0 }
                for i in 0..<s.p { d[Int(ind[i])] += gp[i] }
            }
        }
    }

    /// Window means: divided by kh·kw (countIncludePad) or by the in-bounds element count.
    @inline(never)
    static func avgForward(_ x: UnsafePointer<Float>, planes: Int, _ s: PoolShape, includePad: Bool,
                           _ y: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(planes, grain: planeGrain(s.p * s.kh * s.kw)) { r in
            for plane in r {
                let src = x + plane * s.hw, dst = y + plane * s.p
                for oh in 0..<s.ho {
                    let h0 = max(oh * s.sh - s.ph, 0), h1 = min(oh * s.sh - s.ph + s.kh, s.h)
                    for ow in 0..<s.wo {
                        let w0 = max(ow * s.sw - s.pw, 0), w1 = min(ow * s.sw - s.pw + s.kw, s.w)
                        var total: Float = 0
                        for ih in h0..<h1 { for iw in w0..<w1 { total += src[ih * s.w + iw] } }
                        let n = includePad ? s.kh * s.kw : (h1 - h0) * (w1 - w0)
                        dst[oh * s.wo + ow] = total / Float(n)
                    }
                }
            }
        }
    }

    @inline(never)
    static func avgBackward(_ g: UnsafePointer<Float>, planes: Int, _ s: PoolShape, includePad: Bool,
                            _ dx: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(planes, grain: planeGrain(s.p * s.kh * s.kw)) { r in
            for plane in r {
                let d = dx + plane * s.hw, gp = g + plane * s.p
                for i in 0..<s.hw { d[i] = 0 }
                for oh in 0..<s.ho {
                    let h0 = max(oh * s.sh - s.ph, 0), h1 = min(oh * s.sh - s.ph + s.kh, s.h)
                    for ow in 0..<s.wo {
                        let w0 = max(ow * s.sw - s.pw, 0), w1 = min(ow * s.sw - s.pw + s.kw, s.w)
                        let n = includePad ? s.kh * s.kw : (h1 - h0) * (w1 - w0)
                        let v = gp[oh * s.wo + ow] / Float(n)
                        for ih in h0..<h1 { for iw in w0..<w1 { d[ih * s.w + iw] += v } }
                    }
                }
            }
        }
    }

    /// Adaptive average pooling (PyTorch windows: ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉); backward when `dx`.
    @inline(never)
    static func adaptiveAvg(_ src: UnsafePointer<Float>, planes: Int, h: Int, w: Int, oh: Int, ow: Int,
                            backward: Bool, _ dst: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(planes, grain: planeGrain(h * w)) { r in
            for plane in r {
                // Forward reads x (h·w) and writes y (oh·ow); backward reads dy and writes dx.
                let x = backward ? dst + plane * h * w : nil
                let inPlane = src + plane * (backward ? oh * ow : h * w)
                if let x { for i in 0..<h * w { x[i] = 0 } }
                for i in 0..<oh {
                    let h0 = (i * h) / oh, h1 = ((i + 1) * h + oh - 1) / oh
                    for j in 0..<ow {
                        let w0 = (j * w) / ow, w1 = ((j + 1) * w + ow - 1) / ow
                        let n = Float((h1 - h0) * (w1 - w0))
                        if let x {
                            let v = inPlane[i * ow + j] / n
                            for ih in h0..<h1 { for iw in w0..<w1 { x[ih * w + iw] += v } }
                        } else {
                            var total: Float = 0
                            for ih in h0..<h1 { for iw in w0..<w1 { total += inPlane[ih * w + iw] } }
                            dst[plane * oh * ow + i * ow + j] = total / n
                        }
                    }
                }
            }
        }
    }

    /// Global average pooling: y[plane] = mean of the plane.
    @inline(never)
    static func globalAvg(_ x: UnsafePointer<Float>, planes: Int, len: Int, _ y: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(len)
        Threads.pool.parallelFor(planes, grain: planeGrain(len)) { r in
            for plane in r { y[plane] = Kernels.sum(x + plane * len, len) * scale }
        }
    }

    /// dx[plane, ·] = dy[plane] / len.
    @inline(never)
    static func globalAvgBackward(_ g: UnsafePointer<Float>, planes: Int, len: Int, _ dx: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(len)
        Threads.pool.parallelFor(planes, grain: planeGrain(len)) { r in
            for plane in r {
                let v = g[plane] * scale, d = dx + plane * len
                for i in 0..<len { d[i] = v }
            }
        }
    }

    /// Nearest upsampling by an integer factor, or (backward) the sum over each factor² block.
    @inline(never)
    static func upsample(_ src: UnsafePointer<Float>, planes: Int, h: Int, w: Int, scale: Int,
                         backward: Bool, _ dst: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (h * scale, w * scale)
        Threads.pool.parallelFor(planes, grain: planeGrain(oh * ow)) { r in
            for plane in r {
                if backward {
                    let g = src + plane * oh * ow, d = dst + plane * h * w
                    if scale == 2 {
                        // The general loop's sums in its order ((a + b) + c) + d, without its
                        // division and read-modify-write per element.
                        for y in 0..<h {
                            let r0 = g + 2 * y * ow, r1 = r0 + ow, out = d + y * w
                            for x in 0..<w { out[x] = ((r0[2 * x] + r0[2 * x + 1]) + r1[2 * x]) + r1[2 * x + 1] }
                        }
                        continue
                    }
                    for i in 0..<h * w { d[i] = 0 }
                    for y in 0..<oh {
                        let row = g + y * ow, out = d + (y / scale) * w
                        for x in 0..<ow { out[x / scale] += row[x] }
                    }
                } else {
                    let s = src + plane * h * w, d = dst + plane * oh * ow
                    for y in 0..<oh {
                        let row = s + (y / scale) * w, out = d + y * ow
                        for x in 0..<ow { out[x] = row[x / scale] }
                    }
                }
            }
        }
    }
}

/// Max pooling over NCHW input, as `F.max_pool2d` (padding counts as −∞; stride defaults to
/// the kernel). The gradient goes to the first maximum of each window, row-major.
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0)) -> Tensor {
    let s = poolShape("maxPool2d", x, kernel, stride, padding)
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.ho, s.wo])
    let idx = IndexBuffer(count: out.count)
    PoolKernels.maxForward(x.data, planes: planes, s, out.data, idx.pointer)
    return out.recordingGrad(inputs: [x]) { g in
        let gx = Tensor(uninitializedShape: x.shape)
        PoolKernels.maxBackward(g.data, idx.pointer, planes: planes, s, gx.data)
        x.accumulateGrad(gx)
    }
}

/// Average pooling over NCHW input, as `F.avg_pool2d` (stride defaults to the kernel).
/// `countIncludePad` divides by the full window size, zeros of the padding included.
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) -> Tensor {
    let s = poolShape("avgPool2d", x, kernel, stride, padding)
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.ho, s.wo])
    PoolKernels.avgForward(x.data, planes: planes, s, includePad: countIncludePad, out.data)
    return out.recordingGrad(inputs: [x]) { g in
        let gx = Tensor(uninitializedShape: x.shape)
        PoolKernels.avgBackward(g.data, planes: planes, s, includePad: countIncludePad, gx.data)
        x.accumulateGrad(gx)
    }
}

/// Adaptive average pooling to `outputSize`, as `F.adaptive_avg_pool2d`: output cell i averages
/// rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ (likewise columns). (1, 1) is global average pooling.
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    precondition(x.rank == 4, "adaptiveAvgPool2d: input must be [N, C, H, W], got \(x.shape)")
    let (oh, ow) = outputSize
    let (h, w) = (x.shape[2], x.shape[3])
    precondition(oh > 0 && ow > 0, "adaptiveAvgPool2d: output size \(outputSize) must be positive")
    precondition(h > 0 && w > 0, "adaptiveAvgPool2d: empty input plane \(x.shape)")
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
    let global = oh == 1 && ow == 1
    if global {
        PoolKernels.globalAvg(x.data, planes: planes, len: h * w, out.data)
    } else {
        PoolKernels.adaptiveAvg(x.data, planes: planes, h: h, w: w, oh: oh, ow: ow, backward: false, out.data)
    }
    return out.recordingGrad(inputs: [x]) { g in
        let gx = Tensor(uninitializedShape: x.shape)
        if global {
            PoolKernels.globalAvgBackward(g.data, planes: planes, len: h * w, gx.data)
        } else {
            PoolKernels.adaptiveAvg(g.data, planes: planes, h: h, w: w, oh: oh, ow: ow, backward: true, gx.data)
        }
        x.accumulateGrad(gx)
    }
}

/// Nearest-neighbour upsampling by an integer `scale`: [N, C, H, W] → [N, C, H·scale, W·scale].
public func upsampleNearest2d(_ x: Tensor, scale: Int) -> Tensor {
    precondition(x.rank == 4, "upsampleNearest2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(scale >= 1, "upsampleNearest2d: scale \(scale) must be at least 1")
    let (h, w) = (x.shape[2], x.shape[3])
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], h * scale, w * scale])
    PoolKernels.upsample(x.data, planes: planes, h: h, w: w, scale: scale, backward: false, out.data)
    return out.recordingGrad(inputs: [x]) { g in
        let gx = Tensor(uninitializedShape: x.shape)
        PoolKernels.upsample(g.data, planes: planes, h: h, w: w, scale: scale, backward: true, gx.data)
        x.accumulateGrad(gx)
    }
}
