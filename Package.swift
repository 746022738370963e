// swift-tools-version:6.0
// The root package: the host `repro`, one dynamic library per paper plugin, and the tests.
// Every folder under Plugins/ becomes a plugin product on its own: adding a paper never
// means editing this file.
import PackageDescription
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let pluginNames: [String] = {
    let dir = root.appendingPathComponent("Plugins").path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    // A plugin is a folder with Swift sources (git leaves an emptied folder behind).
    return names.filter { name in
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + name)) ?? []
        return !name.hasPrefix(".") && files.contains { $0.hasSuffix(".swift") }
    }.sorted()
}()

let reproKit = Target.Dependency.product(name: "ReproKit", package: "ReproKit")

let package = Package(
    name: "repro",
    products: [.executable(name: "repro", targets: ["repro"])]
        + pluginNames.map { .library(name: $0, type: .dynamic, targets: [$0]) },
    dependencies: [
        .package(path: "Sources/ReproKit"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "repro",
            dependencies: [reproKit, .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/repro"),
        .testTarget(name: "ReproKitTests", dependencies: [reproKit], path: "Tests/ReproKitTests"),
    ] + pluginNames.map {
        .target(name: $0, dependencies: [reproKit], path: "Plugins/\($0)")
    },
    swiftLanguageModes: [.v5]
)
