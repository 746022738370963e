import Foundation

/// OpenBLAS, loaded at first use rather than linked.
///
/// Why: OpenBLAS picks its kernels once, when it loads, from `OPENBLAS_CORETYPE` or its own
/// CPU detection — and Debian 12's 0.3.21 does not know CPUs newer than itself, falling back
/// to SSE3 ("Prescott") kernels at a quarter of the speed. Loading it ourselves lets us
/// choose first: a `OPENBLAS_CORETYPE` already in the environment is always respected; when
/// there is none, the best kernel family the CPU's flags support is chosen (AVX-512 →
/// SkylakeX, AVX2+FMA → Haswell), unless `REPRO_OPENBLAS_CORETYPE=auto` asks to leave the
/// choice to OpenBLAS (or names a core type to use).
public enum OpenBLAS {
    /// The core type repro set before loading, or nil when it left the choice alone.
    public private(set) nonisolated(unsafe) static var chosenCoreType: String?

    static let handle: UnsafeMutableRawPointer = {
        chosenCoreType = chooseCoreType()
        // One thread, from the start: BLAS.gemm splits large products over our pool, and an
        // idle OpenBLAS thread spins for a while after every call, taking a core from it.
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        for name in ["libopenblas.so.0", "libopenblas.so"] {
            if let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return h }
        }
        fatalError("repro: OpenBLAS (libopenblas.so.0) is not installed; run scripts/setup "
                   + "(apt-get install libopenblas-dev)")
    }()

    /// A function of the loaded library (BLAS, LAPACK), or a fatal error naming what to install.
    static func symbol<T>(_ name: String, as: T.Type) -> T {
        guard let s = dlsym(handle, name) else {
            fatalError("repro: the OpenBLAS found lacks \(name); install Debian's libopenblas-dev (scripts/setup)")
        }
        return unsafeBitCast(s, to: T.self)
    }

    typealias SgemmFunction = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
                                              UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
                                              Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    static let sgemm = symbol("cblas_sgemm", as: SgemmFunction.self)
    typealias DgemmFunction = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Double,
                                              UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32,
                                              Double, UnsafeMutablePointer<Double>?, Int32) -> Void
    static let dgemm = symbol("cblas_dgemm", as: DgemmFunction.self)
    private static let setThreads = symbol("openblas_set_num_threads", as: (@convention(c) (Int32) -> Void).self)
    private static let getThreads = symbol("openblas_get_num_threads", as: (@convention(c) () -> Int32).self)
    private static let corename = symbol("openblas_get_corename", as: (@convention(c) () -> UnsafePointer<CChar>?).self)
    private static let config = symbol("openblas_get_config", as: (@convention(c) () -> UnsafePointer<CChar>?).self)

    // CBLAS enum values (cblas.h).
    static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112

    /// OpenBLAS's own thread count.
    public static var threads: Int {
        get { Int(getThreads()) }
        set { setThreads(Int32(newValue)) }
    }

    /// The kernel family in use, e.g. "SkylakeX" or "Prescott".
    public static var coreName: String { corename().map { String(cString: $0) } ?? "unknown" }

    /// Build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY …".
    public static var buildConfig: String { config().map { String(cString: $0) } ?? "unknown" }

    static func chooseCoreType() -> String? {
        let env = ProcessInfo.processInfo.environment
        if env["OPENBLAS_CORETYPE"] != nil { return nil }
        if let wanted = env["REPRO_OPENBLAS_CORETYPE"] {
            if wanted == "auto" { return nil }
            setenv("OPENBLAS_CORETYPE", wanted, 1)
            return wanted
        }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        let choice: String?
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) {
            choice = "SkylakeX"
        } else if ["avx2", "fma"].allSatisfy(flags.contains) {
            choice = "Haswell"
        } else {
            choice = nil
        }
        if let choice { setenv("OPENBLAS_CORETYPE", choice, 1) }
        return choice
    }
}
