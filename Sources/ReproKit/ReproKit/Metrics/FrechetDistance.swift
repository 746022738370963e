import Foundation

/// The Gaussian a feature set is summarised by for the Fréchet distance: its mean and its
/// covariance (unbiased, divided by N − 1, as `numpy.cov`), in Double.
///
/// Why Double: a covariance of thousands of features sums many products whose mean part
/// cancels, and FID then subtracts traces of similar size; Float would leave only a few digits.
/// A task computes the statistics of its reference set once and keeps them.
public struct FeatureStatistics {
    /// Features per example, D.
    public let dimension: Int
    /// Examples summarised, N.
    public let count: Int
    /// The mean feature, D values.
    public let mean: [Double]
    /// The D×D covariance, row-major.
    public let covariance: [Double]

    /// The statistics of `features` [N, D], N ≥ 2.
    public init(features: Tensor) {
        precondition(features.rank == 2, "FeatureStatistics: features must be [N, D], got \(features.shape)")
        let (n, d) = (features.shape[0], features.shape[1])
        precondition(n >= 2 && d >= 1, "FeatureStatistics: needs at least 2 examples of 1 feature, got \(features.shape)")
        let values = features.scalars
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(values[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        // Centre first, then XᵀX / (N − 1): the one-pass Σxxᵀ − Nμμᵀ cancels catastrophically.
        var centred = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { centred[i * d + j] = Double(values[i * d + j]) - mean[j] } }
        var covariance = [Double](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in
            covariance.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(transA: true, transB: false, m: d, n: d, k: n, alpha: 1 / Double(n - 1),
                          a: x.baseAddress!, lda: d, b: x.baseAddress!, ldb: d, c: c.baseAddress!, ldc: d)
            }
        }
        self.init(mean: mean, covariance: covariance, count: n)
    }

    /// Statistics computed elsewhere (a saved reference set).
    public init(mean: [Double], covariance: [Double], count: Int) {
        precondition(covariance.count == mean.count * mean.count,
                     "FeatureStatistics: a \(mean.count)-feature mean needs \(mean.count * mean.count) covariance values")
        self.dimension = mean.count
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }
}

/// The Fréchet distance between the Gaussians of two feature sets, the formula of FID
/// (Heusel et al. 2017): ‖μ₁ − μ₂‖² + Tr(S₁ + S₂ − 2(S₁S₂)^½).
///
/// Tr (S₁S₂)^½ is computed as Σᵢ √λᵢ over the eigenvalues λᵢ of S₁^½ S₂ S₁^½, which is
/// symmetric and similar to S₁S₂, so two symmetric eigendecompositions (LAPACK's `dsyevd`)
/// replace a general matrix square root. Eigenvalues that rounding makes slightly negative (a
/// covariance of fewer examples than features is singular) count as 0. FID is this distance
/// between the features of real and generated images; which network gives the features is the
/// caller's choice, and it decides what the number can be compared with.
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Double {
    precondition(a.dimension == b.dimension, "frechetDistance: \(a.dimension) vs \(b.dimension) features")
    let d = a.dimension
    var meanTerm = 0.0, traces = 0.0
    for j in 0..<d {
        meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j])
        traces += a.covariance[j * d + j] + b.covariance[j * d + j]
    }
    let root = FrechetMath.symmetricSquareRoot(a.covariance, d)
    let m = FrechetMath.product(FrechetMath.product(root, b.covariance, d), root, d)
    let traceOfRoot = FrechetMath.eigen(m, d).values.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
    return meanTerm + traces - 2 * traceOfRoot
}

/// The dense Double algebra behind `frechetDistance`.
enum FrechetMath {
    static func eigen(_ m: [Double], _ d: Int) -> (values: [Double], vectors: [Double]) {
        guard let e = LAPACK.symmetricEigen(m, n: d) else {
            fatalError("frechetDistance: LAPACK's dsyevd did not converge on a \(d)×\(d) covariance (NaN features?)")
        }
        return e
    }

    /// S^½ = V diag(√max(λ, 0)) Vᵀ of a symmetric positive semi-definite S.
    static func symmetricSquareRoot(_ s: [Double], _ d: Int) -> [Double] {
        let (values, vectors) = eigen(s, d)   // row i of `vectors` is the eigenvector of values[i]
        var scaled = vectors
        for i in 0..<d {
            let r = Swift.max(values[i], 0).squareRoot()
            for j in 0..<d { scaled[i * d + j] *= r }
        }
        // Σᵢ √λᵢ vᵢvᵢᵀ = Vᵀ·(diag(√λ)·V) with the eigenvectors as rows of V.
        return product(vectors, scaled, d, transposeX: true)
    }

    /// The d×d product x·y (xᵀ·y with `transposeX`), row-major.
    static func product(_ x: [Double], _ y: [Double], _ d: Int, transposeX: Bool = false) -> [Double] {
        var out = [Double](repeating: 0, count: d * d)
        x.withUnsafeBufferPointer { a in
            y.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(transA: transposeX, transB: false, m: d, n: d, k: d, a: a.baseAddress!, lda: d,
                              b: b.baseAddress!, ldb: d, c: o.baseAddress!, ldc: d)
                }
            }
        }
        return out
    }
}
