/// The whole engine state at a batch boundary, independent of the shard count: what a snapshot
/// file holds.
public struct EngineSnapshot: SnapshotContent {
    public var header: EngineHeader
    /// Ascending by id.
    public var items: [Item]
    public var members: [Member]
    public var loans: [Loan]

    public var itemCount: Int { items.count }
    public var memberCount: Int { members.count }
    public var loanCount: Int { loans.count }
    public func forEachItem(_ body: (Item) -> Bool) { for item in items where !body(item) { return } }
    public func forEachMember(_ body: (Member) -> Bool) { for member in members where !body(member) { return } }
    public func forEachLoan(_ body: (Loan) -> Bool) { for loan in loans where !body(loan) { return } }

    public init(header: EngineHeader, items: [Item], members: [Member], loans: [Loan]) {
        self.header = header
        self.items = items
        self.members = members
        self.loans = loans
    }
}

extension Engine {
    /// Captures the state between two batches. Commands wait only while the shards hand over
    /// their arrays (copy on write, no copying).
    public func capture() async -> EngineCapture {
        await enterGate()
        defer { leaveGate() }
        var captures: [ShardCapture] = []
        for shard in shards { captures.append(await shard.capture()) }
        return EngineCapture(header: header, shards: captures)
    }

    /// The state between two batches in id order: `capture()`, then merged after the gate is
    /// released. (A snapshot file is written from the capture itself, without these arrays.)
    public func snapshot() async -> EngineSnapshot {
        await capture().merged()
    }

    /// Replaces an empty engine's state with a snapshot's. Shards load in parallel.
    public func restore(_ snapshot: EngineSnapshot) async {
        await enterGate()
        defer { leaveGate() }
        precondition(nextSequence == 1 && nextItemID == 1, "restore into an engine that has run batches")
        // Reads alone (`executeReads`) leave no trace but hand the (empty) counters to the
        // keeper: take them back, since the snapshot's entities rebuild them here.
        await holdStatistics()
        let header = snapshot.header
        nextSequence = header.nextSequence
        lastTimestamp = header.lastTimestamp
        nextItemID = header.nextItemID
        nextMemberID = header.nextMemberID
        nextLoanID = header.nextLoanID
        policies = header.policies
        for record in header.rememberedKeys { keys.remember(record, keysMax: Int.max) }
        holdBook = HoldBook(header.holds)
        growDirectories()

        // Each shard takes its own entities from the shared arrays, in parallel; the coordinator
        // meanwhile builds its directories. Nothing is copied into intermediate lists.
        let (items, members, loans) = (snapshot.items, snapshot.members, snapshot.loans)
        await withTaskGroup(of: Void.self) { group in
            for shard in shards {
                group.addTask { await shard.loadOwned(items: items, members: members, loans: loans) }
            }
            for item in items {
                itemTypes[Int(item.id.rawValue)] = item.type.rawValue
                statistics.itemSet(item)
            }
            statistics.memberRegistered(count: members.count)
            for loan in loans {
                statistics.loanMade(loan)
                let shard = ownership.shard(of: loan.member)
                loanRoutes[Int(loan.id.rawValue)] = LoanRoute(member: loan.member.rawValue, item: loan.item.rawValue, position: shardLoanCounts[shard])
                shardLoanCounts[shard] += 1
            }
            await group.waitForAll()
        }
    }

    /// Starts the work a restored engine defers until its log is replayed: building each
    /// shard's search index from a loaded snapshot, in the background.
    public func startDeferredWork() async {
        await enterGate()
        defer { leaveGate() }
        for shard in shards { await shard.buildCatalogInBackground() }
    }

    /// Replays many logged batches with one visit per shard in all, for recovery: the
    /// coordinator's own state advances record by record (clock, counters, remembered keys),
    /// while the shards receive all the events at once, in order.
    ///
    /// Returns once the coordinator has taken the records in; the shards may still be applying
    /// their events (see `delivery`), so that the next chunk's coordinator work overlaps them.
    public func apply(contentsOf records: [BatchRecord]) async {
        await apply(ReplayChunk(records))
    }

    /// The same for batches decoded straight into a chunk (recovery).
    public func apply(_ chunk: ReplayChunk) async {
        guard let last = chunk.headers.last else { return }
        // The coordinator's part needs no shard: the previous chunk's delivery may still run.
        await waitForGate()
        defer { leaveGate() }
        await holdStatistics()
        var work = shards.map { _ in ShardWork(now: last.timestamp, policies: policies) }
        // Counters only grow, so the last record's bound the whole chunk: grow the directories once.
        (nextItemID, nextMemberID, nextLoanID) = (max(nextItemID, last.nextItemID), max(nextMemberID, last.nextMemberID), max(nextLoanID, last.nextLoanID))
        growDirectories()
        let events = chunk.events
        var warmed = 0
        for (index, header) in chunk.headers.enumerated() {
            // Batches that changed nothing (reads) are not logged, so sequence numbers may skip ahead.
            precondition(header.firstSequence >= nextSequence, "batch \(header.firstSequence) applied at sequence \(nextSequence)")
            replayHeader(header)
            let range = chunk.events(of: index).indices
            for position in range {
                if position >= warmed {
                    warmed = min(position + Self.replayWarmEvents, events.count)
                    warmReplay(events[position..<warmed])
                }
                let event = events[position]
                applyToCoordinator(event)
                // The route knows where a returned or renewed loan sits: no search on the shard.
                var loanPosition = UInt32.max
                var memberShard = -1
                switch event {
                case .loanReturned(let loan, let member, _, _, _), .loanRenewed(let loan, let member, _, _), .loanClosed(let loan, let member, _, _, _, _):
                    loanPosition = loanRoutes[Int(loan.rawValue)].position
                    memberShard = ownership.shard(of: member)
                default:
                    break
                }
                ownership.forEachOwner(of: event) { shard in
                    work[shard].events.append(event)
                    work[shard].eventLoanPositions.append(shard == memberShard ? loanPosition : .max)
                }
            }
        }
        await settleDelivery()
        let shards = shards
        delivery = Task.detached { _ = await Self.visit(shards, with: work) }
    }
}

extension Engine {
    /// Events whose coordinator reads are warmed together (see `warmReplay`).
    static let replayWarmEvents = 32

    /// Asks for what loan events will read and update in the coordinator (loan routes,
    /// analytics counters), so that their cache misses overlap instead of stalling the replay
    /// one at a time (see ShardState+Warm.swift).
    func warmReplay(_ events: ArraySlice<Event>) {
        for event in events {
            switch event {
            case .loanCreated(let loan), .loanImported(let loan, _):
                statistics.prefetch(item: loan.item.rawValue, member: loan.member.rawValue, loan: loan.id.rawValue)
            case .loanReturned(let loan, _, let item, _, _), .loanClosed(let loan, _, let item, _, _, _):
                loanRoutes.prefetch(Int(loan.rawValue))
                statistics.prefetch(item: item.rawValue, member: nil, loan: loan.rawValue)
            case .loanRenewed(let loan, _, _, _):
                loanRoutes.prefetch(Int(loan.rawValue))
            default:
                break
            }
        }
    }

    /// What a logged batch's header changes in the coordinator before its events apply: the
    /// clock (and with it the retention of idempotency keys), the counters and the sequence.
    /// The caller has grown the directories for the record's counters.
    func replayHeader(_ record: BatchRecord.Header) {
        beginBatch(at: record.timestamp)
        nextItemID = record.nextItemID
        nextMemberID = record.nextMemberID
        nextLoanID = record.nextLoanID
        nextSequence = record.firstSequence + SequenceNumber(record.commandCount)
    }
}
