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
    var holdBook = HoldBook()
    /// The analytics counters while the coordinator holds them (`statisticsHere`): during
    /// replay, and in batches that ask for analytics. Otherwise the keeper holds them and moves
    /// them by each finished batch's events on another thread.
    var statistics = CirculationStatistics()
    var statisticsHere = true
    let keeper = StatisticsKeeper()
    /// Finished batches' events not yet handed to the keeper: small batches are handed over
    /// together, so that the keeper's worker starts once per `keeperHandOffEvents` events, not
    /// once per batch (a task and a thread wake-up each).
    var keeperBacklog: [[Event]] = []
    var keeperBacklogEvents = 0
    static let keeperHandOffEvents = 2_048
    /// Item types by item id (0: no item), for policy look-ups during planning.
    var itemTypes: [UInt8] = [0]
    /// Where each loan lives, by loan id, to route returns and renewals.
    var loanRoutes = ChunkedArray<LoanRoute>(repeating: .none, count: 1)
    /// Loans stored on each shard so far: the position the next loan there will take.
    var shardLoanCounts: [UInt32]

    var scheduler = WaveScheduler()
    /// Per-batch working storage, kept between batches so its capacity is reused.
    var scratch = BatchRun()
    /// Batches, replays and inspections run one at a time, in arrival order: the actor alone
    /// would let a second call start while the first waits for a shard.
    var gateBusy = false
    var gateWaiting: [CheckedContinuation<Void, Never>] = []
    /// The last hop of the previous batch (events of its last wave, which no outcome waits
    /// for), still running on the shards: it overlaps the batch's finish and the caller's next
    /// request. Every later visit to the shards waits for it first (`settleDelivery`).
    var delivery: Task<Void, Never>?

    public init(configuration: EngineConfiguration = EngineConfiguration(), clock: any EngineClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
        ownership = Ownership(shardCount: configuration.shardCount)
        shards = (0..<configuration.shardCount).map { Shard(index: $0, ownership: Ownership(shardCount: configuration.shardCount)) }
        policies = configuration.policies
        shardLoanCounts = Array(repeating: 0, count: configuration.shardCount)
    }

    // MARK: Running batches

    /// `actors` name who sent the requests, in order (commands beyond them: not named).
    public func execute(_ requests: [Request], actors: [ActorRun] = []) async -> BatchResult {
        precondition(requests.count <= Limits.commandsPerBatchMax, "batch of \(requests.count) commands exceeds \(Limits.commandsPerBatchMax)")
        // Planning needs no shard, so the previous batch's delivery may still run; the first
        // hop waits for it.
        await waitForGate()
        defer { leaveGate() }
        let now = max(clock.now(), lastTimestamp)
        beginBatch(at: now)
        return await runBatch(requests, actors: actors, now: now, expiringPickups: true)
    }

    /// Runs read-only commands and leaves no trace: no sequence numbers are consumed, the clock
    /// is not advanced, no idempotency key is evicted and no pickup expires, so the state stays
    /// exactly what the log rebuilds. For reads that are not logged (a full disk).
    public func executeReads(_ requests: [Request]) async -> [Outcome] {
        precondition(requests.allSatisfy { $0.command.isRead }, "executeReads with a command that writes")
        guard !requests.isEmpty else { return [] }
        await waitForGate()
        defer { leaveGate() }
        let sequence = nextSequence
        let result = await runBatch(requests, actors: [], now: max(clock.now(), lastTimestamp), expiringPickups: false)
        precondition(result.record.events.isEmpty, "reads emitted events")
        nextSequence = sequence
        return result.outcomes
    }

    /// Plans and runs, then finishes one batch in the kept working storage. The caller holds the gate.
    private func runBatch(_ requests: [Request], actors: [ActorRun], now: Timestamp, expiringPickups: Bool) async -> BatchResult {
        precondition(actors.reduce(0) { $0 + $1.count } <= requests.count, "more actors than requests")
        var batch = BatchRun()
        swap(&batch, &scratch)
        batch.reset(requests: requests, firstSequence: nextSequence, now: now)
        batch.actors = actors
        // Only analytics reads the counters: other batches leave them to the keeper.
        if requests.contains(where: \.command.isAnalytics) { await holdStatistics() } else { releaseStatistics() }
        if expiringPickups { expirePickups(&batch) }
        await run(&batch)
        let result = finish(&batch)
        if !statisticsHere, !result.record.events.isEmpty { handToKeeper(result.record.events) }
        // Let go of the caller's array, so that it can refill it in place for its next batch.
        batch.requests = []
        batch.actors = []
        swap(&batch, &scratch)
        return result
    }

    /// Replays a logged batch: the same events, applied the same way as when they were decided.
    public func apply(_ record: BatchRecord) async {
        await apply(contentsOf: [record])
    }

    /// Takes the gate, and with it shards whose state is complete (no delivery in flight).
    func enterGate() async {
        await waitForGate()
        await settleDelivery()
    }

    func waitForGate() async {
        guard gateBusy else {
            gateBusy = true
            return
        }
        await withCheckedContinuation { gateWaiting.append($0) }
    }

    /// Waits until the previous batch's last events are applied on every shard.
    func settleDelivery() async {
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

    func handToKeeper(_ events: [Event]) {
        keeperBacklog.append(events)
        keeperBacklogEvents += events.count
        if keeperBacklogEvents >= Self.keeperHandOffEvents { flushKeeperBacklog() }
    }

    func flushKeeperBacklog() {
        guard !keeperBacklog.isEmpty else { return }
        keeper.apply(contentsOf: keeperBacklog)
        keeperBacklog.removeAll(keepingCapacity: true)
        keeperBacklogEvents = 0
    }

    /// Takes the counters back from the keeper, once it has applied every batch handed to it.
    func holdStatistics() async {
        guard !statisticsHere else { return }
        flushKeeperBacklog()
        statistics = await keeper.take()
        statisticsHere = true
    }

    /// Hands the counters to the keeper, which then follows the batches' events.
    func releaseStatistics() {
        guard statisticsHere else { return }
        var counters = CirculationStatistics()
        swap(&counters, &statistics)
        keeper.give(counters)
        statisticsHere = false
    }

    func beginBatch(at now: Timestamp) {
        lastTimestamp = now
        keys.evict(rememberedAtOrBefore: Timestamp(rawValue: now.rawValue - configuration.idempotency.retentionMilliseconds))
    }

    // MARK: Coordinator-held state

    /// Keeps the coordinator's directories in step with the events, live and on replay.
    func applyToCoordinator(_ event: Event) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            itemTypes[Int(item.id.rawValue)] = item.type.rawValue
            if statisticsHere { statistics.itemSet(item) }
        case .loanCreated(let loan), .loanImported(let loan, _):
            if statisticsHere { statistics.loanMade(loan) }
            // The member's shard appends the loan when it applies this event, in the same order
            // as events reach it from here, so its position is known now.
            let shard = ownership.shard(of: loan.member)
            loanRoutes[Int(loan.id.rawValue)] = LoanRoute(member: loan.member.rawValue, item: loan.item.rawValue, position: shardLoanCounts[shard])
            shardLoanCounts[shard] += 1
        case .policySet(let key, let policy):
            policies.set(key, policy)
        case .keyRemembered(let record):
            keys.remember(record, keysMax: configuration.idempotency.keysMax)
        case .holdPlaced(let hold):
            holdBook.place(hold)
        case .holdReady(let hold):
            holdBook.markReady(hold)
        case .holdEnded(let hold, _):
            holdBook.remove(hold.id)
        case .memberRegistered:
            if statisticsHere { statistics.memberRegistered() }
        case .loanReturned(let loan, _, let item, _, _), .loanClosed(let loan, _, let item, _, _, _):
            if statisticsHere { statistics.loanEnded(loan, item: item) }
        case .loanRenewed(let loan, _, let dueAt, _):
            if statisticsHere { statistics.loanRenewed(loan, dueAt: dueAt) }
        case .memberChanged, .finePaid, .memberBlocked, .memberUnblocked:
            return
        }
    }

    /// A loan decided on the coordinator, whose event goes to the member's shard with the next
    /// hop. The shard appends it only then, after any loan it decides itself in the meantime (a
    /// checkout whose member and item it both owns), so its position is given at hand-over
    /// (`placeForwardedLoans`), not now.
    func recordForwardedLoan(_ loan: Loan, forward: inout Forwarding) {
        if statisticsHere { statistics.loanMade(loan) }
        loanRoutes[Int(loan.id.rawValue)] = LoanRoute(member: loan.member.rawValue, item: loan.item.rawValue, position: .max)
        forward.newLoans[ownership.shard(of: loan.member)].append(loan.id)
    }

    /// Gives the loans handed over to `shard` the positions the shard will append them at.
    func placeForwardedLoans(_ loans: inout [LoanID], on shard: Int) {
        guard !loans.isEmpty else { return }
        for id in loans {
            loanRoutes[Int(id.rawValue)].position = shardLoanCounts[shard]
            shardLoanCounts[shard] += 1
        }
        loans.removeAll(keepingCapacity: true)
    }

    func itemType(of item: ItemID) -> ItemType? {
        guard item.rawValue < UInt64(itemTypes.count) else { return nil }
        return ItemType(rawValue: itemTypes[Int(item.rawValue)])
    }

    /// Makes room in the directories for every id allocated so far.
    func growDirectories() {
        let items = Int(nextItemID)
        if itemTypes.count < items { itemTypes.append(contentsOf: repeatElement(0, count: items - itemTypes.count)) }
        let loans = Int(nextLoanID)
        if loanRoutes.count < loans { loanRoutes.append(contentsOf: repeatElement(.none, count: loans - loanRoutes.count)) }
        if statisticsHere { statistics.grow(items: items, members: Int(nextMemberID), loans: loans) }
    }
}
