import Engine
import Testing

@Suite struct ConcurrencyTests {
    /// Many callers at once: batches must not interleave. Each batch's records are contiguous in
    /// sequence, and replaying them in sequence order rebuilds the same state.
    @Test func concurrentCallersGetWholeBatchesInArrivalOrder() async {
        let clock = ManualClock(UnitFixture.start)
        let engine = Engine(configuration: EngineConfiguration(shardCount: 3), clock: clock)
        var setup: [Request] = []
        for index in 0..<8 {
            setup.append(Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T\(index)", author: "", publisher: "", year: 2000, type: .book, copies: 2))))
            setup.append(Request(.registerMember(MemberDraft(email: "m\(index)@example.org", name: "M", tier: "standard", cardExpiryDay: 30_000))))
        }
        let setupRecord = await engine.execute(setup).record
        let concurrent = await withTaskGroup(of: [BatchRecord].self) { group in
            for caller in 0..<16 {
                group.addTask {
                    var records: [BatchRecord] = []
                    for round in 0..<10 {
                        let requests = (0..<7).map { index in
                            Request(.checkout(member: MemberID(UInt64(1 + (caller + index) % 8)), item: ItemID(UInt64(1 + (round + index) % 8))))
                        }
                        records.append(await engine.execute(requests).record)
                        clock.advance(milliseconds: 1)
                    }
                    return records
                }
            }
            var all: [BatchRecord] = []
            for await records in group { all += records }
            return all
        }
        let ordered = [setupRecord] + concurrent.sorted { $0.firstSequence < $1.firstSequence }
        var next: SequenceNumber = 1
        for record in ordered {
            #expect(record.firstSequence == next)
            next += SequenceNumber(record.commandCount)
        }
        #expect(ordered.count == 161)
        #expect(await engine.invariantViolations().isEmpty)

        let replica = Engine(configuration: EngineConfiguration(shardCount: 1), clock: clock)
        for record in ordered { await replica.apply(record) }
        #expect(await replica.digest() == (await engine.digest()))
    }
}
