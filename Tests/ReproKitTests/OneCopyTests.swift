import XCTest
import Foundation
import ReproKit

/// Host, plugins and tests must share ONE libReproKit.so: otherwise a Tensor made in a
/// plugin is not a Tensor to the host and every global exists twice (ARCHITECTURE.md).
final class OneCopyTests: XCTestCase {
    /// The folder the build products are in (beside the test runner).
    static var buildDir: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The runner may sit inside a .xctest bundle folder.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("libReproKit.so").path) {
            dir.deleteLastPathComponent()
        }
        return dir.path
    }

    func testPluginMadeTensorIsHostTensorAndGlobalsAreShared() throws {
        let path = OneCopyTests.buildDir + "/libSelfTest.so"
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            XCTFail("dlopen \(path): \(String(cString: dlerror()))"); return
        }
        typealias Make = @convention(c) () -> UnsafeMutableRawPointer
        let make = unsafeBitCast(try XCTUnwrap(dlsym(handle, "repro_probe_make_tensor")), to: Make.self)
        let object = Unmanaged<AnyObject>.fromOpaque(make()).takeRetainedValue()
        let tensor = try XCTUnwrap(object as? Tensor, "a plugin's Tensor is not the host's Tensor type")
        XCTAssertEqual((tensor + Tensor([1, 1, 1])).scalars, [2, 3, 4])

        let poolOf = unsafeBitCast(try XCTUnwrap(dlsym(handle, "repro_probe_buffer_pool")), to: Make.self)
        let pluginPool = Unmanaged<BufferPool>.fromOpaque(poolOf()).takeUnretainedValue()
        XCTAssertTrue(pluginPool === BufferPool.shared, "the plugin has its own BufferPool global")
    }

    func testPluginHoldsNoCopyOfReproKit() throws {
        // The plugin library must import ReproKit's symbols, not define them.
        let path = OneCopyTests.buildDir + "/libSelfTest.so"
        let nm = Process()
        nm.executableURL = URL(fileURLWithPath: "/usr/bin/nm")
        nm.arguments = ["-D", "--defined-only", path]
        let pipe = Pipe()
        nm.standardOutput = pipe
        try nm.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        nm.waitUntilExit()
        XCTAssertTrue(out.contains("repro_probe_make_tensor"))
        // TensorCore's mangled module prefix: any defined symbol of it means a static copy.
        let copies = out.split(separator: "\n").filter { $0.contains("10TensorCore") }
        XCTAssertEqual(copies.count, 0, "libSelfTest.so defines TensorCore symbols: \(copies.prefix(3))")
    }
}
