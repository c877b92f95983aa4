// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Libra",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Engine", targets: ["Engine"]),
        .executable(name: "libra", targets: ["LibraCLI"]),
        .executable(name: "libra-bench", targets: ["LibraBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Domain model, rules, shard actors and the saga coordinator. No I/O.
        .target(name: "Engine"),
        // A C shim over liburing (see docs/log-format.md for why liburing.h stays in C).
        .target(name: "CURing", linkerSettings: [.linkedLibrary("uring")]),
        // Write-ahead log, snapshots and recovery.
        .target(name: "WAL", dependencies: ["Engine", "CURing"]),
        // Network front ends (binary/JSON frames, HTTP) over the engine and the log.
        .target(name: "Server", dependencies: ["Engine", "WAL"]),
        // The `libra` executable.
        .executableTarget(
            name: "LibraCLI",
            dependencies: ["Server", "WAL", "Engine", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The `libra-bench` executable.
        .executableTarget(
            name: "LibraBench",
            dependencies: ["Engine", "WAL", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "bench/LibraBench"
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "WALTests", dependencies: ["WAL", "Engine"]),
        // ServerTests arrive with the server itself (binary/JSON protocol, HTTP API).
    ],
    swiftLanguageModes: [.v6]
)
