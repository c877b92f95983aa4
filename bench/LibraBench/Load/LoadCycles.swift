import Engine
import LibraProtocol
import NIOCore

/// One load connection's checkout cycles, apart from its socket: it owns a disjoint set of
/// members (so connections never conflict on a member), keeps `inFlight` frames outstanding, and
/// builds each frame from `batch` cycles. A cycle returns the member's oldest loan when at the
/// limit, then checks out a random item.
struct LoadCycles {
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
    private(set) var phase = Phase.greeting
    private var random: SplitMix64
    /// The bookkeeping is kept in flat arrays by member ordinal (the member's index in
    /// `settings.members`) and by frame slot, so that a cycle costs the client no hashing and no
    /// allocation: on a 2-core machine the client's CPU is taken from the server.
    /// Each member's active loans, oldest first, by ordinal.
    private let rings: MemberLoanRings
    /// Members not in a frame in flight.
    private var idle: [Int32]
    /// Frames in flight by slot: a frame's request id carries its slot in the low 16 bits.
    private var slotIDs: [UInt64]
    private var slotSentAt: [UInt64]
    private var slotCycles: [Int32]
    /// Per slot, `batch` entries: the cycle's member ordinal, and the loan its return gives
    /// back (0: no return).
    private var slotMembers: [Int32]
    private var slotReturns: [UInt64]
    private var freeSlots: [Int32]
    private var nextSequence: UInt64 = 1
    private var encoder = ByteWriter(capacity: 1024)

    init(settings: Settings, held: [MemberID: [LoanID]]) {
        precondition(settings.inFlight <= 0xffff, "a request id keeps the slot in 16 bits")
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
        let most = settings.members.map { held[$0]?.count ?? 0 }.max() ?? 0
        // Room beyond the limit: a member whose return is refused may still borrow, if the
        // server's limit for it is higher than `loansPerMember`.
        rings = MemberLoanRings(entries: settings.members.count, ringSlots: max(settings.loansPerMember, most) + 8)
        idle = Array(0..<Int32(settings.members.count))
        let slots = settings.inFlight
        slotIDs = Array(repeating: 0, count: slots)
        slotSentAt = Array(repeating: 0, count: slots)
        slotCycles = Array(repeating: 0, count: slots)
        slotMembers = Array(repeating: 0, count: slots * settings.batch)
        slotReturns = Array(repeating: 0, count: slots * settings.batch)
        freeSlots = Array((0..<Int32(slots)).reversed())
        for (ordinal, member) in settings.members.enumerated() {
            for loan in held[member] ?? [] { rings.pushNewest(loan, member: ordinal) }
        }
    }

    /// The connection's first frame.
    func writeHello(to output: inout ByteBuffer) {
        output.writeHelloFrame(requestID: 0, token: settings.token)
    }

    /// Stops sending; answers still arriving are counted.
    mutating func stop() { phase = .stopped }

    /// Takes one answer; the frames it lets the connection send are appended to `output`.
    mutating func take(_ header: FrameHeader, payload: inout ByteBuffer, output: inout ByteBuffer, stats: LoadStatistics) {
        switch header.opcode {
        case .welcome:
            guard phase == .greeting else { return }
            phase = .running
            for _ in 0..<settings.inFlight { writeFrame(to: &output) }
        case .results:
            guard let slot = takeSlot(header.requestID) else {
                stats.count(error: "UNEXPECTED_REPLY")
                return
            }
            stats.recordLatency(nanoseconds: monotonicNanoseconds() - slotSentAt[slot])
            let cycles = Int(slotCycles[slot])
            let first = slot * settings.batch
            // Per outcome: the loan id of a loan reply, 0 for a refusal (its code counted).
            let skimmed: SeedWire.Skimmed
            do {
                skimmed = try SeedWire.skimResults(&payload, wantIDs: true)
            } catch {
                stats.count(error: "UNDECODABLE")
                return
            }
            var index = 0
            for cycle in first..<first + cycles {
                let ordinal = Int(slotMembers[cycle])
                if slotReturns[cycle] != 0 {
                    // Given back: the member's oldest loan, the one the frame named.
                    if index < skimmed.ids.count, skimmed.ids[index] != 0 { rings.popOldest(member: ordinal) }
                    index += 1
                }
                if index < skimmed.ids.count, skimmed.ids[index] != 0 { rings.pushNewest(LoanID(skimmed.ids[index]), member: ordinal) }
                index += 1
                idle.append(Int32(ordinal))
            }
            if index != skimmed.ids.count { stats.count(error: "UNEXPECTED_REPLY") }
            for (code, count) in skimmed.refused { stats.count(error: code.name, times: count) }
            stats.countCycles(cycles, commands: skimmed.ids.count)
            freeSlots.append(Int32(slot))
            writeFrame(to: &output)
        case .error:
            let bytes = payload.readBytes(length: payload.readableBytes) ?? []
            let name = (try? BinaryPayloads.decodeError(bytes))?.code.name ?? "ERROR_FRAME"
            stats.count(error: name)
            if let slot = takeSlot(header.requestID) {
                let first = slot * settings.batch
                for cycle in first..<first + Int(slotCycles[slot]) { idle.append(slotMembers[cycle]) }
                freeSlots.append(Int32(slot))
                writeFrame(to: &output)
            }
            // An error about the connection itself (a refused token): nothing more will be served.
            if header.requestID == 0 { phase = .stopped }
        default:
            stats.count(error: "UNEXPECTED_FRAME_\(header.opcode)")
        }
    }

    /// The slot of the frame in flight with this request id, or nil.
    private mutating func takeSlot(_ requestID: UInt64) -> Int? {
        let slot = Int(requestID & 0xffff)
        guard slot < slotIDs.count, slotIDs[slot] == requestID, requestID != 0 else { return nil }
        slotIDs[slot] = 0
        return slot
    }

    /// Appends the next BATCH frame to `output`, if running with a free slot and an idle member.
    private mutating func writeFrame(to output: inout ByteBuffer) {
        guard phase == .running, !idle.isEmpty, let free = freeSlots.popLast() else { return }
        let slot = Int(free)
        let first = slot * settings.batch
        let cycles = min(settings.batch, idle.count)
        encoder.removeAll()
        var commands = 0
        for cycle in first..<first + cycles {
            let index = Int(random.next() % UInt64(idle.count))
            idle.swapAt(index, idle.count - 1)
            let ordinal = Int(idle.removeLast())
            let member = settings.members[ordinal]
            slotMembers[cycle] = Int32(ordinal)
            slotReturns[cycle] = 0
            if rings.loanCount(ordinal) >= settings.loansPerMember {
                let oldest = rings.oldest(member: ordinal)
                slotReturns[cycle] = oldest.rawValue
                Request(.returnLoan(oldest)).encode(to: &encoder)
                commands += 1
            }
            Request(.checkout(member: member, item: ItemID(1 + random.next() % settings.items))).encode(to: &encoder)
            commands += 1
        }
        let id = nextSequence << 16 | UInt64(slot)
        nextSequence += 1
        slotIDs[slot] = id
        slotCycles[slot] = Int32(cycles)
        slotSentAt[slot] = monotonicNanoseconds()
        output.writeBatchFrame(requestID: id, commandCount: commands) { $0.writeBytes(encoder.bytes) }
    }
}
