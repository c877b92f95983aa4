import Engine
import Testing

/// Holds, rule by rule: docs/circulation-rules.md, "Holds".
@Suite struct HoldTests {
    func hold(_ outcome: Outcome) -> QueuedHold? {
        if case .ok(.hold(let queued)) = outcome { return queued }
        return nil
    }

    func holds(_ outcome: Outcome) -> [QueuedHold] {
        if case .ok(.holds(let holds, _)) = outcome { return holds }
        Issue.record("not a list of holds: \(outcome)")
        return []
    }

    @Test func aReturnedCopyWaitsForTheFirstInLineAndOnlyThemUntilItExpires() async throws {
        let library = UnitFixture()
        let item = await library.item(copies: 1)
        let (reader, first, second) = (await library.member(), await library.member(), await library.member())
        let loan = try #require(await library.checkout(reader, item))

        // A hold is only for an item with no copy on the shelf.
        let other = await library.item(copies: 1)
        #expect(await library.refusal(.placeHold(member: first, item: other)) == .copyAvailable)
        #expect(await library.refusal(.placeHold(member: reader, item: item)) == .alreadyHoldsItem)

        let firstHold = try #require(hold(await library.run(.placeHold(member: first, item: item))))
        let secondHold = try #require(hold(await library.run(.placeHold(member: second, item: item))))
        #expect(firstHold.position == 1 && secondHold.position == 2)
        #expect(firstHold.hold.status == .waiting && firstHold.hold.pickupDays == 7)
        #expect(await library.refusal(.placeHold(member: first, item: item)) == .holdExists)
        // Others wait: no renewal.
        #expect(await library.refusal(.renewLoan(loan.id)) == .itemOnHold)

        // The return sets the copy aside for the first in line.
        library.clock.set(UnitFixture.at(2026, 11, 25))
        #expect(await library.run(.returnLoan(loan.id)).isOK)
        var record = try #require(await library.itemRecord(item))
        #expect(record.availableCopies == 0 && record.awaitingPickup == 1)
        let queue = holds(await library.run(.itemHolds(item, after: nil, limit: 10)))
        #expect(queue.map(\.position) == [0, 1])
        #expect(queue[0].hold.status == .ready && queue[0].hold.pickupBy == Timestamp.endOfDay(UnitFixture.at(2026, 11, 25).day + 7))
        #expect(await library.refusal(.checkout(member: second, item: item)) == .noCopyAvailable)
        await library.expectInvariants()

        // Unclaimed by the end of the seventh day: the copy passes to the next in line.
        library.clock.set(UnitFixture.at(2026, 12, 3, hour: 0))
        let mine = holds(await library.run(.memberHolds(second)))
        #expect(mine.count == 1 && mine[0].hold.status == .ready && mine[0].position == 0)
        #expect(holds(await library.run(.memberHolds(first))).isEmpty)
        #expect(await library.refusal(.checkout(member: first, item: item)) == .noCopyAvailable)

        // The second member collects it: the hold is filled.
        let collected = try #require(await library.checkout(second, item))
        #expect(collected.item == item)
        record = try #require(await library.itemRecord(item))
        #expect(record.availableCopies == 0 && record.awaitingPickup == 0)
        #expect(holds(await library.run(.itemHolds(item, after: nil, limit: 10))).isEmpty)
        await library.expectInvariants()
    }

    @Test func cancellingAReadyHoldPassesTheCopyOnAndAddedCopiesServeTheQueue() async throws {
        let library = UnitFixture()
        let item = await library.item(copies: 1)
        let members = [await library.member(), await library.member(), await library.member(), await library.member()]
        let loan = try #require(await library.checkout(members[0], item))
        var placed: [HoldID] = []
        for member in members.dropFirst() { placed.append(try #require(hold(await library.run(.placeHold(member: member, item: item)))).hold.id) }
        #expect(await library.run(.returnLoan(loan.id)).isOK)
        // Withdrawing would strand the queue.
        #expect(await library.refusal(.withdrawItem(item)) == .itemHasHolds)

        let cancelled = try #require(hold(await library.run(.cancelHold(placed[0]))))
        #expect(cancelled.hold.status == .ready && cancelled.position == 0)
        #expect(await library.refusal(.cancelHold(placed[0])) == .holdNotFound)
        var queue = holds(await library.run(.itemHolds(item, after: nil, limit: 10)))
        #expect(queue.map(\.hold.id) == [placed[1], placed[2]] && queue.map(\.position) == [0, 1])

        // Two more copies: one for the last in line, one for the shelf.
        guard case .ok(.item(let grown)) = await library.run(.addCopies(item, count: 2)) else { Issue.record("add copies refused"); return }
        #expect(grown.totalCopies == 3 && grown.awaitingPickup == 2 && grown.availableCopies == 1)
        queue = holds(await library.run(.itemHolds(item, after: nil, limit: 1)))
        #expect(queue.map(\.hold.id) == [placed[1]])
        guard case .ok(.holds(_, let next)) = await library.run(.itemHolds(item, after: nil, limit: 1)) else { return }
        #expect(next == placed[1])
        #expect(holds(await library.run(.itemHolds(item, after: next, limit: 1))).map(\.hold.id) == [placed[2]])
        await library.expectInvariants()
    }

    @Test func limitsAndStandingApplyToHolds() async throws {
        let library = UnitFixture()
        let member = await library.member()
        let borrower = await library.member(tier: "premium")
        var items: [ItemID] = []
        for _ in 0..<6 {
            let item = await library.item(copies: 1)
            _ = try #require(await library.checkout(borrower, item))
            items.append(item)
        }
        // Standard: five open holds at most.
        for item in items.prefix(5) { #expect(await library.run(.placeHold(member: member, item: item)).isOK) }
        #expect(await library.refusal(.placeHold(member: member, item: items[5])) == .holdLimitReached)
        #expect(await library.refusal(.suspendMember(member)) == nil)
        #expect(await library.refusal(.placeHold(member: borrower, item: items[0])) == .alreadyHoldsItem)
        let suspended = await library.member()
        _ = await library.run(.suspendMember(suspended))
        #expect(await library.refusal(.placeHold(member: suspended, item: items[5])) == .memberSuspended)
        #expect(await library.refusal(.placeHold(member: 999, item: items[5])) == .memberNotFound)
        #expect(await library.refusal(.placeHold(member: borrower, item: 999)) == .itemNotFound)
        #expect(await library.refusal(.itemHolds(999, after: nil, limit: 5)) == .itemNotFound)
        #expect(await library.refusal(.memberHolds(999)) == .memberNotFound)
        #expect(await library.refusal(.cancelHold(12345)) == .holdNotFound)
        await library.expectInvariants()
    }

    /// A batch that places, fills and cancels holds in one go decides as the commands would one
    /// by one (the property tests check that at random), and the logged events rebuild the same
    /// state on another shard count, hold book and hold shelf included; so does a snapshot.
    @Test func oneBatchAndItsReplayAgree() async throws {
        let clock = ManualClock(UnitFixture.start)
        let engine = Engine(configuration: EngineConfiguration(shardCount: 3), clock: clock)
        var records: [BatchRecord] = []
        func run(_ commands: [Command]) async -> [Outcome] {
            let result = await engine.execute(commands.map { Request($0) })
            records.append(result.record)
            return result.outcomes
        }
        let draft = ItemDraft(isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2001, type: .book, copies: 1)
        let setup = await run([
            .createItem(draft), .registerMember(MemberDraft(email: "a@example.org", name: "A", tier: "standard", cardExpiryDay: 30_000)),
            .registerMember(MemberDraft(email: "b@example.org", name: "B", tier: "standard", cardExpiryDay: 30_000)),
            .registerMember(MemberDraft(email: "c@example.org", name: "C", tier: "premium", cardExpiryDay: 30_000)), .checkout(member: 1, item: 1),
        ])
        guard case .ok(.loan(let loan)) = setup[4] else { Issue.record("setup: \(setup)"); return }
        let first = await engine.currentHeader().nextSequence
        let outcomes = await run([
            .placeHold(member: 2, item: 1), .placeHold(member: 3, item: 1), .returnLoan(loan.id), .checkout(member: 3, item: 1),
            .checkout(member: 2, item: 1), .cancelHold(HoldID(first + 1)), .memberHolds(3), .placeHold(member: 3, item: 1),
        ])
        #expect(outcomes[0].isOK && outcomes[1].isOK && outcomes[2].isOK)
        #expect(outcomes[3].refusal?.code == .noCopyAvailable)
        #expect(outcomes[4].isOK)
        #expect(outcomes[5].isOK)
        #expect(holds(outcomes[6]).isEmpty)
        #expect(hold(outcomes[7])?.position == 1)
        // A week and a day later, nothing changed but the clock: the next batch logs nothing new.
        clock.set(UnitFixture.at(2026, 12, 1))
        #expect(await run([.getItem(1)])[0].isOK)
        #expect(await engine.invariantViolations().isEmpty)

        let replica = Engine(configuration: EngineConfiguration(shardCount: 2), clock: ManualClock(.zero))
        for record in records { await replica.apply(record) }
        #expect(await replica.digest() == engine.digest())
        #expect(await replica.invariantViolations().isEmpty)
        let restored = Engine(configuration: EngineConfiguration(shardCount: 1), clock: ManualClock(.zero))
        await restored.restore(await engine.snapshot())
        #expect(await restored.digest() == engine.digest())
    }

    /// An expiry is decided by a batch's time, logged with that batch, and replays as logged.
    @Test func expiriesAreLoggedAndReplayed() async throws {
        let clock = ManualClock(UnitFixture.start)
        let engine = Engine(configuration: EngineConfiguration(shardCount: 2), clock: clock)
        var records: [BatchRecord] = []
        func run(_ commands: [Command]) async -> [Outcome] {
            let result = await engine.execute(commands.map { Request($0) })
            records.append(result.record)
            return result.outcomes
        }
        let draft = ItemDraft(isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2001, type: .book, copies: 1)
        _ = await run([
            .createItem(draft), .registerMember(MemberDraft(email: "a@example.org", name: "A", tier: "standard", cardExpiryDay: 30_000)),
            .registerMember(MemberDraft(email: "b@example.org", name: "B", tier: "standard", cardExpiryDay: 30_000)), .checkout(member: 1, item: 1),
            .placeHold(member: 2, item: 1), .returnLoan(1),
        ])
        clock.set(UnitFixture.at(2026, 12, 20))
        let outcomes = await run([.itemHolds(1, after: nil, limit: 5), .getItem(1)])
        #expect(holds(outcomes[0]).isEmpty)
        guard case .ok(.item(let item)) = outcomes[1] else { Issue.record("\(outcomes)"); return }
        #expect(item.availableCopies == 1 && item.awaitingPickup == 0)
        guard case .holdEnded(let ended, .expired) = records.last?.events.first else { Issue.record("no expiry logged: \(records.last!.events)"); return }
        #expect(ended.member == 2)
        // The expiry belongs to the batch's time, not to any command of the batch.
        #expect(records.last!.sources == [.batchTime(eventCount: UInt32(records.last!.events.count))])
        #expect(records.last!.attributedEvents().allSatisfy { $0.sequence == nil && $0.actor == nil })
        let replica = Engine(configuration: EngineConfiguration(shardCount: 3), clock: ManualClock(.zero))
        for record in records { await replica.apply(record) }
        #expect(await replica.digest() == engine.digest())
    }

    /// Each event names the command that caused it and who sent it; a return that makes a hold
    /// ready is followed by that event, under the same command.
    @Test func eventsNameTheirCommandAndItsSender() async throws {
        let engine = Engine(configuration: EngineConfiguration(shardCount: 2), clock: ManualClock(UnitFixture.start))
        let draft = ItemDraft(isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2001, type: .book, copies: 1)
        let setup: [Command] = [
            .createItem(draft), .registerMember(MemberDraft(email: "a@example.org", name: "A", tier: "standard", cardExpiryDay: 30_000)),
            .registerMember(MemberDraft(email: "b@example.org", name: "B", tier: "standard", cardExpiryDay: 30_000)),
        ]
        _ = await engine.execute(setup.map { Request($0) }, actors: [ActorRun(actor: "admin", count: 3)])
        let commands: [Command] = [.checkout(member: 1, item: 1), .getItem(1), .placeHold(member: 2, item: 1), .returnLoan(1)]
        let record = await engine.execute(commands.map { Request($0) }, actors: [ActorRun(actor: "desk", count: 2), ActorRun(actor: "member-2", count: 1), ActorRun(actor: "desk", count: 1)]).record
        #expect(record.actors == ["desk", "member-2"])
        let attributed = record.attributedEvents()
        let first = record.firstSequence
        #expect(attributed.map(\.sequence) == [first, first + 2, first + 3, first + 3])
        #expect(attributed.map(\.actor) == ["desk", "member-2", "desk", "desk"])
        guard case .loanReturned = attributed[2].event, case .holdReady = attributed[3].event else { Issue.record("\(record.events)"); return }
    }
}
