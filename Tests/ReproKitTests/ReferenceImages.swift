import XCTest
import Foundation
import ReproKit

/// Image comparison in the style of matplotlib's `image_comparison`: a drawing of fixed data
/// is compared pixel by pixel with a committed reference PNG in `Tests/Fixtures/Images`.
///
/// A pixel differs when one of its channels is more than `tolerance` (of 255) away from the
/// reference's. On a failure the actual image, the expected one and a difference image (the
/// reference faded to light gray, differing pixels in red, darker for larger differences)
/// are written to `.build/image-comparison/` and the message names their paths.
///
/// Regenerate the references after an intended change of a drawing, then look at them:
///
///     REPRO_UPDATE_REFERENCE_IMAGES=1 swift test -c release --manifest-cache none \
///         --disable-build-manifest-caching --disable-testable-imports --disable-swift-testing \
///         --filter ReferenceImageTests
enum ReferenceImages {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let folder = root.appendingPathComponent("Tests/Fixtures/Images")
    static let failures = root.appendingPathComponent(".build/image-comparison")
    static var updating: Bool { ProcessInfo.processInfo.environment["REPRO_UPDATE_REFERENCE_IMAGES"] == "1" }

    /// The outcome of comparing two images of the same size.
    struct Difference {
        var differing = 0, largest = 0
        /// Red where they differ, on the reference faded to light gray.
        var picture: Canvas
    }

    /// Compares `actual` with the reference `name`.png (or writes it, when updating).
    static func check(_ actual: Canvas, _ name: String, tolerance: Int = 8, allowedPixels: Int = 0,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = folder.appendingPathComponent(name + ".png")
        if updating {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try actual.write(to: reference.path)
            print("wrote reference image \(reference.path)")
            return
        }
        guard FileManager.default.fileExists(atPath: reference.path) else {
            return XCTFail("no reference image \(reference.path); make it with REPRO_UPDATE_REFERENCE_IMAGES=1 "
                           + "(CONTRIBUTING.md, \"Testing a drawing\") and look at it", file: file, line: line)
        }
        let expected = Canvas(try PNGImage(contentsOfFile: reference.path))
        var problem: String?
        if expected.width != actual.width || expected.height != actual.height {
            problem = "size \(actual.width)×\(actual.height), the reference is \(expected.width)×\(expected.height)"
        } else {
            let d = compare(actual, expected, tolerance: tolerance)
            if d.differing > allowedPixels {
                problem = "\(d.differing) pixels differ by more than \(tolerance) (largest difference \(d.largest))"
                try FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
                try d.picture.write(to: failures.appendingPathComponent(name + "-diff.png").path)
            }
        }
        guard let problem else { return }
        try FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
        let actualPath = failures.appendingPathComponent(name + "-actual.png").path
        try actual.write(to: actualPath)
        try expected.write(to: failures.appendingPathComponent(name + "-expected.png").path)
        let diff = failures.appendingPathComponent(name + "-diff.png").path
        XCTFail("\(name): \(problem) from \(reference.path); actual: \(actualPath)"
                + (FileManager.default.fileExists(atPath: diff) ? ", difference: \(diff)" : ""), file: file, line: line)
    }

    /// Compares a PNG file a drawing wrote, read back with libpng.
    static func check(file path: URL, _ name: String, tolerance: Int = 8, allowedPixels: Int = 0,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        try check(Canvas(try PNGImage(contentsOfFile: path.path)), name, tolerance: tolerance,
                  allowedPixels: allowedPixels, file: file, line: line)
    }

    /// Per-pixel comparison of two canvases of the same size.
    static func compare(_ a: Canvas, _ b: Canvas, tolerance: Int) -> Difference {
        precondition(a.width == b.width && a.height == b.height)
        var d = Difference(picture: Canvas(width: a.width, height: a.height))
        for y in 0..<a.height {
            for x in 0..<a.width {
                let p = a[x, y], q = b[x, y]
                let delta = max(abs(Int(p.r) - Int(q.r)), abs(Int(p.g) - Int(q.g)), abs(Int(p.b) - Int(q.b)))
                d.largest = max(d.largest, delta)
                if delta > tolerance {
                    d.differing += 1
                    let strength = UInt8(max(0, 200 - delta))
                    d.picture[x, y] = RGB(255, strength / 2, strength / 2)
                } else {
                    let gray = UInt8(215 + Int(q.luminance * 40))
                    d.picture[x, y] = RGB(gray, gray, gray)
                }
            }
        }
        return d
    }
}
