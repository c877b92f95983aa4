// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Libra",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "LibraClient", targets: ["LibraClient"]),
        .executable(name: "libra", targets: ["LibraCLI"]),
        .executable(name: "libra-bench", targets: ["LibraBench"]),
        .executable(name: "libra-desk-example", targets: ["DeskExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Domain model, rules, shard actors and the saga coordinator. No I/O.
        .target(name: "Engine", dependencies: ["CPrefetch"]),
        // Cache-line prefetch for the engine's cache warming (Swift has none of its own).
        .target(name: "CPrefetch"),
        // A C shim over liburing (see docs/log-format.md for why liburing.h stays in C).
        .target(name: "CURing", linkerSettings: [.linkedLibrary("uring")]),
        // sys/epoll.h, which Glibc's Swift module leaves out (`libra-bench load`'s socket loop).
        .target(name: "CEpoll"),
        // libsodium (Argon2id password hashes, keyed hashes, random bytes).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // Write-ahead log, snapshots and recovery.
        .target(name: "WAL", dependencies: ["Engine", "CURing"]),
        // The wire protocol shared by the server and the SDK: frames, opcodes, the binary and
        // JSON payloads, and the error table.
        .target(
            name: "LibraProtocol",
            dependencies: ["Engine", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Network front ends (binary/JSON frames, HTTP), auth and metrics over the engine and the log.
        .target(
            name: "Server",
            dependencies: [
                "Engine", "WAL", "LibraProtocol", "CSodium",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The client SDK: connection pool, automatic batching, typed errors, retries.
        .target(
            name: "LibraClient",
            dependencies: [
                "Engine", "LibraProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The `libra` executable.
        .executableTarget(
            name: "LibraCLI",
            dependencies: [
                "Server", "WAL", "Engine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `libra-bench` executable.
        .executableTarget(
            name: "LibraBench",
            dependencies: [
                "Engine", "WAL", "LibraClient", "LibraProtocol", "CEpoll", "CURing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "bench/LibraBench"
        ),
        // A short program that uses the SDK (docs/sdk.md walks through it).
        .executableTarget(name: "DeskExample", dependencies: ["LibraClient", "Engine"], path: "Examples/DeskExample"),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "WALTests", dependencies: ["WAL", "Engine"]),
        .testTarget(
            name: "ProtocolTests",
            dependencies: ["LibraProtocol", "Engine", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        // End-to-end tests: they start the real `libra` process and drive it through the SDK,
        // raw JSON frames and HTTP.
        .testTarget(name: "ServerTests", dependencies: ["Server", "LibraClient", "LibraProtocol", "Engine", "WAL"]),
    ],
    swiftLanguageModes: [.v6]
)
