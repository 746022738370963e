import Foundation

/// A new empty folder under the system's temporary directory, named `prefix`-UUID, for a test
/// that writes files; the test removes it in its tearDown.
func makeTemporaryFolder(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
