import ArgumentParser
import Engine
import Logging
import Server
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `libra serve`: the server, with embedded defaults (data in ./data, protocol on 7654, HTTP on 8080).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: binary/JSON protocol, HTTP API, write-ahead log.",
        discussion: """
            Every option also reads an environment variable (named in its help). At the first start in an \
            empty data directory an admin token is created and printed once, unless LIBRA_ADMIN_TOKEN gives one. \
            When both ports are bound a line starting with 'ready:' goes to stdout. SIGINT or SIGTERM stops the \
            server gracefully: it stops accepting, answers what is in flight, makes the log durable and exits 0. \
            A log write failure is fatal: the server exits with status 70 without acknowledging anything more.
            """
    )

    @Option(name: .customLong("data-dir"), help: "Data directory: log segments, snapshots, access.json (env LIBRA_DATA_DIR).")
    var dataDirectory: String = environment("LIBRA_DATA_DIR") ?? "./data"

    @Option(help: "Address to listen on; 0.0.0.0 for every interface (env LIBRA_HOST).")
    var host: String = environment("LIBRA_HOST") ?? "127.0.0.1"

    @Option(help: "Binary/JSON protocol port; 0 picks a free one (env LIBRA_PORT).")
    var port: Int = environment("LIBRA_PORT").flatMap(Int.init) ?? 7654

    @Option(name: .customLong("http-port"), help: "HTTP API port; 0 picks a free one (env LIBRA_HTTP_PORT).")
    var httpPort: Int = environment("LIBRA_HTTP_PORT").flatMap(Int.init) ?? 8080

    @Option(help: "always: acknowledge after fdatasync; never: after write (UNSAFE, for experiments) (env LIBRA_FSYNC).")
    var fsync: String = environment("LIBRA_FSYNC") ?? "always"

    @Option(help: "Log I/O path: posix (pwrite + fdatasync), uring (io_uring), auto (io_uring, else POSIX with a warning) (env LIBRA_IO).")
    var io: String = environment("LIBRA_IO") ?? ServerConfiguration.IOChoice.posix.rawValue

    @Option(help: "Engine shards (env LIBRA_SHARDS; default: cores).")
    var shards: Int = environment("LIBRA_SHARDS").flatMap(Int.init) ?? EngineConfiguration.processorCount

    @Option(name: .customLong("event-loops"), help: "Threads serving protocol connections (env LIBRA_EVENT_LOOPS; default: half the cores, at least 1).")
    var eventLoops: Int = environment("LIBRA_EVENT_LOOPS").flatMap(Int.init) ?? ServerConfiguration.eventLoopsDefault

    @Option(name: .customLong("snapshot-seconds"), help: "Snapshot after this many seconds; 0: never by time (env LIBRA_SNAPSHOT_SECONDS).")
    var snapshotSeconds: Double = environment("LIBRA_SNAPSHOT_SECONDS").flatMap(Double.init) ?? 300

    @Option(name: .customLong("snapshot-log-mib"), help: "Snapshot after this many MiB of log; 0: never by size (env LIBRA_SNAPSHOT_LOG_MIB).")
    var snapshotLogMiB: Int = environment("LIBRA_SNAPSHOT_LOG_MIB").flatMap(Int.init) ?? 256

    @Option(name: .customLong("segment-mib"), help: "Log segment size in MiB, preallocated (env LIBRA_SEGMENT_MIB).")
    var segmentMiB: Int = environment("LIBRA_SEGMENT_MIB").flatMap(Int.init) ?? 64

    @Option(name: .customLong("connections-max"), help: "Protocol connections open at once (env LIBRA_CONNECTIONS_MAX).")
    var connectionsMax: Int = environment("LIBRA_CONNECTIONS_MAX").flatMap(Int.init) ?? 1024

    @Option(name: .customLong("idle-timeout"), help: "Seconds a silent protocol connection stays open (env LIBRA_IDLE_TIMEOUT).")
    var idleTimeout: Int = environment("LIBRA_IDLE_TIMEOUT").flatMap(Int.init) ?? 300

    @Option(name: .customLong("subscriptions-max"), help: "Event-stream subscriptions open at once, protocol and SSE together (env LIBRA_SUBSCRIPTIONS_MAX).")
    var subscriptionsMax: Int = environment("LIBRA_SUBSCRIPTIONS_MAX").flatMap(Int.init) ?? 64

    @Option(name: .customLong("rate-limit"), help: "Commands per second per token unless the token sets its own; 0: unlimited (env LIBRA_RATE_LIMIT).")
    var rateLimit: Int = environment("LIBRA_RATE_LIMIT").flatMap(Int.init) ?? 0

    @Option(name: .customLong("login-lock-seconds"), help: "How long 5 failed logins lock a member account (env LIBRA_LOGIN_LOCK_SECONDS).")
    var loginLockSeconds: Double = environment("LIBRA_LOGIN_LOCK_SECONDS").flatMap(Double.init) ?? 900

    @Flag(name: .customLong("truncate-corrupt-log"), help: "Start even though the log is corrupt, discarding the corrupt record and all after it (logged).")
    var truncateCorruptLog = false

    func validate() throws {
        guard FsyncMode(rawValue: fsync) != nil else { throw ValidationError("--fsync must be always or never") }
        guard ServerConfiguration.IOChoice(rawValue: io) != nil else { throw ValidationError("--io must be \(ServerConfiguration.IOChoice.names)") }
        guard (0...65535).contains(port), (0...65535).contains(httpPort) else { throw ValidationError("ports are 0...65535") }
        guard (1...Limits.shardCountMax).contains(shards) else { throw ValidationError("--shards must be 1...\(Limits.shardCountMax)") }
        guard (1...256).contains(eventLoops) else { throw ValidationError("--event-loops must be 1...256") }
        guard (1...65536).contains(connectionsMax) else { throw ValidationError("--connections-max must be 1...65536") }
        guard (1...86400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1...86400 seconds") }
        guard (0...4096).contains(subscriptionsMax) else { throw ValidationError("--subscriptions-max must be 0...4096") }
        guard (1...4096).contains(segmentMiB) else { throw ValidationError("--segment-mib must be 1...4096") }
        guard rateLimit >= 0, snapshotSeconds >= 0, snapshotLogMiB >= 0, loginLockSeconds >= 0 else { throw ValidationError("limits and intervals cannot be negative") }
    }

    func run() async throws {
        Allocator.keepFreedMemory()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = environment("LIBRA_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let logger = Logger(label: "libra")
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.host = host
        configuration.port = port
        configuration.httpPort = httpPort
        configuration.fsync = FsyncMode(rawValue: fsync)!
        configuration.io = ServerConfiguration.IOChoice(rawValue: io)!
        configuration.shards = shards
        configuration.eventLoops = eventLoops
        configuration.snapshotIntervalSeconds = snapshotSeconds > 0 ? snapshotSeconds : nil
        configuration.snapshotLogBytes = snapshotLogMiB > 0 ? UInt64(snapshotLogMiB) << 20 : nil
        configuration.segmentBytes = UInt64(segmentMiB) << 20
        configuration.connectionsMax = connectionsMax
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.subscriptionsMax = subscriptionsMax
        configuration.rateLimitDefault = rateLimit
        configuration.loginLockSeconds = loginLockSeconds
        configuration.adminToken = environment("LIBRA_ADMIN_TOKEN")
        configuration.truncateCorruptLog = truncateCorruptLog
        do {
            try await LibraServer.run(configuration, logger: logger) { line in
                // Straight to file descriptor 1, unbuffered: tests and scripts wait for these lines.
                var text = line + "\n"
                text.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
            }
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
    }
}
