// A test fixture, not a paper: a plugin library that hands objects made on its side of the
// dlopen boundary to the tests, which check that host and plugin share one ReproKit
// (one `Tensor` type, one buffer pool, one thread pool).
import ReproKit

/// A retained Tensor made inside the plugin.
@_cdecl("repro_probe_make_tensor")
public func reproProbeMakeTensor() -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(Tensor([1, 2, 3]) as AnyObject).toOpaque()
}

/// The plugin's view of the process-wide buffer pool (unretained: it lives forever).
@_cdecl("repro_probe_buffer_pool")
public func reproProbeBufferPool() -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(BufferPool.shared).toOpaque()
}
