/// LAPACK routines from the OpenBLAS already loaded (`OpenBLAS`), in Double.
///
/// Why here and not a library of our own: Debian's libopenblas carries LAPACK's Fortran
/// symbols (`dsyevd_`, …), so one `dlsym` gives a tested eigensolver without a new
/// dependency. It has no LAPACKE (C) wrappers, so the calls use the Fortran convention: every
/// argument by pointer, 32-bit integers, column-major storage, and one hidden length per
/// character argument at the end (gfortran's).
public enum LAPACK {
    private typealias DsyevdFunction = @convention(c) (
        UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Double>,
        UnsafePointer<Int32>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafePointer<Int32>,
        UnsafeMutablePointer<Int32>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>, Int, Int) -> Void
    private static let dsyevd = OpenBLAS.symbol("dsyevd_", as: DsyevdFunction.self)

    /// The eigenvalues of a symmetric n×n matrix `a` (row-major) in ascending order, and its
    /// orthonormal eigenvectors: row i of `vectors` (n×n, row-major) belongs to `values[i]`.
    /// Only one triangle of `a` is read, so a matrix symmetric up to rounding is fine.
    /// LAPACK's `dsyevd` (divide and conquer); nil if it does not converge.
    public static func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        precondition(n >= 1 && a.count == n * n, "symmetricEigen: \(a.count) values for a \(n)×\(n) matrix")
        // A symmetric matrix reads the same row- or column-major; LAPACK leaves eigenvector i in
        // column i of its column-major output, which is row i when read row-major.
        var vectors = a, values = [Double](repeating: 0, count: n)
        var size = Int32(n), info: Int32 = 0
        var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
        // First call: the workspace sizes dsyevd wants ("V": vectors too, "U": upper triangle).
        dsyevd("V", "U", &size, &vectors, &size, &values, &workSize, &query, &iworkSize, &query, &info, 1, 1)
        guard info == 0 else { return nil }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd("V", "U", &size, &vectors, &size, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        return info == 0 ? (values, vectors) : nil
    }
}
