import Testing

@testable import Engine

/// `EngineCapture`: the state a snapshot is written from, merged from the shards' arrays in id
/// order as it is read.
@Suite struct EngineCaptureTests {
    /// Later batches change the live shards, never the capture (copy on write).
    @Test func laterBatchesLeaveTheCaptureAsItWas() async {
        let fixture = UnitFixture(shardCount: 3)
        var members: [MemberID] = []
        var items: [ItemID] = []
        for _ in 0..<6 { members.append(await fixture.member()) }
        for _ in 0..<9 { items.append(await fixture.item(copies: 2)) }
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

    /// Runs spanning several chunks interleave by id; placeholders (id 0) are left out; a run
    /// that is not ascending is sorted first; `false` from the body stops the walk.
    @Test func mergesShardRunsInIDOrder() async {
        let chunk = ChunkedArray<Loan>.chunkSize
        func loan(_ id: UInt64) -> Loan {
            Loan(id: LoanID(id), item: ItemID(id), member: MemberID(id), itemType: .book, checkedOutAt: .zero, dueAt: .zero)
        }
        func run(_ ids: [UInt64]) -> ChunkedArray<Loan> {
            var run = ChunkedArray<Loan>()
            run.append(contentsOf: ids.map(loan))
            return run
        }
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
        let even = run(Array(stride(from: 2, through: total, by: 2)))
        let odd = run(Array(stride(from: 1, through: total, by: 2)).filter { $0 % 3 != 0 })
        var shuffled = Array(stride(from: 1, through: total, by: 2)).filter { $0 % 3 == 0 }
        shuffled.shuffle()
        let capture = EngineCapture(
            header: await UnitFixture().engine.snapshot().header,
            shards: [
                ShardCapture(items: items([0, 4, 0, 7]), members: ChunkedArray(), loans: even),
                ShardCapture(items: items([1, 0, 5]), members: ChunkedArray(), loans: odd),
                ShardCapture(items: items([]), members: ChunkedArray(), loans: run(shuffled)),
            ])

        var seen: [UInt64] = []
        capture.forEachLoan {
            seen.append($0.id.rawValue)
            return true
        }
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
}
