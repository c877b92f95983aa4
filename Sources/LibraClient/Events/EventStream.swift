import Engine
import LibraProtocol
import NIOCore
import NIOPosix

extension LibraClient {
    /// Follows every committed event, in log order, on a connection of its own. If the
    /// connection drops, it reconnects (`configuration.retry`) and resumes right after the last
    /// event received: nothing is skipped or repeated. Iterating waits for new events; the
    /// stream ends by throwing: `.rejected` when the server refuses it (`HISTORY_UNAVAILABLE`,
    /// `FORBIDDEN` for member tokens, ...), `.connectionLost` when the server stays unreachable.
    /// Reading is paced by the consumer: the server sends no faster than events are taken.
    ///
    ///     for try await event in client.events(from: .after(saved)) {
    ///         archive(event)
    ///         saved = event.position
    ///     }
    public func events(from start: EventStreamStart = .now) -> EventStream {
        EventStream(endpoint: endpoint, configuration: configuration, start: start)
    }
}

/// The events of `LibraClient.events(from:)`. One iteration per stream: each `makeAsyncIterator`
/// opens its own connection, which closes when the iterator is dropped.
public struct EventStream: AsyncSequence, Sendable {
    public typealias Element = StreamEvent

    let endpoint: Endpoint
    let configuration: ClientConfiguration
    let start: EventStreamStart

    public func makeAsyncIterator() -> Iterator {
        let handoff = EventHandoff()
        let follower = EventFollower(endpoint: endpoint, configuration: configuration, start: start, handoff: handoff)
        return Iterator(pump: Pump(task: Task { await follower.run() }), handoff: handoff)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let pump: Pump
        let handoff: EventHandoff
        var buffered: [StreamEvent] = []
        var nextIndex = 0

        public mutating func next() async throws -> StreamEvent? {
            while nextIndex == buffered.count {
                guard let batch = await handoff.take() else { return nil }
                buffered = try batch.get()
                nextIndex = 0
            }
            defer { nextIndex += 1 }
            return buffered[nextIndex]
        }
    }

    /// Stops the follower when the iterator goes away.
    final class Pump: Sendable {
        let task: Task<Void, Never>
        init(task: Task<Void, Never>) { self.task = task }
        deinit { task.cancel() }
    }
}

/// A one-slot hand-over between the follower and the iterator: the follower puts a frame's
/// events and waits until the iterator took them, so no more than one frame waits in memory.
actor EventHandoff {
    private var slot: Result<[StreamEvent], LibraError>?
    private var taker: CheckedContinuation<Result<[StreamEvent], LibraError>?, Never>?
    private var putter: CheckedContinuation<Void, Never>?
    private var finished = false

    /// Hands over a batch (or the error that ends the stream); returns once it was taken, or
    /// when the follower is cancelled.
    func put(_ batch: Result<[StreamEvent], LibraError>) async {
        guard !finished else { return }
        if case .failure = batch { finished = true }
        if let taker {
            self.taker = nil
            return taker.resume(returning: batch)
        }
        slot = batch
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if slot == nil || Task.isCancelled { continuation.resume() } else { putter = continuation }
            }
        } onCancel: {
            Task { await self.releasePutter() }
        }
    }

    private func releasePutter() {
        putter?.resume()
        putter = nil
    }

    /// The next batch; nil once the stream ended; `.cancelled` when the waiting task is.
    func take() async -> Result<[StreamEvent], LibraError>? {
        if let batch = slot {
            slot = nil
            releasePutter()
            return batch
        }
        if finished { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume(returning: .failure(.cancelled)) } else { taker = continuation }
            }
        } onCancel: {
            Task { await self.cancelTaker() }
        }
    }

    private func cancelTaker() {
        taker?.resume(returning: .failure(.cancelled))
        taker = nil
    }
}

/// The follower's side: connects, greets, subscribes, and turns EVENTS frames into events;
/// reconnects after a drop and resubscribes where the last frame ended.
struct EventFollower: Sendable {
    let endpoint: Endpoint
    let configuration: ClientConfiguration
    let start: EventStreamStart
    let handoff: EventHandoff

    /// Refusals that may pass (the server is busy or restarting): retried like a drop.
    static let transient: Set<ErrorCode> = [.tooManySubscriptions, .tooManyConnections, .shuttingDown, .rateLimited]

    func run() async {
        var from: UInt64? = nil
        var skipThrough: EventPosition?
        switch start {
        case .now: break
        case .lsn(let lsn): from = lsn
        case .after(let position):
            from = position.lsn
            skipThrough = position
        }
        // A follower outlasts restarts of any length: it keeps trying (with the client's
        // backoff) until it is stopped, unless the client retries nothing at all.
        let attemptsMax = configuration.retry.attempts == 0 ? 0 : Int.max
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await follow(from: &from, skipThrough: &skipThrough, attempt: &attempt)
            } catch let error as LibraError {
                if case .rejected(let refusal) = error, Self.transient.contains(refusal.code) {
                    // Retried below.
                } else {
                    return await handoff.put(.failure(error))
                }
            } catch {
                // A dropped or refused connection: retried below.
            }
            if Task.isCancelled { return }
            attempt += 1
            guard attempt <= attemptsMax else { return await handoff.put(.failure(.connectionLost)) }
            try? await Task.sleep(for: configuration.retry.backoff(attempt: attempt))
        }
    }

    /// One connection's life; returns when the server closes it.
    private func follow(from: inout UInt64?, skipThrough: inout EventPosition?, attempt: inout Int) async throws {
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The server sends at least a heartbeat every 15 s: silence for three of them
                    // means a dead connection (a half-open one would otherwise wait forever).
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: .seconds(Int64(3 * EventFrames.heartbeatSeconds))), CloseWhenIdle(),
                        ByteToMessageHandler(FrameDecoder(frameBytesMax: EventFrames.frameBytesMax)),
                    ])
                    return try NIOAsyncChannel<FrameEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            try await outbound.write(Self.frame(.hello, requestID: 1, BinaryPayloads.encodeHello(token: endpoint.token)))
            guard let greeting = try await frames.next() else { return }
            _ = try Self.payload(greeting, expecting: .welcome)
            try await outbound.write(Self.frame(.subscribe, requestID: 2, EventFrames.encodeSubscribe(from: from)))
            var expected: UInt64?
            while let next = try await frames.next() {
                let payload = try Self.payload(next, expecting: .events)
                let decoded: (next: UInt64, records: [(lsn: UInt64, record: BatchRecord)])
                do {
                    decoded = try EventFrames.decodeEvents(payload)
                } catch {
                    throw LibraError.protocolViolation("an EVENTS frame does not decode: \(error)")
                }
                attempt = 0
                var events: [StreamEvent] = []
                for (lsn, record) in decoded.records {
                    guard expected == nil || lsn == expected else { throw LibraError.protocolViolation("EVENTS skipped from LSN \(expected!) to \(lsn)") }
                    expected = lsn + 1
                    for attributed in record.attributedEvents() {
                        let position = EventPosition(lsn: lsn, index: attributed.index)
                        if let skip = skipThrough, position <= skip { continue }
                        events.append(
                            StreamEvent(
                                position: position, time: record.timestamp, sequence: attributed.sequence, token: attributed.actor,
                                event: attributed.event))
                    }
                }
                if expected == nil { expected = decoded.next }
                from = decoded.next
                if !decoded.records.isEmpty { skipThrough = nil }
                if !events.isEmpty { await handoff.put(.success(events)) }
                if Task.isCancelled { return }
            }
        }
    }

    static func frame(_ opcode: Opcode, requestID: UInt64, _ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeFrame(FrameHeader(format: .binary, opcode: opcode, requestID: requestID)) { $0.writeBytes(payload) }
        return buffer
    }

    /// A frame's payload when it has the opcode expected; an ERROR frame is thrown as `.rejected`.
    static func payload(_ event: FrameEvent, expecting opcode: Opcode) throws(LibraError) -> [UInt8] {
        guard case .frame(var frame) = event else { throw .protocolViolation("a frame larger than \(EventFrames.frameBytesMax) bytes") }
        let bytes = frame.payload.readBytes(length: frame.payload.readableBytes) ?? []
        if frame.header.opcode == .error {
            guard let refusal = try? BinaryPayloads.decodeError(bytes) else { throw .protocolViolation("an ERROR frame does not decode") }
            throw .rejected(refusal)
        }
        guard frame.header.opcode == opcode else { throw .protocolViolation("expected \(opcode), got \(frame.header.opcode)") }
        return bytes
    }
}

/// Closes the channel when the idle handler says nothing arrived for too long.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
