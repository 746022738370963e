
/// 2-D convolution (NCHW) as im2col + sgemm, one GEMM per group per chunk of images.
///
/// Forward:  Y_g[O/g, P] = W_g[O/g, C/g·kh·kw] · col_g[C/g·kh·kw, P]        (P: output pixels)
/// dW:       dW_gᵀ = col_g · dY_gᵀ  (this orientation is the faster one for few channels)
/// dX:       stride 1: a convolution of dY with the kernel rotated 180° and in/out channels
///           swapped (im2col + GEMM again), whose columns also give dW (x · col(dY)ᵀ, taps
///           rotated back), so dY is unfolded once; otherwise dcol_g = W_gᵀ · dY_g, then col2im.
/// A chunk holds as many images as fit `ConvEngine.columnBudget` floats of columns; images with
/// many output pixels get one GEMM each, reading and writing NCHW in place, smaller ones share
/// a GEMM whose result is reordered to NCHW. 1×1 stride-1 unpadded convolutions skip im2col:
/// each image already is its column matrix.

/// The convolution GEMM driver, shared by `conv2d` and `convTranspose2d` (whose forward is
/// this backward-data pass and whose backward-data is this forward).
///
/// Threads: with several images, pool threads take shares of the images (a few per thread,
/// each taken when a thread frees up) and run im2col and single-threaded GEMMs on them, OpenBLAS being held to one
/// thread for the duration (so the cores are never oversubscribed). Small per-image GEMMs
/// then need no cross-thread hand-off, and each core's column buffer stays in its own L2.
/// With one image, the kernels split across the pool and OpenBLAS threads each GEMM.
enum ConvEngine {
    /// The column buffer's size limit in floats (512 KB): small enough to stay in L2 between
    /// im2col and the GEMM that reads it, which measured faster than wider GEMMs.
    nonisolated(unsafe) static var columnBudget = 1 << 17
    /// From this many output pixels per image, GEMMs run per image straight on NCHW.
    nonisolated(unsafe) static var perImageMinPixels = 256
    /// Whether to split images across threads with single-threaded GEMMs (see above).
    nonisolated(unsafe) static var imageParallel = true

    static func imagesPerChunk(_ s: ConvShape, _ images: Int) -> Int {
        max(1, min(images, columnBudget / max(s.k * s.p, 1)))
    }

    static func perImage(_ s: ConvShape) -> Bool { s.isPointwise || s.p >= perImageMinPixels }

    /// Shares of the images: a few per thread, taken as threads free up (`dynamicFor`), so a
    /// slower core does not hold up the other; results are summed per share, in share order.
    static func shares(_ n: Int) -> Int {
        imageParallel && Threads.count > 1 ? max(1, min(Threads.count * 4, n)) : 1
    }

    /// Runs body(share, images) for `shares` contiguous shares of 0..<n on the pool's threads,
    /// with OpenBLAS single-threaded meanwhile; one share runs on this thread as is.
    static func runShares(_ n: Int, _ shares: Int, _ body: (Int, Range<Int>) -> Void) {
        if shares <= 1 { body(0, 0..<n); return }
        let saved = OpenBLAS.threads
        OpenBLAS.threads = 1
        defer { OpenBLAS.threads = saved }
        Threads.pool.dynamicFor(shares) { _, t in body(t, (t * n / shares)..<((t + 1) * n / shares)) }
    }

    /// y[N, O, Ho, Wo] = conv(x, w) (+ bias).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        _ s: ConvShape, _ y: UnsafeMutablePointer<Float>) {
        if Conv3x3Direct.applies(s) { return Conv3x3Direct.forward(x, w, bias: bias, s, y) }
        runShares(s.n, shares(s.n)) { _, images in forwardImages(x, w, bias: bias, s, y, images) }
    }

    /// `forward`, and from the same column matrices the product cols · zᵀ per group, summed
    /// over images into `gwT` [groups, kg, og] (overwritten), for z shaped like y. With x = dY
    /// and the flipped weight, y is dX and z the original input: gwT is then the weight
    /// gradient in flipped layout, so a stride-1 backward unfolds dY only once.
    static func forwardWithWeightProduct(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ s: ConvShape,
                                         _ y: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
                                         gwT: UnsafeMutablePointer<Float>) {
        precondition(!s.isPointwise, "pointwise convolutions have no column matrix to share")
        let n = shares(s.n), count = s.groups * s.kg * s.og
        let partials: [Tensor] = (0..<n).map { _ in Tensor(shape: [count], repeating: 0) }
        runShares(s.n, n) { t, images in
            forwardImages(x, w, bias: nil, s, y, images, product: (z, partials[t].data))
        }
        gwT.update(from: partials[0].data, count: count)
        for t in partials.dropFirst() { Kernels.addInPlace(gwT, t.data, count) }
    }

    /// Forward over one share of images; with `product`, also product.gwT += col_g · z_gᵀ.
    private static func forwardImages(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                      bias: UnsafePointer<Float>?, _ s: ConvShape,
                                      _ y: UnsafeMutablePointer<Float>, _ images: Range<Int>,
                                      product: (z: UnsafePointer<Float>, gwT: UnsafeMutablePointer<Float>)? = nil) {
        guard !images.isEmpty else { return }
        let (p, og, kg) = (s.p, s.og, s.kg)
        if s.isPointwise {
            for i in images {
                for g in 0..<s.groups {
                    BLAS.gemm(transA: false, transB: false, m: og, n: p, k: kg,
                              a: w + g * og * kg, lda: kg, b: x + (i * s.c + g * s.cg) * p, ldb: p,
                              c: y + (i * s.o + g * og) * p, ldc: p)
                }
            }
            if let bias {
                ConvKernels.addChannelBias(y + images.lowerBound * s.o * p, images: images.count,
                                           channels: s.o, len: p, bias)
            }
            return
        }
        let nb = imagesPerChunk(s, images.count), direct = perImage(s)
        let col = Tensor(uninitializedShape: [s.k * nb * p])
        let ybuf: Tensor? = direct ? nil : Tensor(uninitializedShape: [s.o * nb * p])
        // z of a chunk in the column layout [O, b·P], when z is not read per image in place.
        let zbuf: Tensor? = direct || product == nil ? nil : Tensor(uninitializedShape: [s.o * nb * p])
        for n0 in stride(from: images.lowerBound, to: images.upperBound, by: nb) {
            let b = min(nb, images.upperBound - n0), ld = b * p
            ConvKernels.im2col(x + n0 * s.c * s.hw, images: b, s, col.data, ld: ld)
            if let product {
                let (z, gwT) = (product.z, product.gwT)
                // gwT_g[kg, og] += col_g · z_gᵀ (the orientation OpenBLAS runs faster for small og).
                if let zbuf {
                    ConvKernels.gatherRows(z + n0 * s.o * p, rows: s.o, images: b, len: p, zbuf.data)
                    for g in 0..<s.groups {
                        BLAS.gemm(transA: false, transB: true, m: kg, n: og, k: ld,
                                  a: col.data + g * kg * ld, lda: ld, b: zbuf.data + g * og * ld, ldb: ld,
                                  beta: 1, c: gwT + g * kg * og, ldc: og)
                    }
                } else {
                    for i in 0..<b {
                        for g in 0..<s.groups {
                            BLAS.gemm(transA: false, transB: true, m: kg, n: og, k: p,
                                      a: col.data + g * kg * ld + i * p, lda: ld,
                                      b: z + ((n0 + i) * s.o + g * og) * p, ldb: p,
                                      beta: 1, c: gwT + g * kg * og, ldc: og)
                        }
                    }
                }
            }
            if let ybuf {
                for g in 0..<s.groups {
                    BLAS.gemm(transA: false, transB: false, m: og, n: ld, k: kg,
                              a: w + g * og * kg, lda: kg, b: col.data + g * kg * ld, ldb: ld,
                              c: ybuf.data + g * og * ld, ldc: ld)
                }
                ConvKernels.scatterRows(ybuf.data, rows: s.o, images: b, len: p, bias: bias,
                                        y + n0 * s.o * p)
            } else {
                for i in 0..<b {
                    for g in 0..<s.groups {
                        BLAS.gemm(transA: false, transB: false, m: og, n: p, k: kg,
                                  a: w + g * og * kg, lda: kg, b: col.data + g * kg * ld + i * p, ldb: ld,
                                  c: y + ((n0 + i) * s.o + g * og) * p, ldc: p)
                    }
                }
                if let bias {
                    ConvKernels.addChannelBias(y + n0 * s.o * p, images: b, channels: s.o, len: p, bias)
                }
            }
        }
    }

    /// The stride-1 convolution that computes dX from dY, when there is one: kernel rotated,
    /// padding d·(k−1) − p (which must not be negative). Pointwise convolutions keep their own path.
    static func flippedShape(_ s: ConvShape) -> ConvShape? {
        let ph = s.dh * (s.kh - 1) - s.ph, pw = s.dw * (s.kw - 1) - s.pw
        guard s.sh == 1 && s.sw == 1 && !s.isPointwise && ph >= 0 && pw >= 0 else { return nil }
        return ConvShape(n: s.n, c: s.o, h: s.ho, w: s.wo, o: s.c, kh: s.kh, kw: s.kw, sh: 1, sw: 1,
                         ph: ph, pw: pw, dh: s.dh, dw: s.dw, groups: s.groups, ho: s.h, wo: s.w)
    }

    /// From dy[N, O, Ho, Wo]: overwrites dx[N, C, H, W] and/or dw[O, C/g, kh, kw] when given.
    /// `x` is needed only for dw.
    static func backward(x: UnsafePointer<Float>?, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         _ s: ConvShape, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?) {
        guard dx != nil || dw != nil else { return }
        precondition(dw == nil || x != nil, "weight gradient needs the input")
        if Conv3x3Direct.applies(s) { return Conv3x3Direct.backward(x: x, dy: dy, w: w, s, dx: dx, dw: dw) }
        if let dxOut = dx, let flipped = flippedShape(s) {
            // Stride 1: dX is a plain convolution of dY with the rotated weight, an im2col +
            // GEMM with inner size O·kh·kw instead of a GEMM with inner size O + col2im.
            let wf = Tensor(uninitializedShape: [s.c * s.og * s.kk])
            ConvKernels.flippedWeight(w, s, wf.data)
            guard let dw, let x else { return forward(dy, wf.data, bias: nil, flipped, dxOut) }
            // dW from the same unfolded dY: dW[o, c, t] = Σ_p x[c, p]·dY[o, p − off_t] is
            // x · col(dY)ᵀ, read back with the taps rotated.
            let gwT = Tensor(uninitializedShape: [s.groups * flipped.kg * flipped.og])
            forwardWithWeightProduct(dy, wf.data, flipped, dxOut, z: x, gwT: gwT.data)
            ConvKernels.unflipWeightGrad(gwT.data, s, dw)
            return
        }
        // Each share accumulates its own transposed weight gradient; they are summed after.
        let n = shares(s.n), wCount = s.o * s.kg
        let partials: [Tensor] = dw == nil ? [] : (0..<n).map { _ in Tensor(shape: [wCount], repeating: 0) }
        runShares(s.n, n) { t, images in
            backwardImages(x: x, dy: dy, w: w, s, dx: dx, dwT: dw == nil ? nil : partials[t].data, images)
        }
        if let dw {
            for t in partials.dropFirst() { Kernels.addInPlace(partials[0].data, t.data, wCount) }
            ConvKernels.untransposeWeight(partials[0].data, s, dw)
        }
    }

    /// Backward over one share of images; dW accumulates transposed into dwT [groups, kg, og].
    private static func backwardImages(x: UnsafePointer<Float>?, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                       _ s: ConvShape, dx: UnsafeMutablePointer<Float>?,
                                       dwT: UnsafeMutablePointer<Float>?, _ images: Range<Int>) {
        guard !images.isEmpty else { return }
        let (p, og, kg) = (s.p, s.og, s.kg)
        let pointwise = s.isPointwise, direct = perImage(s)
        let nb = pointwise ? images.count : imagesPerChunk(s, images.count)
        let col: Tensor? = pointwise ? nil : Tensor(uninitializedShape: [s.k * nb * p])
        let dybuf: Tensor? = direct ? nil : Tensor(uninitializedShape: [s.o * nb * p])
        for n0 in stride(from: images.lowerBound, to: images.upperBound, by: nb) {
            let b = min(nb, images.upperBound - n0)
            // Where image i, group g of dY lives ([og, P] with row stride dyLd).
            let dyLd = direct ? p : b * p
            func dyBlock(_ i: Int, _ g: Int) -> UnsafePointer<Float> {
                if let dybuf { return UnsafePointer(dybuf.data) + g * og * dyLd + i * p }
                return dy + ((n0 + i) * s.o + g * og) * p
            }
            if let dybuf {
                ConvKernels.gatherRows(dy + n0 * s.o * p, rows: s.o, images: b, len: p, dybuf.data)
            }
            // The column matrix of this chunk: image i, group g at colBase + g·kg·colLd + i·colStep.
            let colLd = pointwise ? p : b * p, colStep = pointwise ? s.c * p : p
            if let dwT, let x {
                let colBase: UnsafePointer<Float>
                if let col {
                    ConvKernels.im2col(x + n0 * s.c * s.hw, images: b, s, col.data, ld: colLd)
                    colBase = UnsafePointer(col.data)
                } else {
                    colBase = x + n0 * s.c * s.hw
                }
                // dWᵀ_g[kg, og] += col_g · dY_gᵀ: OpenBLAS runs this orientation faster than
                // dY_g · col_gᵀ when og is small.
                for g in 0..<s.groups {
                    if direct {
                        for i in 0..<b {
                            BLAS.gemm(transA: false, transB: true, m: kg, n: og, k: p,
                                      a: colBase + g * kg * colLd + i * colStep, lda: colLd,
                                      b: dyBlock(i, g), ldb: dyLd, beta: 1, c: dwT + g * kg * og, ldc: og)
                        }
                    } else {
                        BLAS.gemm(transA: false, transB: true, m: kg, n: og, k: b * p,
                                  a: colBase + g * kg * colLd, lda: colLd,
                                  b: dyBlock(0, g), ldb: dyLd, beta: 1, c: dwT + g * kg * og, ldc: og)
                    }
                }
            }
            if let dx {
                // dcol = Wᵀ · dY, straight into dx when the convolution is pointwise.
                let dcol = col?.data ?? (dx + n0 * s.c * s.hw)
                for g in 0..<s.groups {
                    if direct {
                        for i in 0..<b {
                            BLAS.gemm(transA: true, transB: false, m: kg, n: p, k: og,
                                      a: w + g * og * kg, lda: kg, b: dyBlock(i, g), ldb: dyLd,
                                      c: dcol + g * kg * colLd + i * colStep, ldc: colLd)
                        }
                    } else {
                        BLAS.gemm(transA: true, transB: false, m: kg, n: b * p, k: og,
                                  a: w + g * og * kg, lda: kg, b: dyBlock(0, g), ldb: dyLd,
                                  c: dcol + g * kg * colLd, ldc: colLd)
                    }
                }
                if col != nil {
                    ConvKernels.col2im(dcol, ld: colLd, images: b, s, dx + n0 * s.c * s.hw)
                }
            }
        }
    }
}

/// 2-D cross-correlation over NCHW input, as `torch.nn.functional.conv2d`.
///
/// x: [N, C, H, W]; weight: [O, C/groups, kh, kw]; bias: [O].
/// Output [N, O, Ho, Wo] with Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1 (likewise Wo).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 4, "conv2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(weight.rank == 4, "conv2d: weight must be [O, C/groups, kh, kw], got \(weight.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
    precondition(groups >= 1 && c % groups == 0 && o % groups == 0,
                 "conv2d: groups \(groups) must divide input channels \(c) and output channels \(o)")
    precondition(weight.shape[1] * groups == c,
                 "conv2d: weight \(weight.shape) with groups \(groups) expects \(weight.shape[1] * groups) input channels, input \(x.shape) has \(c)")
    precondition(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                 "conv2d: stride \(stride) and dilation \(dilation) must be positive")
    precondition(padding.0 >= 0 && padding.1 >= 0, "conv2d: padding \(padding) must be non-negative")
    if let bias { precondition(bias.shape == [o], "conv2d: bias must be [\(o)], got \(bias.shape)") }
    let spanH = h + 2 * padding.0 - dilation.0 * (kh - 1) - 1
    let spanW = w + 2 * padding.1 - dilation.1 * (kw - 1) - 1
    precondition(spanH >= 0 && spanW >= 0,
                 "conv2d: kernel \(kh)x\(kw) with dilation \(dilation) is larger than the padded input \(h + 2 * padding.0)x\(w + 2 * padding.1)")
    let s = ConvShape(n: n, c: c, h: h, w: w, o: o, kh: kh, kw: kw,
                      sh: stride.0, sw: stride.1, ph: padding.0, pw: padding.1,
                      dh: dilation.0, dw: dilation.1, groups: groups,
                      ho: spanH / stride.0 + 1, wo: spanW / stride.1 + 1)
    let out = Tensor(uninitializedShape: [n, o, s.ho, s.wo])
    ConvEngine.forward(x.data, weight.data, bias: bias.map { UnsafePointer($0.data) }, s, out.data)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return out.recordingGrad(inputs: inputs) { g in
        let gx = x.tracksGrad ? Tensor(uninitializedShape: x.shape) : nil
        let gw = weight.tracksGrad ? Tensor(uninitializedShape: weight.shape) : nil
        ConvEngine.backward(x: x.data, dy: g.data, w: weight.data, s, dx: gx?.data, dw: gw?.data)
        if let gx { x.accumulateGrad(gx) }
        if let gw { weight.accumulateGrad(gw) }
        if let bias, bias.tracksGrad {
            let gb = Tensor(uninitializedShape: [o])
            ConvKernels.channelSums(g.data, images: n, channels: o, len: s.p, gb.data)
            bias.accumulateGrad(gb)
        }
    }
}
