import Engine
import LibraProtocol
import NIOCore
import NIOPosix

/// Opening a connection, greeting failures, and recovering from a drop: reconnect with backoff
/// and resend what was unanswered.
extension Connection {
    func reopen() {
        state = .connecting(attempt: 0)
        open(attempt: 0)
    }

    func open(attempt: Int) {
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
            buffer.writeHelloFrame(requestID: Self.helloRequestID, token: endpoint.token)
            channel.writeAndFlush(buffer, promise: nil)
        case .failure(let error):
            guard case .connecting = state else { return }
            openFailed(attempt: attempt, reason: "\(error)", refusal: nil)
        }
    }

    /// A try to open (or greet) failed: retry after a pause, or give up and fail what waits.
    func openFailed(attempt: Int, reason: String, refusal: ProtocolRefusal?) {
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
    func requeue(_ calls: [Call], orElse error: LibraError) {
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
