import Engine
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// The assembled server: the durable engine, the sequencer, access control, the binary/JSON
/// protocol listener and the HTTP API, run as services with graceful shutdown on SIGINT/SIGTERM.
public enum LibraServer {
    public static let version = "0.4.0"

    /// The addresses the server listens on, known once it is bound.
    public struct Ready: Sendable {
        public var protocolPort: Int
        public var httpPort: Int
    }

    /// Runs until SIGINT or SIGTERM; then stops accepting, answers what is in flight, makes the
    /// log durable, and returns.
    public static func run(_ configuration: ServerConfiguration, logger: Logger, announce: @escaping @Sendable (String) -> Void) async throws {
        let log: @Sendable (String) -> Void = { logger.info("\($0)") }
        let storage: FileSystemStorage
        do {
            storage = try FileSystemStorage.choosing(configuration.io) { logger.warning("\($0)") }
        } catch {
            throw ServerError(error.description)
        }
        try makeDirectory(configuration.dataDirectory)
        // One server per data directory: a second one would append to the same log.
        let lock = try lockDirectory(configuration.dataDirectory)
        defer { close(lock) }
        let metrics = ServerMetrics()
        var databaseConfiguration = DatabaseConfiguration(
            directory: configuration.dataDirectory, fsync: configuration.fsync, segmentBytes: configuration.segmentBytes,
            snapshotIntervalSeconds: configuration.snapshotIntervalSeconds, snapshotLogBytes: configuration.snapshotLogBytes,
            engine: EngineConfiguration(shardCount: configuration.shards),
            recovery: RecoveryOptions(truncateCorruptLog: configuration.truncateCorruptLog, segmentBytes: configuration.segmentBytes))
        databaseConfiguration.logObserver = { metrics.observe($0) }
        let began = monotonicSeconds()
        let database = try await Database.open(databaseConfiguration, storage: storage, log: log)
        logger.info("recovered to LSN \(database.recoveryReport.lastLSN) in \(Int((monotonicSeconds() - began) * 1000)) ms")
        metrics.describeLog(ioPath: database.ioPath.rawValue, fsync: configuration.fsync.rawValue)

        let (access, createdToken) = try AccessControl.open(
            directory: configuration.dataDirectory,
            settings: AccessControl.Settings(rateLimitDefault: configuration.rateLimitDefault, lockSeconds: configuration.loginLockSeconds),
            adminToken: configuration.adminToken)
        if let createdToken {
            announce("admin token (shown once; keep it): \(createdToken)")
        }
        let sequencer = Sequencer(database: database, metrics: metrics) { message in
            logger.critical("\(message)")
            // Fail-stop: nothing more may be acknowledged after a log failure.
            exit(70)
        }
        let gateway = Gateway(sequencer: sequencer, access: access, metrics: metrics)
        let connections = ConnectionRegistry(maximum: configuration.connectionsMax)
        let subscriptions = EventSubscriptions(maximum: configuration.subscriptionsMax, feed: database.feed)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoops)
        defer { group.shutdownGracefully { _ in } }
        let ready = ReadyLine(host: configuration.host, directory: configuration.dataDirectory, fsync: configuration.fsync, io: database.ioPath, announce: announce)
        let binary = BinaryListener(
            host: configuration.host, port: configuration.port, idleTimeoutSeconds: configuration.idleTimeoutSeconds, group: group, gateway: gateway,
            connections: connections, subscriptions: subscriptions, logger: logger
        ) { port in
            ready.bound(protocolPort: port)
        }
        let http = HTTPAPI.makeService(
            host: configuration.host, port: configuration.httpPort, gateway: gateway, database: database, subscriptions: subscriptions, logger: logger
        ) { port in
            ready.bound(httpPort: port)
        }
        let core = CoreService(sequencer: sequencer, database: database, connections: connections, subscriptions: subscriptions, logger: logger)
        // Graceful shutdown runs in reverse order: the heap trimmer, HTTP, then the protocol
        // listener, then the core.
        var serviceConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: core),
                // A listener that fails (its port taken) stops the server gracefully, and the
                // error ends `run`: cancelling the group would leave the core waiting for work.
                .init(service: binary, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: http, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: HeapTrimmer(logBytes: { database.logStatistics.bytes }, logger: logger), successTerminationBehavior: .ignore),
            ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A client that stops reading an event stream must not hold the stop forever. Past this,
        // what is still running is cancelled: nothing acknowledged is lost (it is durable).
        serviceConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        let services = ServiceGroup(configuration: serviceConfiguration)
        try await services.run()
        logger.info("stopped cleanly at durable LSN \(database.durableLSN)")
    }

    /// Takes an exclusive `flock` on `<directory>/LOCK`, held until the returned descriptor is
    /// closed (or the process ends, however it ends); refuses when another process holds it.
    static func lockDirectory(_ directory: String) throws -> Int32 {
        let path = directory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServerError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another libra process is using this data directory; stop it first" : String(cString: strerror(errno))
            close(fd)
            throw ServerError("cannot lock \(path): \(reason)")
        }
        return fd
    }

    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw ServerError("cannot create \(current): \(String(cString: strerror(errno)))") }
        }
    }
}

/// Runs the sequencer; at shutdown drains it, closes the connections and makes the log durable.
final class CoreService: Service {
    let sequencer: Sequencer
    let database: Database
    let connections: ConnectionRegistry
    let subscriptions: EventSubscriptions
    let logger: Logger

    init(sequencer: Sequencer, database: Database, connections: ConnectionRegistry, subscriptions: EventSubscriptions, logger: Logger) {
        self.sequencer = sequencer
        self.database = database
        self.connections = connections
        self.subscriptions = subscriptions
        self.logger = logger
    }

    func run() async throws {
        let sequencer = sequencer
        // Closing the sequencer ends its loop; so does cancelling this service, which would
        // otherwise leave the loop waiting for work that never comes.
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                await sequencer.run()
            } onGracefulShutdown: {
                sequencer.close()
            }
        } onCancel: {
            sequencer.close()
        }
        subscriptions.closeAll()
        await connections.closeAll()
        await database.close()
        logger.info("log closed; everything acknowledged is durable")
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
