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
    let endpoint: Endpoint
    let configuration: ClientConfiguration
    let counters: Counters

    // Event-loop state.
    var state: State = .idle
    var pending = CircularBuffer<Call>()
    var inFlight: [UInt64: [Call]] = [:]
    private var nextRequestID: UInt64 = 1
    private var flushScheduled = false
    /// The server answered SHUTTING_DOWN: send nothing more on this channel; reconnect once it closes.
    var draining = false
    private var limits: FrameLimits?
    private var hasBeenReady = false
    var startPromise: EventLoopPromise<Welcome>?

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
    func finish(_ call: Call, _ result: Result<[Outcome], LibraError>) {
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

    func failPending(_ error: LibraError) {
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
            buffer.writeBatchFrame(requestID: requestID, commandCount: commands) { payload in
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
}
