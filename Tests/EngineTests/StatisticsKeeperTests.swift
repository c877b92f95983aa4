import Engine
import Testing

@Suite struct StatisticsKeeperTests {
    /// Batches without analytics leave the counters to the keeper, on another thread; a batch
    /// that asks for them takes them back. Two engines run the same batches: one asks after
    /// every batch (the counters never leave the coordinator), the other only now and then
    /// (many batches applied by the keeper in between). Every answer must agree, including an
    /// answer in the middle of a batch, after commands of that same batch.
    @Test func answersAgreeWhoeverKeptTheCounters() async {
        let always = UnitFixture()
        let seldom = UnitFixture()
        let queries: [Command] = [
            .analytics(.summary), .analytics(.topItems(limit: 5)), .analytics(.topMembers(limit: 5)),
            .analytics(.dailyCheckouts(fromDay: UnitFixture.start.day - 1, toDay: UnitFixture.start.day + 40)), .analytics(.inventory(limit: 5)),
        ]
        var setup: [Request] = []
        for index in 0..<12 {
            setup.append(Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T\(index)", author: "A", publisher: "P", year: 2001, type: .book, copies: 2))))
            setup.append(Request(.registerMember(MemberDraft(email: "m\(index)@example.org", name: "M", tier: "standard", cardExpiryDay: 30_000))))
        }
        _ = await always.engine.execute(setup)
        _ = await seldom.engine.execute(setup)
        var random = SplitMix64(seed: 7)
        var loans: [LoanID] = []
        for round in 0..<60 {
            var requests: [Request] = []
            for _ in 0..<6 {
                if !loans.isEmpty, random.next() % 3 == 0 {
                    let index = Int(random.next() % UInt64(loans.count))
                    if random.next() % 4 == 0 {
                        requests.append(Request(.renewLoan(loans[index])))
                    } else {
                        requests.append(Request(.returnLoan(loans.remove(at: index))))
                    }
                } else {
                    requests.append(Request(.checkout(member: MemberID(1 + random.next() % 12), item: ItemID(1 + random.next() % 12))))
                }
            }
            // The first engine runs each half as a batch of its own, asking after each; the
            // second runs the six as one batch, and now and then asks between the halves.
            let firstHalf = await always.engine.execute(Array(requests.prefix(3)) + queries.map { Request($0) })
            let secondHalf = await always.engine.execute(Array(requests.dropFirst(3)) + queries.map { Request($0) })
            let decided = Array(firstHalf.outcomes.prefix(3)) + Array(secondHalf.outcomes.prefix(3))
            let asked = round % 10 == 9 ? round / 10 % queries.count : nil
            let middle = asked.map { [Request(queries[$0])] } ?? []
            let result = await seldom.engine.execute(Array(requests.prefix(3)) + middle + Array(requests.dropFirst(3)))
            #expect(Array(result.outcomes.prefix(3)) + Array(result.outcomes.suffix(3)) == decided)
            if let asked { #expect(result.outcomes[3] == firstHalf.outcomes[3 + asked]) }
            for (request, outcome) in zip(requests, decided) {
                if case .checkout = request.command, case .ok(.loan(let loan)) = outcome { loans.append(loan.id) }
            }
            always.clock.advance(milliseconds: 86_400_000)
            seldom.clock.advance(milliseconds: 86_400_000)
        }
        let answers = await always.engine.execute(queries.map { Request($0) }).outcomes
        let kept = await seldom.engine.execute(queries.map { Request($0) }).outcomes
        #expect(answers == kept)
        guard case .ok(.summary(let summary)) = kept[0] else {
            Issue.record("no summary: \(kept[0])")
            return
        }
        #expect(summary.loansEver > 0 && summary.activeLoans == Int64(loans.count))
    }

    /// Enough events that the keeper works while later batches run (small batches are handed
    /// over from 2,048 events), none of them asking; then analytics must answer as on an engine
    /// that rebuilt its counters by replaying the log, and as on one restored from a snapshot.
    @Test func keeperFollowsReplayAndRestore() async {
        let live = UnitFixture(shardCount: 2)
        var records: [BatchRecord] = []
        var setup: [Request] = []
        for index in 0..<200 {
            setup.append(Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T\(index)", author: "A", publisher: "P", year: 2001, type: index % 5 == 0 ? .media : .book, copies: 4))))
            setup.append(Request(.registerMember(MemberDraft(email: "k\(index)@example.org", name: "M", tier: index % 4 == 0 ? "premium" : "standard", cardExpiryDay: 30_000))))
        }
        records.append(await live.engine.execute(setup).record)
        var random = SplitMix64(seed: 11)
        var loans: [LoanID] = []
        var refused: [String: Int] = [:]
        for round in 0..<800 {
            // Now and then five days pass, so that some returns are late and charge fines.
            live.clock.advance(milliseconds: round % 200 == 199 ? 5 * 86_400_000 : 60_000)
            var requests: [Request] = []
            for _ in 0..<12 {
                if loans.count > 100, random.next() % 2 == 0 {
                    let index = Int(random.next() % UInt64(loans.count))
                    // A lost copy's fee blocks its member: rare, so that most members keep borrowing.
                    switch random.next() % 64 {
                    case 0..<8: requests.append(Request(.renewLoan(loans[index])))
                    case 8: requests.append(Request(.declareLost(loans.remove(at: index))))
                    default: requests.append(Request(.returnLoan(loans.remove(at: index))))
                    }
                } else {
                    requests.append(Request(.checkout(member: MemberID(1 + random.next() % 200), item: ItemID(1 + random.next() % 200))))
                }
            }
            let result = await live.engine.execute(requests)
            records.append(result.record)
            for outcome in result.outcomes {
                if case .refused(let refusal) = outcome { refused[refusal.code.name, default: 0] += 1 }
            }
            for (request, outcome) in zip(requests, result.outcomes) {
                if case .checkout = request.command, case .ok(.loan(let loan)) = outcome { loans.append(loan.id) }
            }
        }
        #expect(records.reduce(0) { $0 + $1.events.count } > 2 * 2_048, "refusals: \(refused)")
        let commands: [Command] = [
            .analytics(.summary), .analytics(.topItems(limit: 10)), .analytics(.topMembers(limit: 10)), .analytics(.inventory(limit: 10)),
            .analytics(.dailyCheckouts(fromDay: UnitFixture.start.day - 1, toDay: UnitFixture.start.day + 400)),
        ]
        let queries = commands.map { Request($0) }
        let snapshot = await live.engine.snapshot()
        let answers = await live.engine.executeReads(queries)

        let replayed = Engine(configuration: EngineConfiguration(shardCount: 3), clock: ManualClock(.zero))
        await replayed.apply(contentsOf: records)
        #expect(await replayed.executeReads(queries) == answers)

        // A restore into an engine that has only read (the counters went to its keeper).
        let restored = Engine(configuration: EngineConfiguration(shardCount: 1), clock: ManualClock(.zero))
        _ = await restored.executeReads([Request(.getItem(ItemID(1)))])
        await restored.restore(snapshot)
        #expect(await restored.digest() == live.engine.digest())
        #expect(await restored.executeReads(queries) == answers)
    }
}
