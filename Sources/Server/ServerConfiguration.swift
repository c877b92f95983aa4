import Engine
import WAL

/// Every setting of `libra serve`. Each has a flag and an environment variable (docs/operations.md).
public struct ServerConfiguration: Sendable {
    /// How the log writes and syncs. POSIX is the default: the log's files are buffered, and
    /// io_uring runs a buffered file's fdatasync on a kernel worker thread, one more thread hop
    /// per group commit than the writer thread calling fdatasync itself (docs/benchmarks.md,
    /// *The log's sync path*).
    public enum IOChoice: String, Sendable, CaseIterable {
        /// io_uring when the kernel allows it, else pwrite + fdatasync with one warning.
        case automatic = "auto"
        /// write linked to fdatasync through io_uring; refused where io_uring cannot be set up.
        case uring
        /// pwrite + fdatasync on the log's writer thread.
        case posix
    }

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
