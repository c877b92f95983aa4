import Engine
import LibraProtocol
import NIOCore

/// What one frame carries: `count` records of one kind, from dataset index `first`.
struct SeedFrame {
    enum Kind { case items, members, loans }
    var kind: Kind
    var first: Int
    var count: Int
}

/// Writes the commands of the next frame (at most `limit`) after the frame's count field, and
/// says what they are; nil once the phase has nothing more to send.
protocol SeedSource: AnyObject {
    func writeNext(into buffer: inout ByteBuffer, limit: Int) -> SeedFrame?
}

/// Keeps every connection's frames in flight from one source, one phase at a time, and folds
/// the answers. Confined to the client's single event loop: connections, source and counters
/// are touched from that thread only, so nothing here takes a lock (hence `@unchecked
/// Sendable`: the async driver reaches it only through `EventLoop.submit`).
final class SeedPump: @unchecked Sendable {
    let commandsPerFrame: Int
    private var source: (any SeedSource)?
    private var connections: [SeedConnection] = []
    private var pending: [UInt64: SeedFrame] = [:]
    private var nextRequestID: UInt64 = 1
    private var phaseDone: EventLoopPromise<Void>?

    /// Server ids by dataset index, filled from the answers to the creates (0: refused).
    var itemIDs: [UInt64]
    var memberIDs: [UInt64]
    private(set) var sent = 0
    private(set) var answered = 0
    private(set) var refused: [ErrorCode: Int] = [:]
    private(set) var failure: String?

    init(items: Int, members: Int, commandsPerFrame: Int) {
        itemIDs = [UInt64](repeating: 0, count: items)
        memberIDs = [UInt64](repeating: 0, count: members)
        self.commandsPerFrame = commandsPerFrame
    }

    /// Starts a phase; the future completes once the source is spent and every frame answered.
    func start(_ source: any SeedSource, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        precondition(phaseDone == nil, "a phase is already running")
        self.source = source
        let promise = eventLoop.makePromise(of: Void.self)
        phaseDone = promise
        for connection in connections { fill(connection) }
        finishIfDone()
        return promise.futureResult
    }

    func ready(_ connection: SeedConnection) {
        connections.append(connection)
        fill(connection)
    }

    /// Sends frames on the connection until it has its share in flight or the source is spent.
    func fill(_ connection: SeedConnection) {
        guard failure == nil else { return }
        var wrote = false
        while connection.inFlight < connection.inFlightMax, let source, let context = connection.context {
            var buffer = context.channel.allocator.buffer(capacity: 64 + commandsPerFrame * 64)
            let id = nextRequestID
            var frame: SeedFrame?
            buffer.writeFrame(FrameHeader(format: .binary, opcode: .batch, requestID: id)) { payload in
                let countAt = payload.writerIndex
                payload.writeInteger(UInt32(0), endianness: .little)
                frame = source.writeNext(into: &payload, limit: commandsPerFrame)
                if let frame { payload.setInteger(UInt32(frame.count), at: countAt, endianness: .little) }
            }
            guard let frame else {
                self.source = nil
                break
            }
            nextRequestID += 1
            pending[id] = frame
            sent += frame.count
            connection.inFlight += 1
            context.write(NIOAny(buffer), promise: nil)
            wrote = true
        }
        if wrote { connection.context?.flush() }
    }

    func answered(_ connection: SeedConnection, requestID: UInt64, results: inout ByteBuffer) {
        guard let frame = pending.removeValue(forKey: requestID) else { return fail("an answer to unknown request \(requestID)") }
        connection.inFlight -= 1
        do {
            let skimmed = try SeedWire.skimResults(&results, wantIDs: frame.kind != .loans)
            guard skimmed.ok + skimmed.refused.values.reduce(0, +) == frame.count else { return fail("\(frame.count) commands answered with another count") }
            for (code, count) in skimmed.refused { refused[code, default: 0] += count }
            switch frame.kind {
            case .items: itemIDs.replaceSubrange(frame.first..<frame.first + frame.count, with: skimmed.ids)
            case .members: memberIDs.replaceSubrange(frame.first..<frame.first + frame.count, with: skimmed.ids)
            case .loans: break
            }
        } catch {
            return fail("undecodable answer: \(error)")
        }
        answered += frame.count
        fill(connection)
        finishIfDone()
    }

    func fail(_ reason: String) {
        guard failure == nil else { return }
        failure = reason
        source = nil
        phaseDone?.fail(SeedFailure(reason: reason))
        phaseDone = nil
    }

    private func finishIfDone() {
        guard source == nil, pending.isEmpty, let promise = phaseDone else { return }
        phaseDone = nil
        promise.succeed()
    }
}

struct SeedFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// One connection of the seeder: HELLO, then whatever the pump gives it. On the pump's loop.
final class SeedConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = FrameEvent

    let pump: SeedPump
    let token: String
    let inFlightMax: Int
    var inFlight = 0
    private(set) var context: ChannelHandlerContext?

    init(pump: SeedPump, token: String, inFlightMax: Int) {
        self.pump = pump
        self.token = token
        self.inFlightMax = inFlightMax
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeHelloFrame(requestID: 0, token: token)
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(var frame) = unwrapInboundIn(data) else { return pump.fail("the server refused a frame as too large") }
        switch frame.header.opcode {
        case .welcome:
            pump.ready(self)
        case .results:
            pump.answered(self, requestID: frame.header.requestID, results: &frame.payload)
        case .error:
            let bytes = frame.payload.readBytes(length: frame.payload.readableBytes) ?? []
            let refusal = try? BinaryPayloads.decodeError(bytes)
            pump.fail("the server refused frame \(frame.header.requestID): \(refusal.map { "\($0.code.name): \($0.message)" } ?? "undecodable error")")
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        pump.fail("the server closed a connection")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pump.fail("connection error: \(error)")
        context.close(promise: nil)
    }
}
