/// How the coordinator will run one command of a batch. Plain data, so that the per-slot
/// array of plans is cheap to write and read; rare commands keep their payload in a side table
/// of the batch (`BatchRun.steps`, `.emailChanges`, `.policyChanges`).
enum SlotPlan: Sendable {
    /// Decided while planning (refusal, idempotent repeat); never runs.
    case settled
    /// Two-shard saga: member step, copy step, then the loan event on both.
    case checkout(member: MemberID, item: ItemID, loan: LoanID)
    /// An import (`BatchRun.imports[entry]`): for an active loan the checkout's saga (member
    /// step, copy step), for a returned one the member step alone; then the loan event.
    case importLoan(Int32, loan: LoanID)
    /// A return or renewal, decided on the loan's member's shard. For a loan made in an earlier
    /// batch, planning already read its route (`shard`, `position`), so building the wave need
    /// not read it again; for one made earlier in this batch (`position` = `unplaced`) the
    /// position is known only once that checkout has run, and is looked up when the wave is built.
    case loan(LoanID, action: LoanAction, shard: Int32, position: UInt32)
    /// One shard decides alone (`BatchRun.steps[step]`); the event it emits is forwarded to any
    /// other owners.
    case single(shard: Int32, step: Int32)
    /// Two-shard saga (`BatchRun.emailChanges[change]`): the member's checks, the new address's
    /// claim, then the event on up to three shards (member, new address, old address).
    case changeEmail(Int32)
    /// Every shard lists its overdue loans; the coordinator merges.
    case overdue(after: LoanID?, limit: Int32)
    /// Every shard lists its first items (members) after the cursor; the coordinator merges.
    case listItems(after: ItemID?, limit: Int32)
    case listMembers(after: MemberID?, limit: Int32)
    /// Policies live in the coordinator (`BatchRun.policyChanges[change]`); a barrier, alone in its wave.
    case setPolicy(Int32)
    /// Two-shard saga (member step, item step); the coordinator then adds the hold to its book.
    case placeHold(member: MemberID, item: ItemID)
    /// Decided by the coordinator from its hold book when the wave is built.
    case cancelHold(HoldID)
    case itemHolds(ItemID, after: HoldID?, limit: Int32)
    /// The member's shard confirms the member exists; the coordinator answers from its book.
    case memberHolds(MemberID)
    /// Answered by the coordinator from its counters when the (barrier) wave is built.
    indirect case analytics(AnalyticsQuery)
    /// Every shard searches its own index; the coordinator merges by score, then id.
    indirect case searchCatalog(String, after: SearchCursor?, limit: Int32)
}

/// What a command decided on its loan's member's shard does to the loan.
enum LoanAction: UInt8, Sendable {
    case giveBack, renew, declareLost, claimReturned
}

extension SlotPlan {
    /// The position of a loan whose route is looked up when its wave is built.
    static let unplaced = UInt32.max
}

struct EmailChange: Sendable {
    var member: MemberID
    var changes: MemberChanges
    var email: String
}

/// How a command's step that reads its member runs, for wave assignment.
enum MemberStep {
    /// Not on the member's shard (a registration runs on its address's shard).
    case elsewhere
    /// On the member's shard, but its effects on the member come later, as an event (checkout).
    case onMemberShard
    /// On the member's shard, which decides the command and applies its effects on the member
    /// within the step (return, renewal, payment, profile change, returned import, reads).
    case decidedOnMemberShard
}

/// Wave assignment. A command's wave is one past the latest wave of any earlier command in the
/// batch that touches the same member, item or e-mail address; barrier commands (policy changes,
/// e-mail changes, the overdue scan, the item and member lists) get a wave of their own after
/// everything before them and push everything after them later still. Within a wave no two
/// commands touch the same entity, so their steps commute and run in parallel, and the batch's
/// outcome equals running its commands one by one in sequence order.
///
/// One exception keeps chains on one member short: when the latest earlier command on a member
/// was decided on the member's shard within its step (`MemberStep.decidedOnMemberShard`), a
/// command whose member step also runs there may share its wave. Both steps then run on that
/// shard in one message, in sequence order (steps are queued in slot order, and the parts of a
/// wave reach a shard in order), and the later one sees the earlier one's effects on the
/// member, as it would serially. Their other entities (items, addresses) still follow the
/// strict rule. A return followed by a checkout for the same member (the benchmark's cycle)
/// thus takes one wave, not two.
///
/// A command may also only *read* its item (`itemReadOnly`: a returned import needs the item to
/// exist and its type, read from the coordinator's directory when its wave is built, and
/// changes nothing of it). Readers of an item commute with each other, so they need not follow
/// one another: a reader comes after the item's last writer, and a writer after its last
/// readers. A bestseller's history, imported in bulk, then takes one wave instead of one per loan.
struct WaveScheduler {
    private(set) var waves: [[Int32]] = []
    private var floor: Int32 = 0
    /// The latest wave of each item's exclusive users (writers), and of its readers.
    private var itemMarks: [UInt64] = []
    private var itemReadMarks: [UInt64] = []
    /// Whether this batch has readers at all: writers consult the read marks only if so.
    private var itemReadsInBatch = false
    private var memberMarks: [UInt64] = []
    private var emailMarks: [String: Int32] = [:]
    /// Waves of commands that named ids not yet allocated: a later command in the batch may
    /// create that id, and must then come after them (they saw it missing).
    private var futureItems: [UInt64: Int32] = [:]
    private var futureMembers: [UInt64: Int32] = [:]
    private var epoch: UInt64 = 0

    /// Starts a batch; entity ids below the given bounds may be scheduled.
    mutating func begin(itemIDLimit: UInt64, memberIDLimit: UInt64) {
        epoch += 1
        waves.removeAll(keepingCapacity: true)
        floor = 0
        emailMarks.removeAll(keepingCapacity: true)
        futureItems.removeAll(keepingCapacity: true)
        futureMembers.removeAll(keepingCapacity: true)
        itemReadsInBatch = false
        grow(itemIDLimit: itemIDLimit, memberIDLimit: memberIDLimit)
    }

    /// Makes ids below the limits schedulable; ids that earlier commands named before they
    /// existed start marked with those commands' waves.
    mutating func grow(itemIDLimit: UInt64, memberIDLimit: UInt64) {
        let epoch = epoch
        Self.grow(&itemMarks, to: itemIDLimit, future: &futureItems) { Self.stamp($0, epoch) }
        Self.grow(&memberMarks, to: memberIDLimit, future: &futureMembers) { Self.stamp($0, epoch) }
        // Readers of ids not yet allocated are marked as writers (in `futureItems`): conservative.
        if itemReadMarks.count < itemMarks.count { itemReadMarks.append(contentsOf: repeatElement(0, count: itemMarks.count - itemReadMarks.count)) }
    }

    private static func grow(_ marks: inout [UInt64], to limit: UInt64, future: inout [UInt64: Int32], stamp: (Int32) -> UInt64) {
        let first = marks.count
        guard first < Int(limit) else { return }
        marks.append(contentsOf: repeatElement(0, count: Int(limit) - first))
        guard !future.isEmpty else { return }
        for id in first..<Int(limit) {
            if let wave = future.removeValue(forKey: UInt64(id)) { marks[id] = stamp(wave) }
        }
    }

    /// Schedules a command touching these entities (reading only the item when `itemReadOnly`).
    mutating func schedule(
        slot: Int32, member: MemberID? = nil, memberStep: MemberStep = .elsewhere, item: ItemID? = nil, itemReadOnly: Bool = false, email: String? = nil
    ) {
        var wave = floor + 1
        if let member, member.rawValue < UInt64(memberMarks.count) {
            let last = memberMarks[Int(member.rawValue)]
            let shares = memberStep != .elsewhere && last & Self.decidedOnMemberShard != 0 && mark(last) != 0
            wave = max(wave, mark(last) + (shares ? 0 : 1))
        }
        let knownItem = item.map { $0.rawValue < UInt64(itemMarks.count) } ?? false
        if let item, knownItem {
            wave = max(wave, mark(itemMarks[Int(item.rawValue)]) + 1)
            if !itemReadOnly && itemReadsInBatch { wave = max(wave, mark(itemReadMarks[Int(item.rawValue)]) + 1) }
        }
        if let email, let last = emailMarks[email] { wave = max(wave, last + 1) }
        let epoch = epoch
        let decided = memberStep == .decidedOnMemberShard ? Self.decidedOnMemberShard : 0
        if let member { Self.mark(&memberMarks, &futureMembers, member.rawValue, wave) { Self.stamp($0, epoch) | decided } }
        if let item {
            if itemReadOnly && knownItem {
                let index = Int(item.rawValue)
                itemReadMarks[index] = Self.stamp(max(mark(itemReadMarks[index]), wave), epoch)
                itemReadsInBatch = true
            } else {
                Self.mark(&itemMarks, &futureItems, item.rawValue, wave) { Self.stamp($0, epoch) }
            }
        }
        if let email { emailMarks[email] = wave }
        place(slot, in: wave)
    }

    private static func mark(_ marks: inout [UInt64], _ future: inout [UInt64: Int32], _ id: UInt64, _ wave: Int32, _ stamp: (Int32) -> UInt64) {
        if id < UInt64(marks.count) {
            marks[Int(id)] = stamp(wave)
        } else {
            future[id] = max(future[id] ?? 0, wave)
        }
    }

    /// Asks for the marks that scheduling these entities will read (cache warming: see
    /// ShardState+Warm.swift).
    @inline(__always) func prefetch(member: UInt64, item: UInt64) {
        if member < UInt64(memberMarks.count) { memberMarks.prefetch(Int(member)) }
        guard item < UInt64(itemMarks.count) else { return }
        itemMarks.prefetch(Int(item))
        if itemReadsInBatch { itemReadMarks.prefetch(Int(item)) }
    }

    /// Schedules a command that must see everything before it and be seen by everything after.
    mutating func scheduleBarrier(slot: Int32) {
        let wave = Int32(waves.count) + 1
        floor = wave
        place(slot, in: wave)
    }

    private mutating func place(_ slot: Int32, in wave: Int32) {
        while waves.count < Int(wave) { waves.append([]) }
        waves[Int(wave) - 1].append(slot)
    }

    /// Set in a member's mark when the command that left it was decided on the member's shard.
    private static let decidedOnMemberShard: UInt64 = 1 << 31

    @inline(__always) private func mark(_ value: UInt64) -> Int32 { value >> 32 == epoch ? Int32(truncatingIfNeeded: value & 0x7fff_ffff) : 0 }
    @inline(__always) private static func stamp(_ wave: Int32, _ epoch: UInt64) -> UInt64 { epoch << 32 | UInt64(UInt32(wave)) }
}
