// swift-tools-version:6.0
import PackageDescription

// Plain -O keeps overflow and bounds checks: zoo parses files from elsewhere, where a wrong size must trap, not read wild memory.
let optimize: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]
// ZooCore's Swift kernels (max pooling) and ZooDistributed's (the sums of the split across cores) run several
// times slower unoptimised, and the tests train real epochs through them, so both are optimised in debug
// builds (and so in `swift test`) too.
let optimizeCore: [SwiftSetting] = optimize + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "zoo",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex guards the registries
    products: [
        .executable(name: "zoo", targets: ["zoo"]),
        .library(name: "ZooCore", targets: ["ZooCore"]),
        .library(name: "ZooData", targets: ["ZooData"]),
        .library(name: "ZooConfig", targets: ["ZooConfig"]),
        .library(name: "ZooTraining", targets: ["ZooTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // oneDNN 2.6 (Debian libdnnl-dev) and zlib (zlib1g-dev), as system libraries.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // PNG (libspng-dev) and JPEG (libturbojpeg0-dev) decoding for folders of images.
        .systemLibrary(name: "CSPNG", path: "Sources/CSPNG", providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        // Open MPI (libopenmpi-dev), for data-parallel training under mpirun or srun.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // Errors, settings values, formatting, atomic writes, the memory budget, protobuf and CRC: no C library.
        .target(name: "ZooFoundation", swiftSettings: optimize),
        .target(name: "ZooCore", dependencies: ["ZooFoundation", "CDNNL"], swiftSettings: optimizeCore),
        .target(name: "ZooData", dependencies: ["ZooFoundation", "CZlib", "CSPNG", "CTurboJPEG", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimize),
        .target(name: "ZooConfig", dependencies: ["ZooCore", "ZooData", .product(name: "Yams", package: "Yams")], swiftSettings: optimize),
        // TensorBoard event files and the report page of a run folder.
        .target(name: "ZooReport", dependencies: ["ZooFoundation", "ZooData", "CZlib"], swiftSettings: optimize),
        .target(name: "ZooDistributed", dependencies: ["ZooCore", "CDNNL", "CMPI"], swiftSettings: optimizeCore),
        // Training sessions, checkpoints' metadata, run folders: what `zoo train` does, for any Swift program.
        .target(name: "ZooTraining", dependencies: ["ZooCore", "ZooData", "ZooConfig", "ZooReport", "ZooDistributed"], swiftSettings: optimize),
        .target(name: "ZooCLI", dependencies: [
            "ZooCore", "ZooData", "ZooConfig", "ZooReport", "ZooDistributed", "ZooTraining",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimize),
        .executableTarget(name: "zoo", dependencies: ["ZooCLI"]),
        // How a test skips for a missing tool or dataset (and fails instead under CI=true).
        .target(name: "ZooTestSupport", dependencies: ["ZooFoundation"], path: "Tests/ZooTestSupport"),
        .testTarget(name: "ZooCoreTests", dependencies: ["ZooCore", "ZooConfig", "ZooTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ZooDataTests", dependencies: ["ZooData", "ZooFoundation", "CZlib", "CSPNG", "CTurboJPEG", "ZooTestSupport"]),
        .testTarget(name: "ZooConfigTests", dependencies: ["ZooConfig", "ZooCore", "ZooData"]),
        .testTarget(name: "ZooCLITests", dependencies: ["ZooCLI", "ZooTraining", "ZooConfig", "ZooCore", "ZooData", "ZooReport", "CZlib", "ZooTestSupport"]),
        .testTarget(name: "ZooReportTests", dependencies: ["ZooReport", "ZooFoundation", "ZooData"]),
        .testTarget(name: "ZooTrainingTests", dependencies: ["ZooTraining", "ZooCore", "ZooConfig", "ZooData", "ZooTestSupport"]),
        .testTarget(name: "ZooDistributedTests", dependencies: ["ZooDistributed", "ZooCore", "ZooTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, built only by scripts/fuzz.sh (ZOO_FUZZ=1, -sanitize=fuzzer,address, scratch path .build-fuzz).
if Context.environment["ZOO_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    let fuzzed: [(name: String, module: Target.Dependency)] = [
        ("Architecture", "ZooConfig"), ("TrainingConfig", "ZooConfig"), ("Safetensors", "ZooCore"),
        ("IDX", "ZooData"), ("CIFAR", "ZooData"), ("Gzip", "ZooData"), ("Tar", "ZooData"),
        ("PNG", "ZooData"), ("JPEG", "ZooData"),
    ]
    for target in fuzzed {
        package.targets.append(.executableTarget(name: "fuzz-\(target.name)", dependencies: [target.module, "ZooFoundation", "FuzzSupport"],
                                                 path: "Fuzz/\(target.name)", swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
