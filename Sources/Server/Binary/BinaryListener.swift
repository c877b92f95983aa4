import LibraProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Accepts binary/JSON protocol connections until graceful shutdown begins.
final class BinaryListener: Service {
    private let host: String
    private let port: Int
    private let idleTimeoutSeconds: Int
    private let group: any EventLoopGroup
    private let gateway: Gateway
    private let connections: ConnectionRegistry
    private let subscriptions: EventSubscriptions
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    init(
        host: String, port: Int, idleTimeoutSeconds: Int, group: any EventLoopGroup, gateway: Gateway, connections: ConnectionRegistry,
        subscriptions: EventSubscriptions, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void
    ) {
        self.host = host
        self.port = port
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.group = group
        self.gateway = gateway
        self.connections = connections
        self.subscriptions = subscriptions
        self.logger = logger
        self.onBound = onBound
    }

    func run() async throws {
        let (gateway, connections, subscriptions, idle) = (gateway, connections, subscriptions, idleTimeoutSeconds)
        let ticks = group.perLoop { SubmissionTick(eventLoop: $0, sequencer: gateway.sequencer) }
        let answers = group.perLoop { AnswerQueue(eventLoop: $0) }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: .seconds(Int64(idle))),
                        ByteToMessageHandler(FrameDecoder()),
                        ConnectionHandler(
                            gateway: gateway, connections: connections, subscriptions: subscriptions, serverVersion: LibraServer.version,
                            tick: ticks[ObjectIdentifier(channel.eventLoop)], answers: answers[ObjectIdentifier(channel.eventLoop)]),
                    ])
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        logger.info("protocol: listening on \(host):\(bound) (binary and JSON frames)")
        onBound(bound)
        // Until shutdown begins; then stop accepting. Open connections are answered and closed
        // by the server once the sequencer has drained.
        try? await gracefulShutdown()
        try? await channel.close()
        logger.info("protocol: stopped accepting connections")
    }
}
