import Engine
import WAL

/// Every setting of `libra serve`. Each has a flag and an environment variable (docs/operations.md).
public struct ServerConfiguration: Sendable {
    /// How the log writes and syncs (`--io`).
    public typealias IOChoice = FileSystemStorage.Choice

    public var dataDirectory = "./data"
    public var host = "127.0.0.1"
    /// The binary/JSON protocol port; 0 picks a free one (printed at start).
    public var port = 7654
    /// The HTTP API port; 0 picks a free one.
    public var httpPort = 8080
    public var fsync: FsyncMode = .always
    public var io: IOChoice = .posix
    public var shards = EngineConfiguration.processorCount
    /// Threads that read, decode, answer and write protocol connections. Half the cores by
    /// default: the other half run the engine (coordinator and shards) and the log writer, and
    /// more threads than cores only add wake-ups (docs/benchmarks.md: one loop instead of two
    /// served 13 % more 1-in-flight cycles on 2 cores, and the same batched load).
    public var eventLoops = ServerConfiguration.eventLoopsDefault
    public static var eventLoopsDefault: Int { max(1, EngineConfiguration.processorCount / 2) }
    public var snapshotIntervalSeconds: Double? = 300
    public var snapshotLogBytes: UInt64? = 256 << 20
    public var segmentBytes: UInt64 = 64 << 20
    public var connectionsMax = 1024
    public var idleTimeoutSeconds = 300
    /// Event-stream subscriptions open at once (protocol and Server-Sent Events together).
    public var subscriptionsMax = EventSubscriptions.maximumDefault
    /// Commands per second per token unless the token says otherwise; 0: unlimited.
    public var rateLimitDefault = 0
    public var loginLockSeconds: Double = 900
    /// Registered as an admin token at start (env LIBRA_ADMIN_TOKEN).
    public var adminToken: String?
    public var truncateCorruptLog = false

    public init() {}
}
