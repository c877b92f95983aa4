import Engine
import Foundation
import LibraProtocol
import NIOCore

/// One binary/JSON protocol connection: authenticates with HELLO, then serves BATCH and PING
/// frames, pipelined. Answers leave in completion order, each with its request id. A frame that
/// cannot be served gets an ERROR frame and the connection goes on; only a stream that cannot
/// be resynchronized is closed.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = FrameEvent
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let gateway: Gateway
    private let connections: ConnectionRegistry
    private let subscriptions: EventSubscriptions
    private let serverVersion: String
    private var principal: Principal?
    /// The event stream this connection follows, if it sent SUBSCRIBE.
    private var subscription: Task<Void, Never>?
    private var inFlight = 0
    private var readHeld = false
    private var registered = false
    /// Wakes the sequencer after the loop's pass over its ready connections (nil: per frame).
    private let tick: SubmissionTick?
    /// The loop's answers, written before each read (nil: each answer a task of its own).
    private let answers: AnswerQueue?

    init(
        gateway: Gateway, connections: ConnectionRegistry, subscriptions: EventSubscriptions, serverVersion: String, tick: SubmissionTick? = nil,
        answers: AnswerQueue? = nil
    ) {
        self.tick = tick
        self.answers = answers
        self.gateway = gateway
        self.connections = connections
        self.subscriptions = subscriptions
        self.serverVersion = serverVersion
    }

    func channelActive(context: ChannelHandlerContext) {
        guard connections.add(context.channel) else {
            gateway.metrics.connectionRefused()
            sendError(context, requestID: 0, format: .binary, ProtocolRefusal(.tooManyConnections), close: true)
            return
        }
        registered = true
        gateway.metrics.connectionOpened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscription?.cancel()
        subscription = nil
        if registered {
            connections.remove(context.channel)
            gateway.metrics.connectionClosed()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Answers first: they end cycles that are waiting; this frame only begins one.
        answers?.writeQueued()
        // Writing this connection's own answer may have closed it: nothing more can be answered.
        guard context.channel.isActive else { return }
        switch unwrapInboundIn(data) {
        case .oversized(let header):
            sendError(context, requestID: header.requestID, format: header.format, ProtocolRefusal(.frameTooLarge, "At most \(ProtocolLimits.frameBytesMax) bytes per frame."))
        case .frame(let frame):
            handle(context, frame)
        }
    }

    private func handle(_ context: ChannelHandlerContext, _ frame: Frame) {
        let header = frame.header
        var payload = frame.payload
        let bytes = payload.readBytes(length: payload.readableBytes) ?? []
        switch header.opcode {
        case .hello:
            let token: String
            do {
                token = try header.format == .binary ? BinaryPayloads.decodeHello(bytes) : JSONPayloads.decodeHello(bytes)
            } catch {
                return sendError(context, requestID: header.requestID, format: header.format, error)
            }
            guard let principal = gateway.access.authenticate(token: token) else {
                gateway.metrics.recordFrameError(.unauthenticated)
                return sendError(context, requestID: header.requestID, format: header.format, ProtocolRefusal(.unauthenticated))
            }
            self.principal = principal
            let welcome = Welcome(
                role: principal.role, member: principal.member, serverVersion: serverVersion, frameBytesMax: ProtocolLimits.frameBytesMax,
                commandsPerFrameMax: ProtocolLimits.commandsPerFrameMax)
            send(context, FrameHeader(format: header.format, opcode: .welcome, requestID: header.requestID)) { buffer in
                if header.format == .binary { buffer.writeBytes(BinaryPayloads.encodeWelcome(welcome)) } else { buffer.writeBytes(JSONPayloads.encode(welcome)) }
            }
        case .ping:
            let lsn = gateway.sequencer.database.durableLSN
            send(context, FrameHeader(format: header.format, opcode: .pong, requestID: header.requestID)) { buffer in
                if header.format == .binary { buffer.writeBytes(BinaryPayloads.encodePong(durableLSN: lsn)) } else { buffer.writeBytes(JSONPayloads.encode(PongJSON(durableLSN: lsn))) }
            }
        case .batch:
            guard let principal else {
                gateway.metrics.recordFrameError(.unauthenticated)
                return sendError(context, requestID: header.requestID, format: header.format, ProtocolRefusal(.unauthenticated, "Send HELLO with a token first."))
            }
            let requests: [Request]
            do {
                requests = try header.format == .binary ? BinaryPayloads.decodeBatch(bytes) : JSONPayloads.decodeBatch(bytes)
            } catch {
                return sendError(context, requestID: header.requestID, format: header.format, error)
            }
            inFlight += 1
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let answers = answers
            let allocator = context.channel.allocator
            gateway.serve(requests, principal: principal, wakeLater: tick != nil) { result in
                let frame = result.map { Self.readyAnswer($0, header: header, allocator: allocator) }
                let answer: AnswerQueue.Answer = {
                    let (handler, context) = bound.value
                    handler.answer(context, header: header, frame)
                }
                if let answers { answers.push(answer) } else { bound.eventLoop.execute(answer) }
            }
            tick?.submitted()
        case .subscribe:
            guard let principal else {
                gateway.metrics.recordFrameError(.unauthenticated)
                return sendError(context, requestID: header.requestID, format: header.format, ProtocolRefusal(.unauthenticated, "Send HELLO with a token first."))
            }
            guard subscription == nil else {
                return sendError(
                    context, requestID: header.requestID, format: header.format,
                    ProtocolRefusal(.malformedRequest, "This connection already follows the event stream; open another connection for another subscription."))
            }
            do {
                let from = try header.format == .binary ? EventFrames.decodeSubscribe(bytes) : (JSONPayloads.decode(bytes, what: "SUBSCRIBE") as SubscribeJSON).from
                let log = try EventSubscriptions.open(gateway.sequencer.database, from: from, principal: principal, access: gateway.access)
                // When the stream ends (an error frame was sent), the connection may subscribe again.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                subscription = try ProtocolEventStream.start(
                    channel: context.channel, header: header, subscription: log, principal: principal, gateway: gateway, subscriptions: subscriptions
                ) {
                    bound.eventLoop.execute { bound.value.0.subscription = nil }
                }
            } catch {
                sendError(context, requestID: header.requestID, format: header.format, error)
            }
        default:
            gateway.metrics.recordFrameError(.unknownOpcode)
            sendError(context, requestID: header.requestID, format: header.format, ProtocolRefusal(.unknownOpcode, "Opcode \(header.opcode) is not known."))
        }
    }

    /// A frame's outcomes, as its RESULTS frame when they are few and binary: on the log's writer
    /// thread, so that the event loop (the busier thread) only writes the frame. Larger frames
    /// and JSON ones are left to the loop, since the writer's callbacks delay the next group
    /// commit (a frame may carry 4,096 outcomes; JSON takes several times as long to encode).
    private static func readyAnswer(_ outcomes: [Outcome], header: FrameHeader, allocator: ByteBufferAllocator) -> ReadyAnswer {
        header.format == .binary && outcomes.count <= writerEncodedOutcomesMax
            ? .frame(resultsFrame(outcomes, header: header, allocator: allocator)) : .outcomes(outcomes)
    }

    /// The most outcomes a frame may hold for the writer thread to encode it (64 outcomes, about
    /// 4.6 KB, were measured faster there).
    static let writerEncodedOutcomesMax = 256

    enum ReadyAnswer {
        case frame(ByteBuffer)
        case outcomes([Outcome])
    }

    /// A RESULTS frame with a batch's outcomes, encoded first so that the frame's buffer is
    /// allocated once at its size (a loan outcome is about 64 bytes; a frame may carry 4,096).
    private static func resultsFrame(_ outcomes: [Outcome], header: FrameHeader, allocator: ByteBufferAllocator) -> ByteBuffer {
        let payload: [UInt8]
        if header.format == .binary {
            var writer = ByteWriter(capacity: 8 + outcomes.count * 72)
            BinaryPayloads.encodeResults(outcomes, into: &writer)
            payload = writer.bytes
        } else {
            payload = JSONPayloads.encodeResults(outcomes)
        }
        var buffer = allocator.buffer(capacity: FrameHeader.bytes + payload.count)
        buffer.writeFrame(FrameHeader(format: header.format, opcode: .results, requestID: header.requestID)) { $0.writeBytes(payload) }
        return buffer
    }

    /// Sends a batch's RESULTS frame (encoded here if it is not already), or its refusal.
    private func answer(_ context: ChannelHandlerContext, header: FrameHeader, _ ready: Result<ReadyAnswer, ProtocolRefusal>) {
        inFlight -= 1
        switch ready {
        case .success(.frame(let frame)):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .success(.outcomes(let outcomes)):
            context.writeAndFlush(wrapOutboundOut(Self.resultsFrame(outcomes, header: header, allocator: context.channel.allocator)), promise: nil)
        case .failure(let refusal):
            sendError(context, requestID: header.requestID, format: header.format, refusal)
        }
        if readHeld && inFlight < ProtocolLimits.framesInFlightPerConnectionMax {
            readHeld = false
            context.read()
        }
    }

    // Backpressure: with too many frames in flight, stop reading until answers go out.
    func read(context: ChannelHandlerContext) {
        if inFlight >= ProtocolLimits.framesInFlightPerConnectionMax {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A connection following the event stream is not idle: the server is the one talking.
        if event is IdleStateHandler.IdleStateEvent, inFlight == 0, subscription == nil {
            sendError(context, requestID: 0, format: .binary, ProtocolRefusal(.idleTimeout), close: true)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let refusal: ProtocolRefusal
        switch error {
        case FrameError.unsupportedVersion(let version, let requestID):
            refusal = ProtocolRefusal(.unsupportedVersion, "This server speaks version \(ProtocolLimits.version), the frame says \(version).")
            gateway.metrics.recordFrameError(refusal.code)
            return sendError(context, requestID: requestID, format: .binary, refusal, close: true)
        case FrameError.malformedHeader(let requestID):
            refusal = ProtocolRefusal(.malformedRequest, "The frame header is malformed; the stream cannot be resynchronized.")
            gateway.metrics.recordFrameError(refusal.code)
            return sendError(context, requestID: requestID, format: .binary, refusal, close: true)
        default:
            context.close(promise: nil)
        }
    }

    private func send(_ context: ChannelHandlerContext, _ header: FrameHeader, capacity: Int = 256, payload: (inout ByteBuffer) -> Void) {
        var buffer = context.channel.allocator.buffer(capacity: capacity)
        buffer.writeFrame(header, payload: payload)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func sendError(_ context: ChannelHandlerContext, requestID: UInt64, format: PayloadFormat, _ error: any Error, close: Bool = false) {
        let refusal = error as? ProtocolRefusal ?? ProtocolRefusal(.malformedRequest, "\(error)")
        if !(error is ProtocolRefusal) || refusal.code == .malformedRequest || refusal.code == .tooManyCommands || refusal.code == .frameTooLarge {
            gateway.metrics.recordFrameError(refusal.code)
        }
        var buffer = context.channel.allocator.buffer(capacity: 128)
        buffer.writeFrame(FrameHeader(format: format, opcode: .error, requestID: requestID)) { buffer in
            if format == .binary { buffer.writeBytes(BinaryPayloads.encodeError(refusal)) } else { buffer.writeBytes(JSONPayloads.encode(ErrorEnvelope(ErrorJSON(refusal)))) }
        }
        if close {
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }
}
