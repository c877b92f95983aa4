import Engine
import Testing

/// `search_catalog` through the engine: shards' pages merge into one ranking, and a restored
/// engine answers the same, whether its index was built in the background yet or not.
@Suite struct SearchCommandTests {
    static func results(_ outcome: Outcome) -> (ids: [ItemID], next: SearchCursor?) {
        guard case .ok(.searchResults(let hits, let next)) = outcome else {
            Issue.record("not search results: \(outcome)")
            return ([], nil)
        }
        return (hits.map(\.item.id), next)
    }

    @Test func pagesMergeAcrossShardsAndSurviveARestore() async throws {
        let engine = Engine(configuration: EngineConfiguration(shardCount: 3), clock: ManualClock(UnitFixture.start))
        let titles = ["Signals and Systems", "Signal Processing", "Systems of Signs", "Sigils", "Oppenheim's Signals", "Other"]
        _ = await engine.execute(titles.map { Request(.createItem(ItemDraft(isbn: "9780306406157", title: $0, author: "A. Author", publisher: "", year: 2000, type: .book, copies: 1))) })
        _ = await engine.execute([Request(.withdrawItem(6))])
        // Walk "signals" two at a time: every match once, best first, withdrawn "Other" never.
        var walked: [ItemID] = []
        var after: SearchCursor?
        repeat {
            let page = Self.results(await engine.execute([Request(.searchCatalog("signals", after: after, limit: 2))]).outcomes[0])
            walked += page.ids
            after = page.next
        } while after != nil
        let whole = Self.results(await engine.execute([Request(.searchCatalog("signals", after: nil, limit: 100))]).outcomes[0]).ids
        #expect(walked == whole && Set(whole).count == whole.count)
        #expect(whole.first == 1 && whole.contains(2) && !whole.contains(6))
        #expect(Self.results(await engine.execute([Request(.searchCatalog("sigals", after: nil, limit: 100))]).outcomes[0]).ids.contains(1))

        let snapshot = await engine.snapshot()
        // Searched at once: the first search builds the index itself.
        let restored = Engine(configuration: EngineConfiguration(shardCount: 2), clock: ManualClock(UnitFixture.start))
        await restored.restore(snapshot)
        #expect(Self.results(await restored.execute([Request(.searchCatalog("signals", after: nil, limit: 100))]).outcomes[0]).ids == whole)
        // Searched later, and after a change: the background build is used or refused as it should.
        let later = Engine(configuration: EngineConfiguration(shardCount: 2), clock: ManualClock(UnitFixture.start))
        await later.restore(snapshot)
        _ = await later.execute([Request(.updateItem(2, ItemChanges(title: "Noise")))])
        try await Task.sleep(nanoseconds: 200_000_000)
        let after2 = Self.results(await later.execute([Request(.searchCatalog("signals", after: nil, limit: 100))]).outcomes[0]).ids
        #expect(after2 == whole.filter { $0 != 2 })
        #expect(Self.results(await later.execute([Request(.searchCatalog("noise", after: nil, limit: 100))]).outcomes[0]).ids == [2])
    }
}
