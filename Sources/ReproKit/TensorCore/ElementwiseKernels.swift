internal import CKernels

/// SiLU (forward and backward) and dropout's mask as C kernels built for AVX-512 and for
/// AVX2 + FMA (`CKernels/elementwise_kernels.h`): the library's baseline x86-64 Swift loops
/// run them 4 floats at a time, and the mask's 64-bit hash one element at a time.
///
/// They follow `Conv3x3Direct.path`: its instruction set, or the Swift loops on `.im2col` (and
/// on a CPU with AVX-512 but not AVX512DQ), so that setting that one path (or REPRO_CONV3X3)
/// runs all of a step's hand-written kernels on one instruction set, and tests check each.
enum ElementwiseKernels {
    private static let avx512 = repro_elementwise_kernels(Int32(REPRO_CONV3X3_AVX512))?.pointee
    private static let avx2 = repro_elementwise_kernels(Int32(REPRO_CONV3X3_AVX2))?.pointee

    /// The kernels of the current path, or nil for the Swift loops.
    static var current: repro_elementwise_kernels? {
        switch Conv3x3Direct.path {
        case .avx512: avx512
        case .avx2: avx2
        case .im2col: nil
        }
    }
}
