
/// Matrix products through OpenBLAS's `cblas_sgemm` (and `cblas_dgemm` for statistics in Double).
/// OpenBLAS runs single-threaded; a large float product is cut into blocks of C that our
/// pool's threads take (`Threads.set`).
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ.
    @inline(never)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).initialize(repeating: 0, count: n) } }
            return
        }
        let pool = Threads.pool
        // Row (or column) blocks of C on our pool, each a single-threaded sgemm: OpenBLAS's
        // own threads spin for a while after each call and took a core from our pool's.
        let split = pool.threads > 1 && !Threads.inParallelRegion && m * n * k >= parallelMultiplies
        let byRows = m >= n, along = byRows ? m : n
        let blocks = split ? min(pool.threads * 2, along / 32) : 1
        if blocks < 2 { return sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
        pool.dynamicFor(blocks) { _, block in
            // Boundaries on multiples of 16: whole micro-tiles for the kernels.
            let lo = (block * along / blocks) & ~15, hi = block == blocks - 1 ? along : ((block + 1) * along / blocks) & ~15
            guard hi > lo else { return }
            if byRows {
                sgemm(transA, transB, hi - lo, n, k, alpha, transA ? a + lo : a + lo * lda, lda, b, ldb,
                      beta, c + lo * ldc, ldc)
            } else {
                sgemm(transA, transB, m, hi - lo, k, alpha, a, lda, transB ? b + lo * ldb : b + lo, ldb,
                      beta, c + lo, ldc)
            }
        }
    }

    /// From this many multiply-adds (about 20 µs of one core) a product is split across the pool.
    static let parallelMultiplies = 1 << 20

    private static func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                              _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                              _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        OpenBLAS.sgemm(OpenBLAS.rowMajor, transA ? OpenBLAS.trans : OpenBLAS.noTrans,
                       transB ? OpenBLAS.trans : OpenBLAS.noTrans,
                       Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The same in Double, for statistics where Float's 7 digits are not enough (covariances
    /// of many samples, the Fréchet distance). m, n, k ≥ 1.
    @inline(never)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int) {
        precondition(m > 0 && n > 0 && k > 0, "BLAS.gemm (Double): empty \(m)×\(k)·\(k)×\(n) product")
        OpenBLAS.dgemm(OpenBLAS.rowMajor, transA ? OpenBLAS.trans : OpenBLAS.noTrans,
                       transB ? OpenBLAS.trans : OpenBLAS.noTrans,
                       Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product over the last two axes: [..., m, k] · [..., k, n] → [..., m, n].
    /// `transposeA`/`transposeB` read an operand's last two axes swapped, without a copy.
    /// Batch axes must match, or one side has none (it is then shared by every batch).
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self, b = other
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2, got \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == k2, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        precondition(batchA == batchB || batchA.isEmpty || batchB.isEmpty,
                     "matmul: batch axes \(batchA) and \(batchB) differ")
        let batchShape = batchA.isEmpty ? batchB : batchA
        let batch = batchShape.reduce(1, *)
        let out = Tensor(uninitializedShape: batchShape + [m, n])
        let strideA = batchA.isEmpty ? 0 : ar * ac, strideB = batchB.isEmpty ? 0 : br * bc
        if batchB.isEmpty && !transposeA {
            // Shared right operand: fold the batch into the rows, one GEMM.
            BLAS.gemm(transA: false, transB: transposeB, m: batch * m, n: n, k: k,
                      a: a.data, lda: ac, b: b.data, ldb: bc, c: out.data, ldc: n)
        } else {
            for i in 0..<batch {
                BLAS.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                          a: a.data + i * strideA, lda: ac, b: b.data + i * strideB, ldb: bc,
                          c: out.data + i * m * n, ldc: n)
            }
        }
        return out.recordingGrad(inputs: [a, b]) { g in
            if a.tracksGrad {
                let ga = Tensor(shape: a.shape, repeating: 0)
                for i in 0..<batch {
                    let gi = g.data + i * m * n, bi = b.data + i * strideB, dst = ga.data + i * strideA
                    if !transposeA {   // dA = dC · op(B)ᵀ : [m, k]
                        BLAS.gemm(transA: false, transB: !transposeB, m: m, n: k, k: n,
                                  a: gi, lda: n, b: bi, ldb: bc, beta: 1, c: dst, ldc: ac)
                    } else {           // dA = op(B) · dCᵀ : [k, m]
                        BLAS.gemm(transA: transposeB, transB: true, m: k, n: m, k: n,
                                  a: bi, lda: bc, b: gi, ldb: n, beta: 1, c: dst, ldc: ac)
                    }
                }
                a.accumulateGrad(ga)
            }
            if b.tracksGrad {
                let gb = Tensor(shape: b.shape, repeating: 0)
                if batchB.isEmpty && !transposeA {
                    // Rows were folded: one GEMM sums every batch's contribution.
                    if !transposeB {
                        BLAS.gemm(transA: true, transB: false, m: k, n: n, k: batch * m,
                                  a: a.data, lda: ac, b: g.data, ldb: n, c: gb.data, ldc: bc)
                    } else {
                        BLAS.gemm(transA: true, transB: false, m: n, n: k, k: batch * m,
                                  a: g.data, lda: n, b: a.data, ldb: ac, c: gb.data, ldc: bc)
                    }
                } else {
                    for i in 0..<batch {
                        let gi = g.data + i * m * n, ai = a.data + i * strideA, dst = gb.data + i * strideB
                        if !transposeB {   // dB = op(A)ᵀ · dC : [k, n]
                            BLAS.gemm(transA: !transposeA, transB: false, m: k, n: n, k: m,
                                      a: ai, lda: ac, b: gi, ldb: n, beta: 1, c: dst, ldc: bc)
                        } else {           // dB = dCᵀ · op(A) : [n, k]
                            BLAS.gemm(transA: true, transB: transposeA, m: n, n: k, k: m,
                                      a: gi, lda: n, b: ai, ldb: ac, beta: 1, c: dst, ldc: bc)
                        }
                    }
                }
                b.accumulateGrad(gb)
            }
        }
    }
}
