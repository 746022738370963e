// swift-tools-version:6.0
// ReproKit: everything generic that the host and every paper plugin share, built as ONE
// dynamic library (libReproKit.so). The host, the plugins and the tests depend on the
// `ReproKit` product, never on its targets, so exactly one copy of each type and global
// exists at run time (see ARCHITECTURE.md, "Why two packages").
import PackageDescription

let release: [SwiftSetting] = [
    // Kernels index through unsafe pointers; exclusivity checks cost ~10% in hot loops.
    .unsafeFlags(["-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "ReproKit",
    products: [
        .library(name: "ReproKit", type: .dynamic,
                 targets: ["TensorCore", "NN", "Data", "ReproKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", path: "CHDF5"),
        .systemLibrary(name: "CPNG", path: "CPNG"),
        .systemLibrary(name: "CZlib", path: "CZlib"),
        .systemLibrary(name: "CFreeType", path: "CFreeType", pkgConfig: "freetype2"),
        // AVX-512 and AVX2 convolution kernels in C: Swift cannot emit them for one function
        // while the rest of the library targets baseline x86-64; C's target attributes can.
        .target(name: "CKernels", path: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "TensorCore", dependencies: ["CKernels"], path: "TensorCore",
                swiftSettings: release),
        .target(name: "NN", dependencies: ["TensorCore"], path: "NN", swiftSettings: release),
        .target(name: "Data", dependencies: ["TensorCore", "CZlib"], path: "Data",
                swiftSettings: release),
        .target(name: "ReproKit",
                dependencies: ["TensorCore", "NN", "Data", "CHDF5", "CPNG", "CFreeType",
                               .product(name: "TOMLKit", package: "TOMLKit")],
                path: "ReproKit", swiftSettings: release),
    ],
    swiftLanguageModes: [.v5]
)
