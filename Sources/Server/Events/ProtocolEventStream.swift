import Engine
import LibraProtocol
import NIOConcurrencyHelpers
import NIOCore
import WAL

/// The event stream on a protocol connection: after SUBSCRIBE, EVENTS frames with the request
/// id of the SUBSCRIBE, the first at once (no records; `next` is where the stream starts), then
/// as records commit, and an empty one after `EventFrames.heartbeatSeconds` of quiet. A write
/// waits for the previous one to leave, so a slow reader holds at most one frame in memory.
enum ProtocolEventStream {
    /// Starts the pump; returns the task (cancel it to stop) or the refusal to answer with.
    /// `ended` runs when the stream stops, whatever the reason.
    static func start(
        channel: any Channel, header: FrameHeader, subscription: LogSubscription, principal: Principal, gateway: Gateway, subscriptions: EventSubscriptions,
        ended: @escaping @Sendable () -> Void
    ) throws(ProtocolRefusal) -> Task<Void, Never> {
        let taskBox = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let id = try subscriptions.add { taskBox.withLockedValue { $0?.cancel() } }
        let task = Task {
            // Told before the final ERROR frame is queued (both go through the event loop, in
            // order), so that a client answering that frame finds the connection free.
            var told = false
            defer {
                subscriptions.remove(id)
                if !told { ended() }
            }
            var subscription = subscription
            var next = subscription.nextLSN
            do {
                try await send(channel, header, next: next, records: [])
                try await EventPump.run(&subscription) { records in
                    guard gateway.access.isValid(principal) else { throw ProtocolRefusal(.unauthenticated, "The token was revoked or expired.") }
                    if let last = records.last { next = last.lsn + 1 }
                    try await send(channel, header, next: next, records: records)
                }
            } catch is CancellationError {
            } catch ChannelError.ioOnClosedChannel {
            } catch {
                told = true
                ended()
                let refusal = EventSubscriptions.refusal(error)
                var buffer = channel.allocator.buffer(capacity: 256)
                buffer.writeFrame(FrameHeader(format: header.format, opcode: .error, requestID: header.requestID)) { buffer in
                    if header.format == .binary { buffer.writeBytes(BinaryPayloads.encodeError(refusal)) } else { buffer.writeBytes(JSONPayloads.encode(ErrorEnvelope(ErrorJSON(refusal)))) }
                }
                channel.writeAndFlush(buffer, promise: nil)
            }
        }
        taskBox.withLockedValue { $0 = task }
        // Shutdown may have begun between `add` and now: then nobody else will cancel it.
        if subscriptions.isClosed { task.cancel() }
        return task
    }

    static func send(_ channel: any Channel, _ header: FrameHeader, next: UInt64, records: [LogRecord]) async throws {
        let answer = FrameHeader(format: header.format, opcode: .events, requestID: header.requestID)
        let buffer: ByteBuffer
        if header.format == .binary {
            let pairs = records.map { (lsn: $0.lsn, payload: $0.payload) }
            var frame = channel.allocator.buffer(capacity: FrameHeader.bytes + EventFrames.eventsBytes(records: pairs))
            frame.writeFrame(answer) { EventFrames.encodeEvents(next: next, records: pairs, into: &$0) }
            buffer = frame
        } else {
            let decoded = try records.map { (lsn: $0.lsn, record: try $0.batchRecord()) }
            let payload = EventFrames.encodeEventsJSON(next: next, records: decoded)
            var frame = channel.allocator.buffer(capacity: FrameHeader.bytes + payload.count)
            frame.writeFrame(answer) { $0.writeBytes(payload) }
            buffer = frame
        }
        try await channel.writeAndFlush(buffer)
    }
}
