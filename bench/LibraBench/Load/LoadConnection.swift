import Engine
import LibraProtocol
import NIOCore

/// One load connection: owns a disjoint set of members (so connections never conflict on a
/// member), keeps `inFlight` frames outstanding, and builds each frame from `batch` cycles. A
/// cycle returns the member's oldest loan when at the limit, then checks out a random item.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = FrameEvent
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var token: String
        var members: [MemberID]
        var items: UInt64
        var loansPerMember: Int
        var inFlight: Int
        var batch: Int
        var seed: UInt64
    }

    enum Phase { case greeting, running, stopped }

    private let settings: Settings
    private let stats: LoadStatistics
    private var phase = Phase.greeting
    private var random: SplitMix64
    private var loans: [MemberID: [LoanID]] = [:]
    private var idle: [MemberID]
    /// Per request id: when it was sent and which cycles it carries.
    private var pending: [UInt64: (sentAt: UInt64, cycles: [(member: MemberID, returned: LoanID?)])] = [:]
    private var nextID: UInt64 = 1
    private var context: ChannelHandlerContext?

    init(settings: Settings, held: [MemberID: [LoanID]], stats: LoadStatistics) {
        self.settings = settings
        self.stats = stats
        random = SplitMix64(seed: settings.seed)
        idle = settings.members
        for member in settings.members { if let loans = held[member] { self.loans[member] = loans } }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeFrame(FrameHeader(format: .binary, opcode: .hello, requestID: 0)) { $0.writeBytes(BinaryPayloads.encodeHello(token: settings.token)) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Stops sending; answers still arriving are counted.
    func stop() { phase = .stopped }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(var frame) = unwrapInboundIn(data) else { return }
        let bytes = frame.payload.readBytes(length: frame.payload.readableBytes) ?? []
        switch frame.header.opcode {
        case .welcome:
            phase = .running
            for _ in 0..<settings.inFlight { sendFrame(context) }
        case .results:
            guard let sent = pending.removeValue(forKey: frame.header.requestID) else { return }
            stats.recordLatency(nanoseconds: monotonicNanoseconds() - sent.sentAt)
            guard let outcomes = try? BinaryPayloads.decodeResults(bytes) else { stats.count(error: "UNDECODABLE"); return }
            var index = 0
            for cycle in sent.cycles {
                if let returned = cycle.returned {
                    if case .refused(let refusal) = outcomes[index] { stats.count(error: refusal.code.name) } else { loans[cycle.member]?.removeAll { $0 == returned } }
                    index += 1
                }
                switch outcomes[index] {
                case .ok(.loan(let loan)): loans[cycle.member, default: []].append(loan.id)
                case .refused(let refusal): stats.count(error: refusal.code.name)
                default: stats.count(error: "UNEXPECTED_REPLY")
                }
                index += 1
                idle.append(cycle.member)
            }
            stats.countCycles(sent.cycles.count, commands: outcomes.count)
            if phase == .running { sendFrame(context) }
        case .error:
            let name = (try? BinaryPayloads.decodeError(bytes))?.code.name ?? "ERROR_FRAME"
            stats.count(error: name)
            if pending.removeValue(forKey: frame.header.requestID) != nil, phase == .running { sendFrame(context) }
            if frame.header.requestID == 0 { phase = .stopped }
        default:
            break
        }
    }

    private func sendFrame(_ context: ChannelHandlerContext) {
        guard !idle.isEmpty else { return }
        var requests: [Request] = []
        var cycles: [(member: MemberID, returned: LoanID?)] = []
        for _ in 0..<min(settings.batch, idle.count) {
            let index = Int(random.next() % UInt64(idle.count))
            idle.swapAt(index, idle.count - 1)
            let member = idle.removeLast()
            var returned: LoanID?
            if let held = loans[member], held.count >= settings.loansPerMember {
                returned = held[0]
                requests.append(Request(.returnLoan(held[0])))
            }
            requests.append(Request(.checkout(member: member, item: ItemID(1 + random.next() % settings.items))))
            cycles.append((member, returned))
        }
        let id = nextID
        nextID += 1
        pending[id] = (monotonicNanoseconds(), cycles)
        var buffer = context.channel.allocator.buffer(capacity: 32 + requests.count * 24)
        buffer.writeFrame(FrameHeader(format: .binary, opcode: .batch, requestID: id)) { $0.writeBytes(BinaryPayloads.encodeBatch(requests)) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stats.count(error: "CONNECTION: \(error)")
        context.close(promise: nil)
    }
}
