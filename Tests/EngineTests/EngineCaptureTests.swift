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

    /// The length of the longest decreasing subsequence: the longest increasing one of the ids
    /// read backwards (patience sorting: each id replaces the lowest pile top not below it, or
    /// starts a pile).
    static func longestDecreasing(_ ids: [UInt64]) -> Int {
        var tops: [UInt64] = []
        for id in ids.reversed() {
            var (low, high) = (0, tops.count)
            while low < high {
                let middle = (low + high) / 2
                if tops[middle] < id { low = middle + 1 } else { high = middle }
            }
            if low == tops.count { tops.append(id) } else { tops[low] = id }
        }
        return tops.count
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
    /// in their wave, cross-shard ones a hop later): two ascending sequences interleaved, which the
    /// capture merges as two lanes, not through a window or a sorted copy, and still yields every
    /// loan once, in id order.
    @Test func checkoutBatchesAreReadAsTwoLanes() async {
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
        #expect(orders.contains(.lanes(2)) && orders.allSatisfy { $0 == .ascending || $0 == .lanes(2) }, "orders: \(orders)")

        let seen = Self.loanIDs(capture)
        let stored = capture.shards.flatMap { $0.loans.map(\.id.rawValue) }.sorted()
        #expect(seen == stored && seen.count == 48)
    }

    /// Runs out of order within blocks of random sizes, shuffled and spread over three shards:
    /// each is classified by how many ascending sequences it takes and how far it is out of order,
    /// and the walk yields 1...n in order.
    @Test(arguments: Array(1...12) as [UInt64])
    func lanesAndWindowsFollowTheDisorder(seed: UInt64) async {
        var random = SeededRandom(seed: seed)
        let blockMax = random.pick([1, 2, 3, 8, 1_000, 3_000, 200_000])
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
            // The fewest ascending sequences the run splits into: its longest decreasing subsequence.
            let decreasing = Self.longestDecreasing(run)
            let expected: RunOrder =
                needed == 1 ? .ascending
                : decreasing <= RunOrder.lanesMax ? .lanes(decreasing)
                : RunOrder.windows.first { $0 >= needed }.map { .window($0) } ?? .positions
            #expect(RunOrder.of(shard.loans) == expected, "seed \(seed), block \(blockMax): \(decreasing) lanes, a window of \(needed)")
        }
        let seen = Self.loanIDs(capture)
        let misplaced = zip(seen, 1...UInt64(total)).first { $0.0 != $0.1 }
        #expect(misplaced == nil && seen.count == total, "seed \(seed): first out of order (seen, expected): \(String(describing: misplaced)); \(seen.count) of \(total)")
    }

    /// The check's edge: an element displaced by exactly `window` positions needs a window one larger.
    /// Runs that need more than `lanesMax` lanes (here over 1,024 descending ids) are read through
    /// the window they need, or their sorted positions.
    @Test func aWindowCoversDisplacementsBelowItsSize() async {
        let run = Self.loans
        // The highest id first, the lowest `window` positions after it.
        for window in [2, 5, 1_024] {
            let displaced = run([UInt64(window + 1)] + (2...UInt64(window)).map { $0 } + [1])
            #expect(!RunOrder.isOrdered(displaced, window: window))
            #expect(RunOrder.isOrdered(displaced, window: window + 1))
        }
        #expect(RunOrder.of(run(Array(1...3_000))) == .ascending)
        // 1,025 descending ids first: one lane too many, and the lowest 1,024 positions behind the highest.
        let descending = run(Array((1...1_025).reversed()) + Array(1_026...3_000))
        #expect(RunOrder.of(descending) == .window(Limits.commandsPerBatchMax))
        #expect(Self.loanIDs(await Self.capture(loans: [descending])) == Array(1...3_000))
        #expect(RunOrder.of(run(Array((1...70_000).reversed()))) == .positions)

        // Read through its sorted positions: 1,026 descending ids first, 1,024 last, 71,025 apart.
        let far = run(Array((70_000...71_025).reversed()) + Array(1_025...69_999) + Array((1...1_024).reversed()))
        #expect(RunOrder.of(far) == .positions)
        #expect(Self.loanIDs(await Self.capture(loans: [far])) == Array(1...71_025))
    }

    /// Each position's lane number, from the lanes' heads and links.
    static func laneNumbers(_ lanes: RunOrder.Lanes?) -> [Int]? {
        guard let lanes else { return nil }
        var numbers = [Int](repeating: -1, count: lanes.next.count)
        for (lane, head) in lanes.heads.enumerated() {
            var position = Int(head)
            while position >= 0 {
                numbers[position] = lane
                position = Int(lanes.next[position])
            }
        }
        return numbers
    }

    /// Lanes: as many as the longest decreasing subsequence, up to `lanesMax`; runs of up to
    /// 1,024 interleaved ascending sequences are merged back in order, 1,025 are read through a window.
    @Test func interleavedSequencesAreMergedAsLanes() async {
        for sequences in [2, 3, 36, 1_024, 1_025] {
            // Position p holds sequence (p % sequences)'s next id; sequence k holds the ids
            // congruent to sequences - 1 - k, so each position's id is below the one before it
            // within a round (a decreasing subsequence of `sequences`).
            let rounds = sequences > 100 ? 20 : 500
            var ids: [UInt64] = []
            for round in 0..<rounds {
                for sequence in 0..<sequences { ids.append(UInt64(round * sequences + (sequences - sequence))) }
            }
            let run = Self.loans(ids)
            let expected: RunOrder = sequences <= RunOrder.lanesMax ? .lanes(sequences) : .window(Limits.commandsPerBatchMax)
            #expect(RunOrder.of(run) == expected, "\(sequences) sequences")
            #expect(Self.loanIDs(await Self.capture(loans: [run])) == Array(1...UInt64(rounds * sequences)), "\(sequences) sequences")
        }
        // Each element's lane: the one whose last id is the highest below it.
        #expect(Self.laneNumbers(RunOrder.lanes(of: Self.loans([5, 1, 6, 2, 7, 3]))) == [0, 1, 0, 1, 0, 1])
        #expect(Self.laneNumbers(RunOrder.lanes(of: Self.loans([3, 1, 2, 4, 9, 5, 6, 7, 8]))) == [0, 1, 1, 0, 0, 1, 1, 1, 1])
        #expect(Self.laneNumbers(RunOrder.lanes(of: Self.loans([4, 3, 2, 1, 5]))) == [0, 1, 2, 3, 0])
    }
}
