/// The data-movement kernels behind convolution: im2col / col2im and the NCHW ⇄ [O, N·P]
/// reorderings around the GEMMs.
///
/// A convolution becomes one GEMM per group when the input patches are unfolded into a column
/// matrix whose rows are (c, ki, kj) and whose columns are (image, oh, ow): several images
/// share one matrix so the GEMM is wide. The GEMM then produces [O, images·P] (P = Ho·Wo),
/// which `scatterRows` turns back into NCHW. All loops are split over (image, channel) pairs,
/// which write disjoint memory.

/// The geometry of one convolution, seen from its input (C, H, W) and output (O, Ho, Wo).
struct ConvShape {
    var n, c, h, w: Int
    var o, kh, kw: Int
    var sh, sw, ph, pw, dh, dw: Int
    var groups: Int
    var ho, wo: Int

    /// Output pixels per image.
    var p: Int { ho * wo }
    /// Input pixels per image.
    var hw: Int { h * w }
    /// Kernel taps per channel.
    var kk: Int { kh * kw }
    /// Rows of the column matrix (all groups).
    var k: Int { c * kh * kw }
    /// Input channels per group.
    var cg: Int { c / groups }
    /// Output channels per group.
    var og: Int { o / groups }
    /// Rows of one group's column block (the GEMM's inner size).
    var kg: Int { cg * kh * kw }
    /// True when the column matrix of one image is the image itself.
    var isPointwise: Bool {
        kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0
    }
}

@inline(__always) private func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
@inline(__always) private func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// Output columns ow whose input column ow·s + off lies inside 0..<size.
@inline(__always)
func validRange(_ off: Int, _ s: Int, _ size: Int, _ outSize: Int) -> (Int, Int) {
    let lo = min(max(ceilDiv(-off, s), 0), outSize)
    let hi = min(max(floorDiv(size - 1 - off, s) + 1, lo), outSize)
    return (lo, hi)
}

enum ConvKernels {
    /// Work items smaller than this many floats run on one thread.
    static let grain = 1 << 14

    /// Unfolds `images` consecutive [C, H, W] images at `src` into `dst`: row (c·kh + ki)·kw + kj,
    /// column image·P + oh·Wo + ow, row stride `ld` (≥ images·P). Padding reads as zero.
    @inline(never)
    static func im2col(_ src: UnsafePointer<Float>, images: Int, _ s: ConvShape,
                       _ dst: UnsafeMutablePointer<Float>, ld: Int) {
        let items = images * s.c
        Threads.pool.parallelFor(items, grain: max(1, grain / max(s.kk * s.p, 1))) { r in
            for item in r {
                let n = item / s.c, c = item % s.c
                im2colPlane(src + item * s.hw, s, dst + c * s.kk * ld + n * s.p, ld)
            }
        }
    }

    @inline(__always)
    private static func im2colPlane(_ img: UnsafePointer<Float>, _ s: ConvShape,
                                    _ dst: UnsafeMutablePointer<Float>, _ ld: Int) {
        if s.sh == 1 && s.sw == 1 && s.wo == s.w { return im2colPlaneSame(img, s, dst, ld) }
        let (ho, wo, sw) = (s.ho, s.wo, s.sw)
        for ki in 0..<s.kh {
            let offH = ki * s.dh - s.ph
            for kj in 0..<s.kw {
                let offW = kj * s.dw - s.pw
                let (lo, hi) = validRange(offW, sw, s.w, wo)
                let row = dst + (ki * s.kw + kj) * ld
                for oh in 0..<ho {
                    let ih = oh * s.sh + offH
                    let r = row + oh * wo
                    if ih < 0 || ih >= s.h {
                        for i in 0..<wo { r[i] = 0 }
                        continue
                    }
                    let line = img + ih * s.w + offW
                    for i in 0..<lo { r[i] = 0 }
                    if sw == 1 {
                        for i in lo..<hi { r[i] = line[i] }
                    } else if sw == 2 {
                        // Even lanes of 8 loaded floats, while the load stays inside the plane.
                        var i = lo
                        let room = (s.hw - (ih * s.w + offW)) / 2 - 4
                        while i + 4 <= hi && i <= room {
                            let v = UnsafeRawPointer(line + 2 * i).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(r + i).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
                            i += 4
                        }
                        while i < hi { r[i] = line[2 * i]; i += 1 }
                    } else {
                        for i in lo..<hi { r[i] = line[i * sw] }
                    }
                    for i in hi..<wo { r[i] = 0 }
                }
            }
        }
    }

    /// Stride 1 with as many output as input columns ("same" padding): each tap's row is the
    /// flattened plane shifted by offH·W + offW, so it is one block copy, after which the
    /// columns that wrapped around a row edge are zeroed.
    @inline(__always)
    private static func im2colPlaneSame(_ img: UnsafePointer<Float>, _ s: ConvShape,
                                        _ dst: UnsafeMutablePointer<Float>, _ ld: Int) {
        let (w, p, hw) = (s.w, s.p, s.hw)
        for ki in 0..<s.kh {
            let offH = ki * s.dh - s.ph
            let ohLo = min(max(-offH, 0), s.ho), ohHi = min(max(s.h - offH, ohLo), s.ho)
            for kj in 0..<s.kw {
                let offW = kj * s.dw - s.pw
                let (lo, hi) = validRange(offW, 1, w, w)
                let row = dst + (ki * s.kw + kj) * ld
                let shift = offH * w + offW
                // Destination span of the valid rows, clipped so the source stays in the plane.
                let d0 = ohLo * w, d1 = ohHi * w
                let c0 = min(max(d0, -shift), d1), c1 = max(min(d1, hw - shift), c0)
                // libc's memcpy/memset use the widest vectors the CPU has.
                row.initialize(repeating: 0, count: c0)
                (row + c0).update(from: img + (shift + c0), count: c1 - c0)
                (row + c1).initialize(repeating: 0, count: p - c1)
                // Column by column (strided), so a one-column edge is not a memset call per row.
                for j in 0..<lo { for oh in ohLo..<ohHi { row[oh * w + j] = 0 } }
                for j in hi..<w { for oh in ohLo..<ohHi { row[oh * w + j] = 0 } }
            }
        }
    }

    /// The adjoint of `im2col`: overwrites `images` [C, H, W] images at `dst` with the sum of
    /// every column entry that was read from each pixel.
    @inline(never)
    static func col2im(_ src: UnsafePointer<Float>, ld: Int, images: Int, _ s: ConvShape,
                       _ dst: UnsafeMutablePointer<Float>) {
        let items = images * s.c
        Threads.pool.parallelFor(items, grain: max(1, grain / max(s.kk * s.p, 1))) { r in
            for item in r {
                let n = item / s.c, c = item % s.c
                col2imPlane(src + c * s.kk * ld + n * s.p, ld, s, dst + item * s.hw)
            }
        }
    }

    @inline(__always)
    private static func col2imPlane(_ src: UnsafePointer<Float>, _ ld: Int, _ s: ConvShape,
                                    _ img: UnsafeMutablePointer<Float>) {
        let (ho, wo, sw) = (s.ho, s.wo, s.sw)
        for i in 0..<s.hw { img[i] = 0 }
        for ki in 0..<s.kh {
            let offH = ki * s.dh - s.ph
            for kj in 0..<s.kw {
                let offW = kj * s.dw - s.pw
                let (lo, hi) = validRange(offW, sw, s.w, wo)
                let row = src + (ki * s.kw + kj) * ld
                for oh in 0..<ho {
                    let ih = oh * s.sh + offH
                    if ih < 0 || ih >= s.h { continue }
                    let r = row + oh * wo
                    let line = img + ih * s.w + offW
                    if sw == 1 {
                        for i in lo..<hi { line[i] += r[i] }
                    } else if sw == 2 {
                        // Add into the even lanes of 8 floats (odd lanes written back unchanged),
                        // while they stay inside this plane.
                        var i = lo
                        let room = (s.hw - (ih * s.w + offW)) / 2 - 4
                        while i + 4 <= hi && i <= room {
                            let p = UnsafeMutableRawPointer(line + 2 * i)
                            var v = p.loadUnaligned(as: SIMD8<Float>.self)
                            v.evenHalf += UnsafeRawPointer(r + i).loadUnaligned(as: SIMD4<Float>.self)
                            p.storeBytes(of: v, as: SIMD8<Float>.self)
                            i += 4
                        }
                        while i < hi { line[2 * i] += r[i]; i += 1 }
                    } else {
                        for i in lo..<hi { line[i * sw] += r[i] }
                    }
                }
            }
        }
    }

    /// [rows, images, len] → [images, rows, len], adding `bias[row]` when given.
    /// Turns a GEMM result [O, images·P] into NCHW.
    @inline(never)
    static func scatterRows(_ src: UnsafePointer<Float>, rows: Int, images: Int, len: Int,
                            bias: UnsafePointer<Float>?, _ dst: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(rows * images, grain: max(1, grain / max(len, 1))) { r in
            for item in r {
                let i = item / rows, o = item % rows
                let s = src + (o * images + i) * len, d = dst + item * len
                if let bias {
                    let b = bias[o]
                    for j in 0..<len { d[j] = s[j] + b }
                } else {
                    for j in 0..<len { d[j] = s[j] }
                }
            }
        }
    }

    /// [images, rows, len] → [rows, images, len]: NCHW gradients into GEMM layout.
    @inline(never)
    static func gatherRows(_ src: UnsafePointer<Float>, rows: Int, images: Int, len: Int,
                           _ dst: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(rows * images, grain: max(1, grain / max(len, 1))) { r in
            for item in r {
                let i = item / rows, o = item % rows
                let s = src + item * len, d = dst + (o * images + i) * len
                for j in 0..<len { d[j] = s[j] }
            }
        }
    }

    /// The weight of the convolution that maps dY back to dX for stride 1: per group, input
    /// and output channels swapped and the kernel rotated by 180°.
    /// wf[g·cg + c][o][kh−1−ki][kw−1−kj] = w[g·og + o][c][ki][kj].
    @inline(never)
    static func flippedWeight(_ w: UnsafePointer<Float>, _ s: ConvShape, _ wf: UnsafeMutablePointer<Float>) {
        let (og, cg, kk) = (s.og, s.cg, s.kk)
        for g in 0..<s.groups {
            for o in 0..<og {
                for c in 0..<cg {
                    let src = w + ((g * og + o) * cg + c) * kk
                    let dst = wf + ((g * cg + c) * og + o) * kk
                    for t in 0..<kk { dst[kk - 1 - t] = src[t] }
                }
            }
        }
    }

    /// The weight gradient from the flipped convolution's product col(dY) · xᵀ, whose layout is
    /// gwT[g][o·kk + (kk−1−t)][c] (rows: the flipped convolution's input channel and tap,
    /// columns: its output channel): dw[g·og + o][c][t] = gwT[g][o·kk + kk−1−t][c].
    @inline(never)
    static func unflipWeightGrad(_ gwT: UnsafePointer<Float>, _ s: ConvShape, _ dw: UnsafeMutablePointer<Float>) {
        let (og, cg, kk) = (s.og, s.cg, s.kk)
        for g in 0..<s.groups {
            let src = gwT + g * og * kk * cg
            for o in 0..<og {
                let dst = dw + (g * og + o) * cg * kk
                for c in 0..<cg {
                    for t in 0..<kk { dst[c * kk + t] = src[(o * kk + kk - 1 - t) * cg + c] }
                }
            }
        }
    }

    /// w[g·og + o][k] = wT[g][k][o]: the weight gradient from its per-group transposed GEMM result.
    @inline(never)
    static func untransposeWeight(_ wT: UnsafePointer<Float>, _ s: ConvShape, _ w: UnsafeMutablePointer<Float>) {
        let (og, kg) = (s.og, s.kg)
        for g in 0..<s.groups {
            let src = wT + g * kg * og, dst = w + g * og * kg
            for o in 0..<og { for k in 0..<kg { dst[o * kg + k] = src[k * og + o] } }
        }
    }

    /// x[image, o, ·] += bias[o].
    @inline(never)
    static func addChannelBias(_ x: UnsafeMutablePointer<Float>, images: Int, channels: Int, len: Int,
                               _ bias: UnsafePointer<Float>) {
        Threads.pool.parallelFor(images * channels, grain: max(1, grain / max(len, 1))) { r in
            for item in r {
                let b = bias[item % channels], d = x + item * len
                for j in 0..<len { d[j] += b }
            }
        }
    }

    /// out[o] = Σ over images and positions of g[image, o, ·]: a convolution's bias gradient.
    @inline(never)
    static func channelSums(_ g: UnsafePointer<Float>, images: Int, channels: Int, len: Int,
                            _ out: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(channels, grain: max(1, grain / max(images * len, 1))) { r in
            for o in r {
                var total: Double = 0
                // FusedMath.sum's 8 lanes: Kernels.sum's float loop is one serial chain of adds
                // (LLVM may not reorder float sums), 2.4% of a DDPM step.
                for i in 0..<images { total += Double(FusedMath.sum(g + (i * channels + o) * len, len)) }
                out[o] = Float(total)
            }
        }
    }
}
