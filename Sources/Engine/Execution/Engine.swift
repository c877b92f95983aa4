#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct EngineConfiguration: Sendable {
    public var shardCount: Int
    public var idempotency: IdempotencyRetention
    public var policies: PolicyTable

    public init(shardCount: Int = EngineConfiguration.processorCount, idempotency: IdempotencyRetention = .standard, policies: PolicyTable = .defaults) {
        precondition((1...Limits.shardCountMax).contains(shardCount), "shard count must be in 1...\(Limits.shardCountMax)")
        self.shardCount = shardCount
        self.idempotency = idempotency
        self.policies = policies
    }

    public static var processorCount: Int { max(1, min(Limits.shardCountMax, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }
}

/// The outcome of one batch: one outcome per request, in order, and the record to log.
public struct BatchResult: Sendable {
    public var record: BatchRecord
    public var outcomes: [Outcome]
}

/// The sequencer and saga coordinator. It numbers each batch's commands, stamps the batch with
/// one time, schedules the commands into conflict-free waves and runs each wave as one parallel
/// round of shard hops. See docs/architecture.md.
public actor Engine {
    public nonisolated let configuration: EngineConfiguration
    let ownership: Ownership
    let shards: [Shard]
    let clock: any EngineClock

    // Engine-wide state (the digest header).
    var nextSequence: SequenceNumber = 1
    var lastTimestamp: Timestamp = .zero
    var nextItemID: UInt64 = 1
    var nextMemberID: UInt64 = 1
    var nextLoanID: UInt64 = 1
    var policies: PolicyTable
    var keys = IdempotencyStore()
    /// Item types by item id (0: no item), for policy look-ups during planning.
    var itemTypes: [UInt8] = [0]
    /// Where each loan lives, by loan id, to route returns and renewals.
    var loanRoutes = ChunkedArray<LoanRoute>(repeating: .none, count: 1)
    /// Loans stored on each shard so far: the position the next loan there will take.
    var shardLoanCounts: [UInt32]

    private var scheduler = WaveScheduler()
    /// Per-batch working storage, kept between batches so its capacity is reused.
    private var scratch = BatchRun()
    /// What cache warming read; kept only so that its loads stay.
    private var warmChecksum: UInt64 = 0
    /// Batches, replays and inspections run one at a time, in arrival order: the actor alone
    /// would let a second call start while the first waits for a shard.
    private var gateBusy = false
    private var gateWaiting: [CheckedContinuation<Void, Never>] = []
    /// The last hop of the previous batch (events of its last wave, which no outcome waits
    /// for), still running on the shards: it overlaps the batch's finish and the caller's next
    /// request. Every later visit to the shards waits for it first (`settleDelivery`).
    private var delivery: Task<Void, Never>?

    public init(configuration: EngineConfiguration = EngineConfiguration(), clock: any EngineClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
        ownership = Ownership(shardCount: configuration.shardCount)
        shards = (0..<configuration.shardCount).map { Shard(index: $0, ownership: Ownership(shardCount: configuration.shardCount)) }
        policies = configuration.policies
        shardLoanCounts = Array(repeating: 0, count: configuration.shardCount)
    }

    // MARK: Running batches

    public func execute(_ requests: [Request]) async -> BatchResult {
        precondition(requests.count <= Limits.commandsPerBatchMax, "batch of \(requests.count) commands exceeds \(Limits.commandsPerBatchMax)")
        // Planning needs no shard, so the previous batch's delivery may still run; the first
        // hop waits for it.
        await waitForGate()
        defer { leaveGate() }
        let now = max(clock.now(), lastTimestamp)
        beginBatch(at: now)
        var batch = BatchRun()
        swap(&batch, &scratch)
        batch.reset(requests: requests, firstSequence: nextSequence, now: now)
        plan(&batch)
        await run(&batch)
        let result = finish(&batch)
        // Let go of the caller's array, so that it can refill it in place for its next batch.
        batch.requests = []
        swap(&batch, &scratch)
        return result
    }

    /// Replays a logged batch: the same events, applied the same way as when they were decided.
    public func apply(_ record: BatchRecord) async {
        await enterGate()
        defer { leaveGate() }
        precondition(record.firstSequence >= nextSequence, "batch \(record.firstSequence) applied at sequence \(nextSequence)")
        beginBatch(at: record.timestamp)
        nextItemID = record.nextItemID
        nextMemberID = record.nextMemberID
        nextLoanID = record.nextLoanID
        growDirectories()
        var work = shards.map { _ in ShardWork(now: record.timestamp, policies: policies) }
        for event in record.events {
            applyToCoordinator(event)
            ownership.forEachOwner(of: event) { work[$0].events.append(event) }
        }
        _ = await hop(work)
        nextSequence = record.firstSequence + SequenceNumber(record.commandCount)
    }

    /// Takes the gate, and with it shards whose state is complete (no delivery in flight).
    func enterGate() async {
        await waitForGate()
        await settleDelivery()
    }

    private func waitForGate() async {
        guard gateBusy else {
            gateBusy = true
            return
        }
        await withCheckedContinuation { gateWaiting.append($0) }
    }

    /// Waits until the previous batch's last events are applied on every shard.
    private func settleDelivery() async {
        guard let pending = delivery else { return }
        delivery = nil
        await pending.value
    }

    /// Hands the gate to the next caller in line, if any.
    func leaveGate() {
        if gateWaiting.isEmpty {
            gateBusy = false
        } else {
            gateWaiting.removeFirst().resume()
        }
    }

    private func beginBatch(at now: Timestamp) {
        lastTimestamp = now
        keys.evict(rememberedAtOrBefore: Timestamp(rawValue: now.rawValue - configuration.idempotency.retentionMilliseconds))
    }

    // MARK: Planning

    private func plan(_ batch: inout BatchRun) {
        let firstLoanID = nextLoanID
        scheduler.begin(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
        let keysAtStart = keys.count
        let headOrdinal = keys.headOrdinal
        let keysMax = configuration.idempotency.keysMax
        var newKeys = 0
        var batchKeys: [String: (slot: Int32, ordinal: UInt64, fingerprint: UInt64)] = [:]

        // Whether the record with this ordinal is still remembered when the next new key is
        // about to be added (evictions by count always take the oldest ordinals).
        func isLive(_ ordinal: UInt64) -> Bool {
            ordinal >= headOrdinal + UInt64(max(0, keysAtStart + newKeys - keysMax))
        }

        for index in batch.requests.indices {
            if index % ShardState.warmRun == 0 {
                warmChecksum &+= warmPlanning(batch.requests, index..<min(index + ShardState.warmRun, batch.requests.count), firstLoanID: firstLoanID)
            }
            let slot = Int32(index)
            let request = batch.requests[index]
            var command = request.command
            batch.copyFrom[index] = nil

            if !command.isRead, let key = request.idempotencyKey {
                guard Validation.isValidIdempotencyKey(key) else {
                    batch.settle(index, .refused(.invalid(.idempotencyKey)))
                    continue
                }
                let fingerprint = command.fingerprint
                if let earlier = batchKeys[key], isLive(earlier.ordinal) {
                    batch.settle(index, .refused(Refusal(.idempotencyKeyReused)))
                    if earlier.fingerprint == fingerprint { batch.copyFrom[index] = earlier.slot }
                    continue
                }
                if batchKeys[key] == nil, let (ordinal, record) = keys.lookup(key), isLive(ordinal) {
                    batch.settle(index, record.fingerprint == fingerprint ? record.outcome : .refused(Refusal(.idempotencyKeyReused)))
                    continue
                }
                batchKeys[key] = (slot, keys.nextOrdinal + UInt64(newKeys), fingerprint)
                batch.keyed.append(KeyedSlot(slot: slot, key: key, fingerprint: fingerprint))
                newKeys += 1
            }

            switch Validation.validate(command) {
            case .failure(let refusal):
                batch.settle(index, .refused(refusal))
                continue
            case .success(let canonical):
                command = canonical
            }

            switch command {
            case .checkout(let member, let item):
                let loan = LoanID(nextLoanID)
                nextLoanID += 1
                batch.pendingRoutes.append(LoanRoute(member: member.rawValue, item: item.rawValue))
                batch.plans[index] = .checkout(member: member, item: item, loan: loan)
                scheduler.schedule(slot: slot, member: member, memberStep: .onMemberShard, item: item)
            case .returnLoan(let loan), .renewLoan(let loan):
                guard let route = route(of: loan, firstLoanID: firstLoanID, pending: batch.pendingRoutes) else {
                    batch.settle(index, .refused(Refusal(.loanNotFound)))
                    continue
                }
                let renew = if case .renewLoan = command { true } else { false }
                batch.plans[index] = .loan(loan, renew: renew)
                scheduler.schedule(slot: slot, member: MemberID(route.member), memberStep: .decidedOnMemberShard, item: ItemID(route.item))
            case .payFine(let member, let amount):
                planMember(&batch, slot, member, .payFine(slot: slot, member: member, amountCents: amount))
            case .createItem(let draft):
                let id = ItemID(nextItemID)
                nextItemID += 1
                scheduler.grow(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
                let item = Item(
                    id: id, isbn: draft.isbn, title: draft.title, author: draft.author, publisher: draft.publisher, year: draft.year,
                    type: draft.type, status: .active, totalCopies: draft.copies, availableCopies: draft.copies)
                planItem(&batch, slot, id, .createItem(slot: slot, item: item))
            case .updateItem(let id, let changes):
                planItem(&batch, slot, id, .updateItem(slot: slot, item: id, changes: changes))
            case .withdrawItem(let id):
                planItem(&batch, slot, id, .withdrawItem(slot: slot, item: id))
            case .addCopies(let id, let count):
                planItem(&batch, slot, id, .addCopies(slot: slot, item: id, count: count))
            case .removeCopies(let id, let count):
                planItem(&batch, slot, id, .removeCopies(slot: slot, item: id, count: count))
            case .getItem(let id):
                planItem(&batch, slot, id, .getItem(slot: slot, item: id))
            case .registerMember(let draft):
                let id = MemberID(nextMemberID)
                nextMemberID += 1
                scheduler.grow(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
                let member = Member(
                    id: id, email: draft.email, name: draft.name, tier: draft.tier, status: .active, cardExpiryDay: draft.cardExpiryDay,
                    finesOwedCents: 0, activeLoans: [])
                batch.plans[index] = batch.single(ownership.shard(ofEmail: draft.email), .registerMember(slot: slot, member: member))
                scheduler.schedule(slot: slot, member: id, email: draft.email)
            case .updateMember(let id, let changes):
                if let email = changes.email {
                    batch.emailChanges.append(EmailChange(member: id, changes: changes, email: email))
                    batch.plans[index] = .changeEmail(Int32(batch.emailChanges.count - 1))
                    scheduler.scheduleBarrier(slot: slot)
                } else {
                    planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .update(changes)))
                }
            case .suspendMember(let id):
                planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .suspend))
            case .reinstateMember(let id):
                planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .reinstate))
            case .getMember(let id):
                planMember(&batch, slot, id, .getMember(slot: slot, member: id))
            case .memberLoans(let id, let after, let limit):
                planMember(&batch, slot, id, .memberLoans(slot: slot, member: id, after: after, limit: limit))
            case .setPolicy(let key, let policy):
                batch.policyChanges.append((key, policy))
                batch.plans[index] = .setPolicy(Int32(batch.policyChanges.count - 1))
                scheduler.scheduleBarrier(slot: slot)
            case .overdueLoans(let after, let limit):
                batch.plans[index] = .overdue(after: after, limit: limit)
                scheduler.scheduleBarrier(slot: slot)
            }
        }
        batch.firstLoanID = firstLoanID
        growDirectories()
    }

    /// Touches the loan routes and schedule marks that planning these requests reads, in a
    /// tight loop of independent loads (cache warming: see ShardState+Warm.swift).
    private func warmPlanning(_ requests: [Request], _ range: Range<Int>, firstLoanID: UInt64) -> UInt64 {
        var checksum: UInt64 = 0
        for index in range {
            switch requests[index].command {
            case .checkout(let member, let item):
                checksum &+= scheduler.touch(member: member.rawValue, item: item.rawValue)
            case .returnLoan(let loan), .renewLoan(let loan):
                if loan.rawValue < firstLoanID, loan.rawValue < UInt64(loanRoutes.count) { checksum &+= loanRoutes[Int(loan.rawValue)].member }
            default:
                break
            }
        }
        for index in range {
            switch requests[index].command {
            case .returnLoan(let loan), .renewLoan(let loan):
                guard loan.rawValue < firstLoanID, loan.rawValue < UInt64(loanRoutes.count) else { continue }
                let route = loanRoutes[Int(loan.rawValue)]
                checksum &+= scheduler.touch(member: route.member, item: route.item)
            default:
                break
            }
        }
        return checksum
    }

    private func planItem(_ batch: inout BatchRun, _ slot: Int32, _ item: ItemID, _ step: ShardStep) {
        batch.plans[Int(slot)] = batch.single(ownership.shard(of: item), step)
        scheduler.schedule(slot: slot, item: item)
    }

    private func planMember(_ batch: inout BatchRun, _ slot: Int32, _ member: MemberID, _ step: ShardStep) {
        batch.plans[Int(slot)] = batch.single(ownership.shard(of: member), step)
        scheduler.schedule(slot: slot, member: member, memberStep: .decidedOnMemberShard)
    }

    private func route(of loan: LoanID, firstLoanID: UInt64, pending: [LoanRoute]) -> LoanRoute? {
        let id = loan.rawValue
        if id >= firstLoanID {
            let index = id - firstLoanID
            return index < UInt64(pending.count) ? pending[Int(index)] : nil
        }
        guard id > 0, id < UInt64(loanRoutes.count), loanRoutes[Int(id)].member != 0 else { return nil }
        return loanRoutes[Int(id)]
    }

    /// The step for a return or renewal, or nil when no loan has the id (its checkout, earlier
    /// in this batch, was refused).
    private func loanStep(slot: Int32, loan: LoanID, renew: Bool) -> (shard: Int, step: ShardStep)? {
        guard loan.rawValue < UInt64(loanRoutes.count) else { return nil }
        let route = loanRoutes[Int(loan.rawValue)]
        guard route.member != 0 else { return nil }
        let step: ShardStep = renew ? .renewLoan(slot: slot, loan: loan, index: route.position) : .returnLoan(slot: slot, loan: loan, index: route.position)
        return (ownership.shard(of: MemberID(route.member)), step)
    }

    // MARK: Running waves

    /// Commands of one wave sent to the shards in one round. A wave's commands commute, so a
    /// large wave is sent in parts and pipelined: the coordinator builds part k+1 while the
    /// shards run part k, and folds part k's verdicts while they run part k+1.
    static let partSlots = 512

    private func run(_ batch: inout BatchRun) async {
        await settleDelivery()
        let shards = shards
        var forward = Forwarding(shardCount: shards.count)
        for wave in scheduler.waves {
            var nextSlot = 0
            var running: Task<[ShardReply], Never>?
            while nextSlot < wave.count || running != nil {
                var nextWork: [ShardWork]?
                if nextSlot < wave.count {
                    let part = wave[nextSlot..<min(nextSlot + Self.partSlots, wave.count)]
                    // The first part of a wave carries what the previous wave decided.
                    nextWork = build(&batch, part, forward: &forward, delivering: nextSlot == 0)
                    nextSlot = part.endIndex
                }
                var replies: [ShardReply]?
                if let previous = running {
                    replies = await previous.value
                    running = nil
                }
                if let work = nextWork {
                    // Each shard finishes the previous part before it gets this one (awaited above).
                    running = Task.detached { await Self.visit(shards, with: work) }
                }
                guard let replies else { continue }
                for (shard, reply) in replies.enumerated() {
                    for result in reply.results {
                        complete(&batch, result, reply: reply, from: shard, forward: &forward)
                    }
                }
            }
        }
        if !forward.isEmpty {
            // No outcome depends on this hop: start it and return (see `delivery`).
            let work = shards.indices.map {
                ShardWork(events: forward.events[$0], releases: forward.releases[$0], copiesReserved: true, now: batch.now, policies: policies)
            }
            delivery = Task.detached { _ = await Self.visit(shards, with: work) }
        }
    }

    /// The shards' work for some commands of one wave (and, for its first part, the events and
    /// releases the previous wave left for them).
    private func build(_ batch: inout BatchRun, _ slots: ArraySlice<Int32>, forward: inout Forwarding, delivering: Bool) -> [ShardWork] {
        var work = shards.map { _ in ShardWork(copiesReserved: true, now: batch.now, policies: policies) }
        if delivering {
            for shard in work.indices {
                swap(&work[shard].events, &forward.events[shard])
                swap(&work[shard].releases, &forward.releases[shard])
            }
        }
        for slot in slots {
            switch batch.plans[Int(slot)] {
            case .settled:
                preconditionFailure("a settled command was scheduled")
            case .checkout(let member, let item, _):
                let type = itemType(of: item)
                batch.itemTypes[Int(slot)] = type
                work[ownership.shard(of: member)].steps.append(.checkoutMember(slot: slot, member: member, item: item, itemType: type))
                work[ownership.shard(of: item)].steps.append(.checkoutItem(slot: slot, item: item))
            case .single(let shard, let step):
                work[Int(shard)].steps.append(batch.steps[Int(step)])
            case .loan(let loan, let renew):
                if let (shard, step) = loanStep(slot: slot, loan: loan, renew: renew) {
                    work[shard].steps.append(step)
                } else {
                    batch.decide(slot, .refused(Refusal(.loanNotFound)), event: nil)
                }
            case .changeEmail(let change):
                let (member, changes, email) = (batch.emailChanges[Int(change)].member, batch.emailChanges[Int(change)].changes, batch.emailChanges[Int(change)].email)
                work[ownership.shard(of: member)].steps.append(.changeMember(slot: slot, member: member, change: .update(changes)))
                work[ownership.shard(ofEmail: email)].steps.append(.claimEmail(slot: slot, email: email, member: member))
            case .overdue(let after, let limit):
                for shard in work.indices { work[shard].steps.append(.overdueLoans(slot: slot, after: after, limit: limit + 1)) }
            case .setPolicy(let change):
                let (key, policy) = batch.policyChanges[Int(change)]
                let event = Event.policySet(key, policy)
                applyToCoordinator(event)
                batch.decide(slot, .ok(.policy(key, policy)), event: event)
            }
        }
        return work
    }

    /// Folds one step's verdict into its command's outcome, completing sagas whose last step
    /// has answered and queueing their events for the owning shards' next hop.
    private func complete(_ batch: inout BatchRun, _ result: StepResult, reply: ShardReply, from shard: Int, forward: inout Forwarding) {
        let index = Int(result.slot)
        switch batch.plans[index] {
        case .single, .loan:
            switch result.verdict {
            case .decided(let outcomeIndex, let eventIndex):
                let event = eventIndex < 0 ? nil : reply.events[Int(eventIndex)]
                batch.decide(result.slot, reply.outcomes[Int(outcomeIndex)], event: event)
                if let event {
                    applyToCoordinator(event)
                    ownership.forEachOwner(of: event) { owner in
                        if owner != shard { forward.events[owner].append(event) }
                    }
                }
            case .refused(let refusal):
                batch.decide(result.slot, .refused(refusal), event: nil)
            case .cleared, .profileCleared, .overdue:
                preconditionFailure("single-shard step answered with a saga verdict")
            }
        case .checkout(let member, let item, let loanID):
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, itemVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            if let refusal = Circulation.combineCheckout(member: memberVerdict, item: itemVerdict) {
                if case .cleared = itemVerdict { forward.releases[ownership.shard(of: item)].append(item) }
                batch.decide(result.slot, .refused(refusal), event: nil)
                return
            }
            guard case .cleared(let dueAt) = memberVerdict, let type = batch.itemTypes[index] else { preconditionFailure("cleared checkout without due date") }
            let loan = Loan(id: loanID, item: item, member: member, itemType: type, checkedOutAt: batch.now, dueAt: dueAt)
            let event = Event.loanCreated(loan)
            applyToCoordinator(event)
            // The item's part (one copy fewer) was taken by the item step's reservation.
            forward.events[ownership.shard(of: member)].append(event)
            batch.decide(result.slot, .ok(.loan(loan)), event: event)
        case .changeEmail:
            if case .decided(let outcomeIndex, let eventIndex) = result.verdict {
                // The address did not change, so the member's shard decided alone. Settle it now,
                // while its reply is at hand; the claim's answer is then moot.
                let event = eventIndex < 0 ? nil : reply.events[Int(eventIndex)]
                batch.decide(result.slot, reply.outcomes[Int(outcomeIndex)], event: event)
                if let event {
                    ownership.forEachOwner(of: event) { owner in
                        if owner != shard { forward.events[owner].append(event) }
                    }
                }
            }
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, emailVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            switch memberVerdict {
            case .refused(let refusal):
                batch.decide(result.slot, .refused(refusal), event: nil)
            case .decided:
                return
            case .profileCleared(let member, let previousEmail):
                if case .refused(let refusal) = emailVerdict {
                    batch.decide(result.slot, .refused(refusal), event: nil)
                    return
                }
                let event = Event.memberChanged(MemberProfile(member), previousEmail: previousEmail)
                ownership.forEachOwner(of: event) { forward.events[$0].append(event) }
                batch.decide(result.slot, .ok(.member(member)), event: event)
            case .cleared, .overdue:
                preconditionFailure("member step answered with the wrong verdict")
            }
        case .overdue(_, let limit):
            guard case .overdue(let loans) = result.verdict else { preconditionFailure("overdue step answered with the wrong verdict") }
            batch.overdue[index, default: []].append(contentsOf: loans)
            batch.overdueAnswers[index, default: 0] += 1
            guard batch.overdueAnswers[index] == shards.count else { return }
            let merged = batch.overdue[index]!.sorted { $0.id < $1.id }
            let page = Array(merged.prefix(Int(limit)))
            batch.decide(result.slot, .ok(.loans(page, next: merged.count > Int(limit) ? page.last?.id : nil)), event: nil)
        case .setPolicy, .settled:
            preconditionFailure("no shard step belongs to this command")
        }
    }

    /// One parallel round: each shard with work gets exactly one message.
    func hop(_ work: [ShardWork]) async -> [ShardReply] {
        await settleDelivery()
        return await Self.visit(shards, with: work)
    }

    private nonisolated static func visit(_ shards: [Shard], with work: [ShardWork]) async -> [ShardReply] {
        var results = [ShardReply](repeating: ShardReply(), count: shards.count)
        let busy = work.indices.filter { !work[$0].isEmpty }
        if busy.count == 1, let only = busy.first {
            results[only] = await shards[only].run(work[only])
            return results
        }
        await withTaskGroup(of: (Int, ShardReply).self) { group in
            for shard in busy {
                let shardWork = work[shard]
                let actor = shards[shard]
                group.addTask { (shard, await actor.run(shardWork)) }
            }
            for await (shard, shardResults) in group { results[shard] = shardResults }
        }
        return results
    }

    // MARK: Finishing

    private func finish(_ batch: inout BatchRun) -> BatchResult {
        for index in batch.requests.indices {
            if let source = batch.copyFrom[index] { batch.outcomes[index] = batch.outcomes[Int(source)] }
        }
        var events: [Event] = []
        events.reserveCapacity(batch.requests.count)
        var keyed = batch.keyed.makeIterator()
        var nextKeyed = keyed.next()
        for index in batch.requests.indices {
            if let event = batch.events[index] { events.append(event) }
            if let current = nextKeyed, Int(current.slot) == index {
                let record = IdempotencyRecord(
                    key: current.key, fingerprint: current.fingerprint, sequence: batch.firstSequence + SequenceNumber(index),
                    rememberedAt: batch.now, outcome: batch.outcomes[index]!)
                let event = Event.keyRemembered(record)
                applyToCoordinator(event)
                events.append(event)
                nextKeyed = keyed.next()
            }
        }
        nextSequence = batch.firstSequence + SequenceNumber(batch.requests.count)
        growDirectories()
        let record = BatchRecord(
            firstSequence: batch.firstSequence, commandCount: UInt32(batch.requests.count), timestamp: batch.now, nextItemID: nextItemID,
            nextMemberID: nextMemberID, nextLoanID: nextLoanID, events: events)
        return BatchResult(record: record, outcomes: batch.outcomes[0..<batch.requests.count].map { $0! })
    }

    // MARK: Coordinator-held state

    /// Keeps the coordinator's directories in step with the events, live and on replay.
    func applyToCoordinator(_ event: Event) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            itemTypes[Int(item.id.rawValue)] = item.type.rawValue
        case .loanCreated(let loan):
            // The member's shard appends the loan when it applies this event, in the same order
            // as events reach it from here, so its position is known now.
            let shard = ownership.shard(of: loan.member)
            loanRoutes[Int(loan.id.rawValue)] = LoanRoute(member: loan.member.rawValue, item: loan.item.rawValue, position: shardLoanCounts[shard])
            shardLoanCounts[shard] += 1
        case .policySet(let key, let policy):
            policies.set(key, policy)
        case .keyRemembered(let record):
            keys.remember(record, keysMax: configuration.idempotency.keysMax)
        case .memberRegistered, .memberChanged, .loanReturned, .loanRenewed, .finePaid:
            return
        }
    }

    private func itemType(of item: ItemID) -> ItemType? {
        guard item.rawValue < UInt64(itemTypes.count) else { return nil }
        return ItemType(rawValue: itemTypes[Int(item.rawValue)])
    }

    /// Makes room in the directories for every id allocated so far.
    func growDirectories() {
        let items = Int(nextItemID)
        if itemTypes.count < items { itemTypes.append(contentsOf: repeatElement(0, count: items - itemTypes.count)) }
        let loans = Int(nextLoanID)
        if loanRoutes.count < loans { loanRoutes.append(contentsOf: repeatElement(.none, count: loans - loanRoutes.count)) }
    }

    // MARK: Inspection

    /// The header as of the last finished batch. Waits its turn behind running batches, so it
    /// never shows a batch half done.
    public func currentHeader() async -> EngineHeader {
        await enterGate()
        defer { leaveGate() }
        return header
    }

    /// Unguarded: for callers that hold the gate.
    var header: EngineHeader {
        EngineHeader(
            nextSequence: nextSequence, lastTimestamp: lastTimestamp, nextItemID: nextItemID, nextMemberID: nextMemberID, nextLoanID: nextLoanID,
            policies: policies, rememberedKeys: Array(keys.live))
    }

    /// A digest of all state, independent of the shard count.
    public func digest() async -> StateDigest {
        await enterGate()
        defer { leaveGate() }
        var digester = StateDigester()
        for shard in shards { digester.combine(await shard.digest()) }
        return digester.finish(header: header)
    }

    public func counts() async -> EngineCounts {
        await enterGate()
        defer { leaveGate() }
        var counts = EngineCounts()
        for shard in shards { counts.add(await shard.counts()) }
        return counts
    }

    /// Every broken invariant, described; empty when all hold.
    public func invariantViolations() async -> [String] {
        await enterGate()
        defer { leaveGate() }
        var violations: [String] = []
        var copiesOut: [ItemID: Int32] = [:]
        var activeLoans: [ItemID: Int32] = [:]
        var emailIndex: [String: MemberID] = [:]
        var memberEmails: [String: MemberID] = [:]
        for shard in shards {
            let report = await shard.invariantReport()
            violations += report.violations
            copiesOut.merge(report.copiesOut) { $0 + $1 }
            activeLoans.merge(report.activeLoansByItem) { $0 + $1 }
            emailIndex.merge(report.emailIndex) { first, _ in first }
            memberEmails.merge(report.memberEmails) { first, _ in first }
        }
        // The index holds exactly the members' addresses: a stale entry would block an address.
        if emailIndex != memberEmails {
            let stale = emailIndex.filter { memberEmails[$0.key] != $0.value }.keys.sorted()
            let missing = memberEmails.filter { emailIndex[$0.key] != $0.value }.keys.sorted()
            violations.append("e-mail index out of step: stale \(stale.prefix(5)), missing \(missing.prefix(5))")
        }
        for item in Set(copiesOut.keys).union(activeLoans.keys).sorted() where copiesOut[item, default: 0] != activeLoans[item, default: 0] {
            violations.append("item \(item): \(copiesOut[item, default: 0]) copies out but \(activeLoans[item, default: 0]) active loans")
        }
        return violations
    }
}

/// Where a loan lives: its member (whose shard holds it), its item, and its position in that
/// shard's loan storage.
struct LoanRoute: Sendable, Hashable {
    var member: UInt64
    var item: UInt64
    var position: UInt32 = 0

    static let none = LoanRoute(member: 0, item: 0)
}

/// What the next hop must deliver to each shard: events decided in the last wave that touch
/// it, and copies to put back for checkouts refused after their item step reserved one.
struct Forwarding {
    var events: [[Event]]
    var releases: [[ItemID]]

    init(shardCount: Int) {
        events = Array(repeating: [], count: shardCount)
        releases = Array(repeating: [], count: shardCount)
    }

    var isEmpty: Bool { events.allSatisfy(\.isEmpty) && releases.allSatisfy(\.isEmpty) }
}

struct KeyedSlot {
    var slot: Int32
    var key: String
    var fingerprint: UInt64
}

/// The working state of one batch inside the coordinator. Kept between batches; per-slot
/// arrays only grow, and every slot a batch uses is written before it is read.
struct BatchRun {
    var requests: [Request] = []
    var firstSequence: SequenceNumber = 0
    var now: Timestamp = .zero
    var firstLoanID: UInt64 = 0
    var outcomes: [Outcome?] = []
    var events: [Event?] = []
    var plans: [SlotPlan] = []
    /// In-batch repeats of an idempotency key: the slot whose outcome they share.
    var copyFrom: [Int32?] = []
    var itemTypes: [ItemType?] = []
    /// The first answer of a two-step saga, until the second arrives (nil between batches).
    var firstAnswers: [StepVerdict?] = []
    var keyed: [KeyedSlot] = []
    var pendingRoutes: [LoanRoute] = []
    var steps: [ShardStep] = []
    var emailChanges: [EmailChange] = []
    var policyChanges: [(PolicyKey, Policy)] = []
    var overdue: [Int: [Loan]] = [:]
    var overdueAnswers: [Int: Int] = [:]

    /// Prepares for a new batch, keeping the capacity of every buffer.
    mutating func reset(requests: [Request], firstSequence: SequenceNumber, now: Timestamp) {
        self.requests = requests
        self.firstSequence = firstSequence
        self.now = now
        firstLoanID = 0
        let missing = requests.count - plans.count
        if missing > 0 {
            outcomes.append(contentsOf: repeatElement(nil, count: missing))
            events.append(contentsOf: repeatElement(nil, count: missing))
            plans.append(contentsOf: repeatElement(.settled, count: missing))
            copyFrom.append(contentsOf: repeatElement(nil, count: missing))
            itemTypes.append(contentsOf: repeatElement(nil, count: missing))
            firstAnswers.append(contentsOf: repeatElement(nil, count: missing))
        }
        keyed.removeAll(keepingCapacity: true)
        pendingRoutes.removeAll(keepingCapacity: true)
        steps.removeAll(keepingCapacity: true)
        emailChanges.removeAll(keepingCapacity: true)
        policyChanges.removeAll(keepingCapacity: true)
        if !overdue.isEmpty { overdue.removeAll() }
        if !overdueAnswers.isEmpty { overdueAnswers.removeAll() }
    }

    /// Decides a command while planning: it will not run.
    mutating func settle(_ index: Int, _ outcome: Outcome) {
        outcomes[index] = outcome
        events[index] = nil
        plans[index] = .settled
    }

    mutating func single(_ shard: Int, _ step: ShardStep) -> SlotPlan {
        steps.append(step)
        return .single(shard: Int32(shard), step: Int32(steps.count - 1))
    }

    mutating func decide(_ slot: Int32, _ outcome: Outcome, event: Event?) {
        outcomes[Int(slot)] = outcome
        events[Int(slot)] = event
    }

    /// Nil while the saga's other step has not answered (the verdict is kept); else that step's verdict.
    mutating func firstVerdict(_ result: StepResult) -> StepVerdict? {
        let index = Int(result.slot)
        if let other = firstAnswers[index] {
            firstAnswers[index] = nil
            return other
        }
        firstAnswers[index] = result.verdict
        return nil
    }
}
