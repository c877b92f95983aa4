import Testing

@testable import Engine

/// `EngineCapture`: the state a snapshot is written from, merged from the shards' arrays in id
/// order as it is read.
@Suite struct EngineCaptureTests {
    /// Members, and items of `copies` copies each, registered one by one.
    static func library(_ fixture: UnitFixture, members memberCount: Int, items itemCount: Int, copies: Int32) async -> ([MemberID], [ItemID]) {
        var members: [MemberID] = []
        var items: [ItemID] = []
        for _ in 0..<memberCount { members.append(await fixture.member()) }
        for _ in 0..<itemCount { items.append(await fixture.item(copies: copies)) }
        return (members, items)
    }

    /// A shard's run of loans with these ids, in this order.
    static func loans(_ ids: [UInt64]) -> ChunkedArray<Loan> {
        var run = ChunkedArray<Loan>()
        run.append(contentsOf: ids.map { Loan(id: LoanID($0), item: ItemID($0), member: MemberID($0), itemType: .book, checkedOutAt: .zero, dueAt: .zero) })
        return run
    }

    /// A capture of shards holding only these loan runs.
    static func capture(loans runs: [ChunkedArray<Loan>]) async -> EngineCapture {
        EngineCapture(
            header: await UnitFixture().engine.snapshot().header,
            shards: runs.map { ShardCapture(items: ChunkedArray(), members: ChunkedArray(), loans: $0) })
    }

    /// The ids the capture yields its loans in.
    static func loanIDs(_ capture: EngineCapture) -> [UInt64] {
        var seen: [UInt64] = []
        capture.forEachLoan {
            seen.append($0.id.rawValue)
            return true
        }
        return seen
    }

    /// Later batches change the live shards, never the capture (copy on write).
    @Test func laterBatchesLeaveTheCaptureAsItWas() async {
        let fixture = UnitFixture(shardCount: 3)
        let (members, items) = await Self.library(fixture, members: 6, items: 9, copies: 2)
        var loans: [Loan] = []
        for (index, member) in members.enumerated() {
            if let loan = await fixture.checkout(member, items[index]) { loans.append(loan) }
        }
        #expect(loans.count == members.count)

        let capture = await fixture.engine.capture()
        let expected = await fixture.engine.snapshot()
        await fixture.run(.returnLoan(loans[0].id))
        _ = await fixture.checkout(members[1], items[8])
        _ = await fixture.item()
        _ = await fixture.member()

        let merged = await capture.merged()
        #expect(merged.items == expected.items)
        #expect(merged.members == expected.members)
        #expect(merged.loans == expected.loans)
        #expect(merged.items.count == 9 && merged.members.count == 6 && merged.loans.count == 6)
        #expect(merged.loans.allSatisfy { $0.returnedAt == nil })
        let later = await fixture.engine.snapshot()
        #expect(later.loans.count == 7 && later.items.count == 10)
    }

    /// Runs spanning several chunks interleave by id; placeholders (id 0) are left out; a
    /// shuffled run is still yielded in order; `false` from the body stops the walk.
    @Test func mergesShardRunsInIDOrder() async {
        let chunk = ChunkedArray<Loan>.chunkSize
        func item(_ id: UInt64) -> Item {
            var item = Item.placeholder
            item.id = ItemID(id)
            return item
        }
        func items(_ ids: [UInt64]) -> ChunkedArray<Item> {
            var run = ChunkedArray<Item>()
            run.append(contentsOf: ids.map(item))
            return run
        }
        let total = UInt64(3 * chunk + 11)
        let even = Self.loans(Array(stride(from: 2, through: total, by: 2)))
        let odd = Self.loans(Array(stride(from: 1, through: total, by: 2)).filter { $0 % 3 != 0 })
        var shuffled = Array(stride(from: 1, through: total, by: 2)).filter { $0 % 3 == 0 }
        shuffled.shuffle()
        let capture = EngineCapture(
            header: await UnitFixture().engine.snapshot().header,
            shards: [
                ShardCapture(items: items([0, 4, 0, 7]), members: ChunkedArray(), loans: even),
                ShardCapture(items: items([1, 0, 5]), members: ChunkedArray(), loans: odd),
                ShardCapture(items: items([]), members: ChunkedArray(), loans: Self.loans(shuffled)),
            ])

        let seen = Self.loanIDs(capture)
        let misplaced = zip(seen, 1...total).first { $0.0 != $0.1 }
        #expect(misplaced == nil && seen.count == Int(total), "first out of order (seen, expected): \(String(describing: misplaced)); \(seen.count) of \(total)")
        #expect(capture.loanCount == Int(total))

        var itemIDs: [UInt64] = []
        capture.forEachItem {
            itemIDs.append($0.id.rawValue)
            return true
        }
        #expect(itemIDs == [1, 4, 5, 7])
        #expect(capture.itemCount == 4 && capture.memberCount == 0)

        var first: [UInt64] = []
        capture.forEachLoan {
            first.append($0.id.rawValue)
            return first.count < 5
        }
        #expect(first == [1, 2, 3, 4, 5])
    }

    /// Checkouts in one batch leave a shard's loans out of id order (one-shard checkouts are stored
    /// in their wave, cross-shard ones a hop later): the capture reads such a run through a
    /// window, not a sorted copy, and still yields every loan once, in id order.
    @Test func checkoutBatchesAreReadThroughAWindow() async {
        let fixture = UnitFixture(shardCount: 2)
        let (members, items) = await Self.library(fixture, members: 24, items: 48, copies: 1)
        for round in 0..<2 {
            // Ids place by parity on two shards: half the checkouts stay on one shard, half cross.
            let requests = members.indices.map { Request(.checkout(member: members[$0], item: items[round * 24 + ($0 % 4 >= 2 ? $0 ^ 1 : $0)])) }
            let outcomes = await fixture.engine.execute(requests).outcomes
            #expect(outcomes.allSatisfy { if case .ok(.loan) = $0 { true } else { false } })
        }
        let capture = await fixture.engine.capture()
        let orders = capture.shards.map { RunOrder.of($0.loans) }
        #expect(orders.contains(.window(RunOrder.windows[0])), "orders: \(orders)")
        #expect(!orders.contains(.positions))

        let seen = Self.loanIDs(capture)
        let stored = capture.shards.flatMap { $0.loans.map(\.id.rawValue) }.sorted()
        #expect(seen == stored && seen.count == 48)
    }

    /// Runs out of order within blocks of random sizes, shuffled and spread over three shards:
    /// each is classified by how far it is out of order, and the walk yields 1...n in order.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func windowsFollowTheDisorder(seed: UInt64) async {
        var random = SeededRandom(seed: seed)
        let blockMax = random.pick([1, 8, 1_000, 3_000, 200_000])
        let total = random.int(1...20_000)
        var ids = Array(1...UInt64(total))
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + random.int(1...blockMax))
            ids[start..<end].shuffle(using: &random)
            start = end
        }
        var runs = [[UInt64]](repeating: [], count: 3)
        for id in ids { runs[random.int(0...2)].append(id) }
        let capture = await Self.capture(loans: runs.map(Self.loans))
        for (run, shard) in zip(runs, capture.shards) {
            // The least window that the run needs, worked out another way: for each element, the
            // earliest one before it with a higher id (a binary search over the running maxima).
            var maxima: [UInt64] = []
            var needed = 1
            for (index, id) in run.enumerated() {
                var (low, high) = (0, index)
                while low < high {
                    let middle = (low + high) / 2
                    if maxima[middle] > id { high = middle } else { low = middle + 1 }
                }
                if low < index { needed = max(needed, index - low + 1) }
                maxima.append(max(maxima.last ?? 0, id))
            }
            let expected: RunOrder = needed == 1 ? .ascending : RunOrder.windows.first { $0 >= needed }.map { .window($0) } ?? .positions
            #expect(RunOrder.of(shard.loans) == expected, "seed \(seed), block \(blockMax): needs a window of \(needed)")
        }
        let seen = Self.loanIDs(capture)
        let misplaced = zip(seen, 1...UInt64(total)).first { $0.0 != $0.1 }
        #expect(misplaced == nil && seen.count == total, "seed \(seed): first out of order (seen, expected): \(String(describing: misplaced)); \(seen.count) of \(total)")
    }

    /// The check's edge: an element displaced by exactly `window` positions needs a window one larger.
    @Test func aWindowCoversDisplacementsBelowItsSize() async {
        let run = Self.loans
        // The highest id first, the lowest `window` positions after it.
        for window in [2, 5, 1_024] {
            let displaced = run([UInt64(window + 1)] + (2...UInt64(window)).map { $0 } + [1])
            #expect(!RunOrder.isOrdered(displaced, window: window))
            #expect(RunOrder.isOrdered(displaced, window: window + 1))
        }
        #expect(RunOrder.of(run(Array(1...3_000))) == .ascending)
        #expect(RunOrder.of(run([1_025] + Array(2...1_024) + [1])) == .window(Limits.commandsPerBatchMax))
        #expect(RunOrder.of(run([1_024] + Array(2...1_023) + [1])) == .window(1_024))
        #expect(RunOrder.of(run(Array((1...70_000).reversed()))) == .positions)

        // Read through its sorted positions: the first and last ids swapped, 70,000 apart.
        let swapped = run([70_000] + Array(2...69_999) + [1])
        #expect(RunOrder.of(swapped) == .positions)
        #expect(Self.loanIDs(await Self.capture(loans: [swapped])) == Array(1...70_000))
    }
}
