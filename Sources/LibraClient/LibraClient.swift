import Engine
import LibraProtocol
import NIOCore
import NIOPosix
import Synchronization

/// A client of a Libra server: a small pool of connections speaking the binary protocol.
///
/// Every command has a typed method (`checkout(member:item:)`, `getMember(_:)`, ...) that returns
/// the record the server answered with or throws a `LibraError`; `execute(_:)` sends an explicit
/// batch and returns one `Outcome` per request.
///
/// Calls may be made from any number of tasks at once. Calls that meet on a busy connection (or
/// in the same event-loop tick) leave in one BATCH frame; `statistics` shows how many frames the
/// calls took. If a connection drops, it reconnects and resends what was unanswered; mutations
/// carry a generated idempotency key, so a resend never applies one twice.
public final class LibraClient: Sendable {
    public let configuration: ClientConfiguration
    /// The server's greeting on the first connection: the token's role and member, the server's
    /// version and frame limits.
    public let welcome: Welcome
    private let connections: [Connection]
    /// Where the pool connects, and with which token (event streams open their own connection).
    let endpoint: Endpoint
    private let counters: Counters
    private let keys: IdempotencyKeys
    private let limits: FrameLimits
    private let nextConnection = Atomic<Int>(0)
    private let isClosed = Atomic<Bool>(false)

    private init(configuration: ClientConfiguration, welcome: Welcome, connections: [Connection], endpoint: Endpoint, counters: Counters) {
        self.configuration = configuration
        self.welcome = welcome
        self.connections = connections
        self.endpoint = endpoint
        self.counters = counters
        self.keys = IdempotencyKeys(prefix: configuration.idempotencyKeyPrefix)
        self.limits = FrameLimits(welcome, commandsPerFrameMax: configuration.commandsPerFrameMax)
    }

    /// Opens `configuration.connections` connections and presents `token` on each.
    ///
    /// Throws `.rejected(UNAUTHENTICATED)` for a token the server does not know,
    /// `.unreachable` when no connection can be opened (there is no retry here: the caller
    /// decides whether to try again), `.invalidConfiguration` for a field out of bounds.
    public static func connect(
        host: String = "127.0.0.1", port: Int = 7654, token: String, configuration: ClientConfiguration = ClientConfiguration()
    ) async throws(LibraError) -> LibraClient {
        if let violation = configuration.violation() { throw .invalidConfiguration(violation) }
        guard token.utf8.count <= ProtocolLimits.tokenBytesMax else {
            throw .invalidConfiguration("the token is longer than \(ProtocolLimits.tokenBytesMax) bytes")
        }
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let counters = Counters()
        let endpoint = Endpoint(host: host, port: port, token: token)
        let connections = (0..<configuration.connections).map { _ in
            Connection(eventLoop: group.next(), endpoint: endpoint, configuration: configuration, counters: counters)
        }
        let greetings = connections.map { $0.start() }
        var welcome: Welcome?
        var failure: LibraError?
        for greeting in greetings {
            do {
                let greeted = try await greeting.get()
                if welcome == nil { welcome = greeted }
            } catch {
                if failure == nil { failure = error as? LibraError ?? .unreachable("\(error)") }
            }
        }
        guard let welcome, failure == nil else {
            for connection in connections { try? await connection.close().get() }
            throw failure ?? .unreachable("no connection")
        }
        return LibraClient(configuration: configuration, welcome: welcome, connections: connections, endpoint: endpoint, counters: counters)
    }

    /// Closes every connection. Calls still unanswered fail with `.closed`, and so do later ones.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return }
        for connection in connections { try? await connection.close().get() }
    }

    deinit {
        // The channels keep their connections alive; closing them lets both go.
        if !isClosed.load(ordering: .relaxed) {
            for connection in connections { _ = connection.close() }
        }
    }

    /// What has been sent so far, summed over the pool.
    public var statistics: ClientStatistics { counters.snapshot }

    /// Sends requests as one batch and returns one outcome per request, in order; a refusal is
    /// an outcome here, not an error. Mutations without a key get a generated one (unless
    /// `assignsIdempotencyKeys` is off).
    ///
    /// Requests run in order, in one frame when they fit (`commandsPerFrameMax`, the server's
    /// frame size). More are cut into consecutive frames, each sent once the previous is
    /// answered; then the batch is not atomic, and an error thrown for a later frame says
    /// nothing of the earlier ones, which have run.
    public func execute(_ requests: [Request]) async throws(LibraError) -> [Outcome] {
        guard !requests.isEmpty else { return [] }
        let runs = EncodedCommands.cut(keyed(requests), commandsMax: limits.commandsMax, bytesMax: limits.payloadBytesMax)
        guard runs.count > 1 else { return try await send(runs[0]) }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(requests.count)
        for run in runs { outcomes += try await send(run) }
        return outcomes
    }

    /// Runs one command; a refusal is thrown as `.refused`.
    func perform(_ command: Command) async throws(LibraError) -> Reply {
        var request = Request(command)
        if configuration.assignsIdempotencyKeys && !command.isRead { request.idempotencyKey = keys.next() }
        var writer = ByteWriter(capacity: 64)
        request.encode(to: &writer)
        var commands = EncodedCommands()
        commands.append(request, encoded: writer.bytes)
        let outcomes = try await send(commands)
        switch outcomes[0] {
        case .ok(let reply): return reply
        case .refused(let refusal): throw .refused(refusal)
        }
    }

    private func keyed(_ requests: [Request]) -> [Request] {
        guard configuration.assignsIdempotencyKeys else { return requests }
        var requests = requests
        for index in requests.indices where requests[index].idempotencyKey == nil && !requests[index].command.isRead {
            requests[index].idempotencyKey = keys.next()
        }
        return requests
    }

    private func send(_ commands: EncodedCommands) async throws(LibraError) -> [Outcome] {
        guard !isClosed.load(ordering: .relaxed) else { throw .closed }
        let connection = leastLoaded()
        let call = Call(commands, eventLoop: connection.eventLoop)
        let answer = call.promise.futureResult
        connection.submit(call)
        do {
            return try await withTaskCancellationHandler {
                try await answer.get()
            } onCancel: {
                connection.cancel(call)
            }
        } catch let error as LibraError {
            throw error
        } catch {
            throw .protocolViolation("unexpected failure: \(error)")
        }
    }

    /// The connection with the fewest unanswered commands; ties go round robin.
    private func leastLoaded() -> Connection {
        let count = connections.count
        guard count > 1 else { return connections[0] }
        let (start, _) = nextConnection.wrappingAdd(1, ordering: .relaxed)
        let first = Int(UInt(bitPattern: start) % UInt(count))
        var best = connections[first]
        var bestLoad = best.outstanding.load(ordering: .relaxed)
        for offset in 1..<count where bestLoad > 0 {
            let candidate = connections[(first + offset) % count]
            let load = candidate.outstanding.load(ordering: .relaxed)
            if load < bestLoad {
                best = candidate
                bestLoad = load
            }
        }
        return best
    }
}
