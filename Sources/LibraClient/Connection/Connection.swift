import Engine
import LibraProtocol
import NIOCore
import NIOPosix
import Synchronization

/// Where a connection goes and the token it presents.
struct Endpoint: Sendable {
    var host: String
    var port: Int
    var token: String
}

/// What one frame may hold on a connection, from the server's WELCOME.
struct FrameLimits: Sendable, Hashable {
    var commandsMax: Int
    /// Payload bytes after the command count.
    var payloadBytesMax: Int

    init(_ welcome: Welcome, commandsPerFrameMax: Int?) {
        commandsMax = min(commandsPerFrameMax ?? welcome.commandsPerFrameMax, welcome.commandsPerFrameMax)
        payloadBytesMax = welcome.frameBytesMax - FrameHeader.bytes - 4
    }
}

/// One connection of a client's pool: it greets the server, coalesces the calls submitted to it
/// into BATCH frames, matches answers to calls by request id, and after a drop reconnects and
/// resends what was unanswered.
///
/// Calls queue in `pending`. A flush runs once per event-loop tick in which calls arrived, and
/// again whenever an answer frees a slot: it packs the queue into frames while fewer than
/// `framesInFlightPerConnectionMax` are unanswered. So a lone call leaves at once, and calls
/// that arrive while the connection is busy leave together.
///
/// All mutable state is confined to `eventLoop`.
final class Connection: @unchecked Sendable {
    enum State {
        /// No channel; the next call opens one.
        case idle
        /// Opening a channel, or waiting to retry; `attempt` 0 is the first try.
        case connecting(attempt: Int)
        /// HELLO sent, WELCOME awaited.
        case greeting(any Channel, attempt: Int)
        case ready(any Channel)
        case closed
    }

    static let helloRequestID: UInt64 = 0

    let eventLoop: any EventLoop
    /// Commands submitted and not yet answered: the pool sends new calls to the least loaded.
    let outstanding = Atomic<Int>(0)
    private let endpoint: Endpoint
    private let configuration: ClientConfiguration
    private let counters: Counters

    // Event-loop state.
    private var state: State = .idle
    private var pending = CircularBuffer<Call>()
    private var inFlight: [UInt64: [Call]] = [:]
    private var nextRequestID: UInt64 = 1
    private var flushScheduled = false
    /// The server answered SHUTTING_DOWN: send nothing more on this channel; reconnect once it closes.
    private var draining = false
    private var limits: FrameLimits?
    private var hasBeenReady = false
    private var startPromise: EventLoopPromise<Welcome>?

    init(eventLoop: any EventLoop, endpoint: Endpoint, configuration: ClientConfiguration, counters: Counters) {
        self.eventLoop = eventLoop
        self.endpoint = endpoint
        self.configuration = configuration
        self.counters = counters
    }

    // MARK: Calls

    /// Opens the connection; succeeds with the server's WELCOME. No retry: a first connection
    /// that fails is reported at once.
    func start() -> EventLoopFuture<Welcome> {
        let promise = eventLoop.makePromise(of: Welcome.self)
        eventLoop.execute {
            guard case .idle = self.state else { return promise.fail(LibraError.closed) }
            self.startPromise = promise
            self.state = .connecting(attempt: 0)
            self.open(attempt: 0)
        }
        return promise.futureResult
    }

    func submit(_ call: Call) {
        outstanding.wrappingAdd(call.count, ordering: .relaxed)
        if eventLoop.inEventLoop {
            enqueue(call)
        } else {
            eventLoop.execute { self.enqueue(call) }
        }
    }

    func cancel(_ call: Call) {
        eventLoop.execute { self.finish(call, .failure(.cancelled)) }
    }

    /// Fails everything outstanding with `.closed` and closes the channel.
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            var channel: (any Channel)?
            switch self.state {
            case .greeting(let open, _), .ready(let open): channel = open
            default: break
            }
            self.state = .closed
            self.startPromise?.fail(LibraError.closed)
            self.startPromise = nil
            for calls in self.inFlight.values { for call in calls { self.finish(call, .failure(.closed)) } }
            self.inFlight = [:]
            self.failPending(.closed)
            guard let channel else { return self.eventLoop.makeSucceededVoidFuture() }
            return channel.close().recover { _ in }
        }
    }

    private func enqueue(_ call: Call) {
        eventLoop.assertInEventLoop()
        if case .closed = state { return finish(call, .failure(.closed)) }
        call.timer = eventLoop.scheduleTask(in: TimeAmount(configuration.requestTimeout)) { self.timeOut(call) }
        pending.append(call)
        switch state {
        case .idle: reopen()
        case .ready: scheduleFlush()
        case .connecting, .greeting, .closed: break
        }
    }

    private func timeOut(_ call: Call) {
        guard !call.isDone else { return }
        counters.timeouts.wrappingAdd(1, ordering: .relaxed)
        finish(call, .failure(.timedOut))
    }

    /// Completes a call once; later answers for it (a timed-out call's, say) are dropped.
    private func finish(_ call: Call, _ result: Result<[Outcome], LibraError>) {
        eventLoop.assertInEventLoop()
        guard !call.isDone else { return }
        call.isDone = true
        call.timer?.cancel()
        call.timer = nil
        let (_, left) = outstanding.wrappingSubtract(call.count, ordering: .relaxed)
        assert(left >= 0, "a call was finished twice or never counted")
        switch result {
        case .success(let outcomes): call.promise.succeed(outcomes)
        case .failure(let error): call.promise.fail(error)
        }
    }

    private func failPending(_ error: LibraError) {
        while let call = pending.popFirst() { finish(call, .failure(error)) }
    }

    // MARK: Frames out

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { self.flush() }
    }

    /// Packs pending calls into frames while the connection has room for more in flight.
    private func flush() {
        flushScheduled = false
        guard case .ready(let channel) = state, !draining, let limits else { return }
        var wrote = false
        while inFlight.count < configuration.framesInFlightPerConnectionMax {
            var calls: [Call] = []
            var commands = 0
            var bytes = 0
            while let call = pending.first {
                if call.isDone {
                    pending.removeFirst()
                    continue
                }
                if !calls.isEmpty && (commands + call.count > limits.commandsMax || bytes + call.commands.bytes.count > limits.payloadBytesMax) { break }
                pending.removeFirst()
                calls.append(call)
                commands += call.count
                bytes += call.commands.bytes.count
            }
            guard !calls.isEmpty else { break }
            assert(calls.count == 1 || (commands <= limits.commandsMax && bytes <= limits.payloadBytesMax))
            let requestID = nextRequestID
            nextRequestID += 1
            var buffer = channel.allocator.buffer(capacity: FrameHeader.bytes + 4 + bytes)
            buffer.writeFrame(FrameHeader(format: .binary, opcode: .batch, requestID: requestID)) { payload in
                payload.writeInteger(UInt32(commands), endianness: .little)
                for call in calls { payload.writeBytes(call.commands.bytes) }
            }
            inFlight[requestID] = calls
            channel.write(buffer, promise: nil)
            counters.framesSent.wrappingAdd(1, ordering: .relaxed)
            counters.commandsSent.wrappingAdd(commands, ordering: .relaxed)
            wrote = true
        }
        if wrote { channel.flush() }
    }

    // MARK: Frames in

    func received(_ event: FrameEvent, on channel: any Channel) {
        eventLoop.assertInEventLoop()
        switch state {
        case .greeting(let current, let attempt) where current === channel:
            guard case .frame(let frame) = event, frame.header.requestID == Self.helloRequestID else { return }
            greeted(frame, channel: channel, attempt: attempt)
        case .ready(let current) where current === channel:
            switch event {
            case .frame(let frame) where frame.header.opcode == .results: answered(frame)
            case .frame(let frame) where frame.header.opcode == .error: refused(frame)
            case .frame: break
            case .oversized(let header):
                fail(frame: header.requestID, .protocolViolation("an answer was larger than answerBytesMax (\(configuration.answerBytesMax) bytes)"))
            }
        default:
            // A frame from a channel this connection has already let go of.
            break
        }
    }

    private func greeted(_ frame: Frame, channel: any Channel, attempt: Int) {
        let bytes = Array(frame.payload.readableBytesView)
        if frame.header.opcode == .error {
            let refusal = (try? BinaryPayloads.decodeError(bytes)) ?? ProtocolRefusal(.malformedRequest, "an unreadable ERROR frame")
            state = .idle
            channel.close(promise: nil)
            return openFailed(attempt: attempt, reason: refusal.description, refusal: refusal)
        }
        guard frame.header.opcode == .welcome, let welcome = try? BinaryPayloads.decodeWelcome(bytes) else {
            state = .idle
            channel.close(promise: nil)
            let error = LibraError.protocolViolation("expected WELCOME, got \(frame.header.opcode)")
            startPromise?.fail(error)
            startPromise = nil
            return failPending(error)
        }
        limits = FrameLimits(welcome, commandsPerFrameMax: configuration.commandsPerFrameMax)
        state = .ready(channel)
        if hasBeenReady { counters.reconnects.wrappingAdd(1, ordering: .relaxed) }
        hasBeenReady = true
        startPromise?.succeed(welcome)
        startPromise = nil
        flush()
    }

    private func answered(_ frame: Frame) {
        guard let calls = inFlight.removeValue(forKey: frame.header.requestID) else { return }
        counters.framesAnswered.wrappingAdd(1, ordering: .relaxed)
        let expected = calls.reduce(0) { $0 + $1.count }
        let outcomes: [Outcome]
        do {
            outcomes = try BinaryPayloads.decodeResults(Array(frame.payload.readableBytesView))
        } catch {
            return fail(calls, .protocolViolation("unreadable RESULTS: \(error)"))
        }
        guard outcomes.count == expected else {
            return fail(calls, .protocolViolation("RESULTS carried \(outcomes.count) outcomes for \(expected) commands"))
        }
        var start = 0
        for call in calls {
            finish(call, .success(Array(outcomes[start..<start + call.count])))
            start += call.count
        }
        assert(start == outcomes.count)
        flush()
    }

    private func refused(_ frame: Frame) {
        let refusal = (try? BinaryPayloads.decodeError(Array(frame.payload.readableBytesView)))
            ?? ProtocolRefusal(.malformedRequest, "an unreadable ERROR frame")
        guard let calls = inFlight[frame.header.requestID] else {
            // Addressed to the connection (IDLE_TIMEOUT, ...): the server closes it next.
            return
        }
        guard refusal.code == .shuttingDown else { return fail(frame: frame.header.requestID, .rejected(refusal)) }
        // Not run, and the server is going away: hold everything until it closes the
        // connection, then resend on a new one.
        inFlight[frame.header.requestID] = nil
        counters.framesAnswered.wrappingAdd(1, ordering: .relaxed)
        draining = true
        requeue(calls, orElse: .rejected(refusal))
    }

    private func fail(frame requestID: UInt64, _ error: LibraError) {
        guard let calls = inFlight.removeValue(forKey: requestID) else { return }
        counters.framesAnswered.wrappingAdd(1, ordering: .relaxed)
        fail(calls, error)
    }

    private func fail(_ calls: [Call], _ error: LibraError) {
        for call in calls { finish(call, .failure(error)) }
        flush()
    }

    // MARK: Opening and reopening

    private func reopen() {
        state = .connecting(attempt: 0)
        open(attempt: 0)
    }

    private func open(attempt: Int) {
        eventLoop.assertInEventLoop()
        guard case .connecting = state else { return }
        let answerBytesMax = configuration.answerBytesMax
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(frameBytesMax: answerBytesMax)),
                        AnswerHandler(connection: self),
                    ])
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { result in self.opened(result, attempt: attempt) }
    }

    private func opened(_ result: Result<any Channel, any Error>, attempt: Int) {
        switch result {
        case .success(let channel):
            guard case .connecting = state else {
                channel.close(promise: nil)
                return
            }
            state = .greeting(channel, attempt: attempt)
            draining = false
            var buffer = channel.allocator.buffer(capacity: 64)
            buffer.writeFrame(FrameHeader(format: .binary, opcode: .hello, requestID: Self.helloRequestID)) { payload in
                payload.writeBytes(BinaryPayloads.encodeHello(token: endpoint.token))
            }
            channel.writeAndFlush(buffer, promise: nil)
        case .failure(let error):
            guard case .connecting = state else { return }
            openFailed(attempt: attempt, reason: "\(error)", refusal: nil)
        }
    }

    /// A try to open (or greet) failed: retry after a pause, or give up and fail what waits.
    private func openFailed(attempt: Int, reason: String, refusal: ProtocolRefusal?) {
        counters.connectFailures.wrappingAdd(1, ordering: .relaxed)
        let error = refusal.map(LibraError.rejected) ?? .unreachable("\(endpoint.host):\(endpoint.port): \(reason)")
        if let startPromise {
            self.startPromise = nil
            state = .idle
            startPromise.fail(error)
            return failPending(error)
        }
        let transient: Set<ErrorCode> = [.rateLimited, .tooManyConnections, .shuttingDown]
        let next = attempt + 1
        guard refusal.map({ transient.contains($0.code) }) ?? true, next <= configuration.retry.attempts else {
            state = .idle
            return failPending(refusal == nil ? .connectionLost : error)
        }
        state = .connecting(attempt: next)
        eventLoop.scheduleTask(in: TimeAmount(configuration.retry.backoff(attempt: next))) { self.open(attempt: next) }
    }

    /// The channel closed: for a live connection, resend what was unanswered on a new one.
    func channelClosed(_ channel: any Channel) {
        eventLoop.assertInEventLoop()
        switch state {
        case .greeting(let current, let attempt) where current === channel:
            state = .connecting(attempt: attempt)
            openFailed(attempt: attempt, reason: "the server closed the connection before WELCOME", refusal: nil)
        case .ready(let current) where current === channel:
            state = .idle
            draining = false
            let unanswered = inFlight.keys.sorted().flatMap { inFlight[$0]! }
            inFlight = [:]
            requeue(unanswered, orElse: .connectionLost)
            if !pending.isEmpty { reopen() }
        default:
            break
        }
    }

    /// Puts calls back at the head of the queue, in their order, if they may be sent again;
    /// fails the others with `error`.
    private func requeue(_ calls: [Call], orElse error: LibraError) {
        var again: [Call] = []
        for call in calls where !call.isDone {
            if call.commands.isRetrySafe && call.resends < configuration.retry.attempts {
                call.resends += 1
                counters.commandsResent.wrappingAdd(call.count, ordering: .relaxed)
                again.append(call)
            } else {
                finish(call, .failure(error))
            }
        }
        for call in again.reversed() { pending.prepend(call) }
    }
}

/// The end of a connection's pipeline: hands decoded frames and the channel's end to the connection.
final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = FrameEvent

    private let connection: Connection

    init(connection: Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.channelClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream this client cannot read further: drop it; the connection reconnects.
        context.close(promise: nil)
    }
}
