import Testing

@testable import Engine

/// `ShardState.invariantReport`: a consistent shard reports nothing, and damage to its loans is
/// named (the report runs over millions of loans in `libra verify`, so it counts with arrays and a
/// sort: these check that those still see what they must).
@Suite struct ShardAuditTests {
    /// One shard holding a small library's state: loans made, some returned, so that members
    /// have histories.
    static func shard() async -> ShardState {
        let fixture = UnitFixture(shardCount: 1)
        var members: [MemberID] = []
        var items: [ItemID] = []
        for _ in 0..<4 { members.append(await fixture.member()) }
        for _ in 0..<8 { items.append(await fixture.item(copies: 2)) }
        for (index, item) in items.enumerated() {
            guard let loan = await fixture.checkout(members[index % 4], item) else { continue }
            if index % 3 == 0 { await fixture.run(.returnLoan(loan.id)) }
        }
        let snapshot = await fixture.engine.snapshot()
        var state = ShardState(index: 0, ownership: Ownership(shardCount: 1))
        state.load(items: snapshot.items, members: snapshot.members, loans: snapshot.loans)
        #expect(snapshot.loans.count == 8)
        return state
    }

    @Test func aConsistentShardReportsNothing() async {
        #expect((await Self.shard()).invariantReport().violations.isEmpty)
    }

    /// The same loan stored twice: named once, and its member's history no longer descends.
    @Test func aLoanStoredTwiceIsNamed() async {
        var state = await Self.shard()
        let twice = state.loans[2]
        state.appendLoan(twice, memberIndex: state.ownership.localIndex(of: twice.member))
        let violations = state.invariantReport().violations
        #expect(violations.filter { $0 == "loan \(twice.id) stored twice" }.count == 1, "\(violations)")
        #expect(violations.contains("member \(twice.member): loan history out of order, foreign or incomplete"), "\(violations)")
    }

    /// A member's history chain cut short: fewer loans reached than the member has.
    @Test func anIncompleteHistoryIsNamed() async {
        var state = await Self.shard()
        // The newest loan of the member with the most loans, cut off from the older ones.
        let member = state.loans[0].member
        let local = state.ownership.localIndex(of: member)
        let newest = Int(state.newestLoanOfMember[local])
        #expect(state.previousLoanOfMember[newest] != ShardState.noLoan)
        state.previousLoanOfMember[newest] = ShardState.noLoan
        let violations = state.invariantReport().violations
        #expect(violations == ["member \(member): loan history out of order, foreign or incomplete"], "\(violations)")
    }
}
