import Engine
import Testing

/// Blocks, rule by rule: docs/circulation-rules.md, "Blocks".
@Suite struct BlockTests {
    func member(_ outcome: Outcome) -> Member? {
        if case .ok(.member(let member)) = outcome { return member }
        return nil
    }

    @Test func aLibrariansBlockStopsWhatItNamesUntilItExpiresOrIsLifted() async throws {
        let library = UnitFixture()
        let (reader, other) = (await library.member(), await library.member())
        let (first, second) = (await library.item(copies: 1), await library.item(copies: 1))
        let loan = try #require(await library.checkout(reader, first))
        let until = UnitFixture.at(2026, 11, 23)
        let blocked = try #require(member(await library.run(.blockMember(reader, MemberBlockDraft(reason: "card reported stolen", effects: [.borrowing, .holds], expiresAt: until)))))
        #expect(blocked.blocks.count == 1 && blocked.blocks[0].reason == "card reported stolen" && blocked.blocks[0].placedAt == UnitFixture.start)
        #expect(await library.refusal(.checkout(member: reader, item: second)) == .memberBlocked)
        _ = try #require(await library.checkout(other, second))
        #expect(await library.refusal(.placeHold(member: reader, item: second)) == .memberBlocked)
        // Renewing is not named: it goes on.
        #expect(await library.run(.renewLoan(loan.id)).isOK)
        // Returns are never blocked.
        #expect(await library.run(.returnLoan(loan.id)).isOK)
        // After its expiry the block no longer applies, though it stays on the record.
        library.clock.set(until.adding(milliseconds: 1))
        #expect(await library.checkout(reader, first) != nil)
        #expect(try #require(await library.memberRecord(reader)).blocks.count == 1)
        let id = blocked.blocks[0].id
        #expect(try #require(member(await library.run(.unblockMember(reader, block: id)))).blocks.isEmpty)
        #expect(await library.refusal(.unblockMember(reader, block: id)) == .blockNotFound)
        #expect(await library.refusal(.blockMember(999, MemberBlockDraft(reason: "x"))) == .memberNotFound)
        #expect(await library.run(.blockMember(reader, MemberBlockDraft(reason: "", effects: .all))).refusal == .invalid(.reason))
        #expect(await library.run(.blockMember(reader, MemberBlockDraft(reason: "x", effects: []))).refusal == .invalid(.effects))
        for _ in 0..<Limits.blocksPerMemberMax { #expect(await library.run(.blockMember(other, MemberBlockDraft(reason: "x"))).isOK) }
        #expect(await library.run(.blockMember(other, MemberBlockDraft(reason: "x"))).refusal == .invalid(.effects))
        await library.expectInvariants()
    }

    @Test func overdueLoansBlockOnceThePolicySaysSo() async throws {
        let library = UnitFixture()
        var policy = Policy.standard
        policy.overdueBlockLoans = 2
        for type in ItemType.allCases { _ = await library.run(.setPolicy(PolicyKey(tier: "standard", itemType: type), policy)) }
        let reader = await library.member()
        var items: [ItemID] = []
        for _ in 0..<4 { items.append(await library.item(copies: 1)) }
        let loans = [try #require(await library.checkout(reader, items[0])), try #require(await library.checkout(reader, items[1]))]
        // Fifteen days on, both are overdue: borrowing, renewing and holds stop.
        library.clock.set(UnitFixture.at(2026, 12, 6))
        #expect(await library.refusal(.checkout(member: reader, item: items[2])) == .tooManyOverdueLoans)
        #expect(await library.refusal(.renewLoan(loans[0].id)) == .tooManyOverdueLoans)
        let other = await library.member()
        _ = try #require(await library.checkout(other, items[3]))
        #expect(await library.refusal(.placeHold(member: reader, item: items[3])) == .tooManyOverdueLoans)
        // One back: under the threshold again (the late return's fine is under the fines block).
        #expect(await library.run(.returnLoan(loans[1].id)).isOK)
        #expect(await library.checkout(reader, items[2]) != nil)
        await library.expectInvariants()
    }
}
