import Engine
import Testing

/// Refusals beyond checkout's, each provoked once.
@Suite struct MoreRefusalTests {
    @Test func catalogRefusals() async {
        let library = UnitFixture()
        let item = await library.item(copies: 9_999)
        #expect(await library.refusal(.addCopies(item, count: 2)) == .invalidField)
        #expect(await library.run(.addCopies(item, count: 1)).isOK)
        await library.run(.withdrawItem(item))
        #expect(await library.refusal(.withdrawItem(item)) == .itemAlreadyWithdrawn)
        #expect(await library.refusal(.addCopies(item, count: 1)) == .itemWithdrawn)
        for command: Command in [.updateItem(ItemID(77), ItemChanges(title: "T")), .withdrawItem(77), .addCopies(77, count: 1), .removeCopies(77, count: 1), .getItem(77)] {
            #expect(await library.refusal(command) == .itemNotFound, "\(command)")
        }
    }

    @Test func memberRefusals() async {
        let library = UnitFixture()
        let member = await library.member()
        #expect(await library.refusal(.updateMember(member, MemberChanges(tier: "gold"))) == .unknownTier)
        for command: Command in [.updateMember(88, MemberChanges(name: "N")), .suspendMember(88), .reinstateMember(88), .getMember(88), .memberLoans(88, after: nil, limit: 5), .payFine(88, amountCents: 1)] {
            #expect(await library.refusal(command) == .memberNotFound, "\(command)")
        }
    }

    @Test func renewalRefusalsInOrder() async {
        let library = UnitFixture()
        #expect(await library.refusal(.renewLoan(LoanID(5))) == .loanNotFound)
        let member = await library.member(expires: CivilDate(year: 2026, month: 11, day: 30))
        let first = await library.checkout(member, await library.item())!
        await library.run(.suspendMember(member))
        #expect(await library.refusal(.renewLoan(first.id)) == .memberSuspended)
        await library.run(.reinstateMember(member))
        library.clock.set(UnitFixture.at(2026, 12, 1))
        #expect(await library.refusal(.renewLoan(first.id)) == .cardExpired)
        await library.run(.updateMember(member, MemberChanges(cardExpiryDay: CivilDate(year: 2030, month: 1, day: 1).daysSinceEpoch)))
        // Fines at the threshold block renewals too.
        let late = await library.checkout(member, await library.item())!
        library.clock.set(Timestamp.startOfDay(late.dueAt.day + 20).adding(milliseconds: 3_600_000))
        await library.run(.returnLoan(late.id))
        #expect(await library.memberRecord(member)?.finesOwedCents == 500)
        #expect(await library.refusal(.renewLoan(first.id)) == .blockedByFines)
        await library.run(.payFine(member, amountCents: 500))
        // A tier without a policy for the loan's item type.
        await library.run(.setPolicy(PolicyKey(tier: "films-only", itemType: .media), .standard))
        await library.run(.updateMember(member, MemberChanges(tier: "films-only")))
        #expect(await library.refusal(.renewLoan(first.id)) == .noPolicy)
    }

    @Test func returnWithoutPolicyAssessesNoFine() async {
        let library = UnitFixture()
        let member = await library.member()
        let loan = await library.checkout(member, await library.item())!
        await library.run(.setPolicy(PolicyKey(tier: "films-only", itemType: .media), .standard))
        await library.run(.updateMember(member, MemberChanges(tier: "films-only")))
        library.clock.set(Timestamp.startOfDay(loan.dueAt.day + 10))
        guard case .ok(.loan(let returned)) = await library.run(.returnLoan(loan.id)) else {
            Issue.record("return refused")
            return
        }
        #expect(returned.fineCents == 0)
    }

    @Test func hostileIdsAreRefusedNotTrapped() async {
        let library = UnitFixture(shardCount: 1)
        let huge = UInt64.max - 3
        #expect(await library.refusal(.getItem(ItemID(huge))) == .itemNotFound)
        #expect(await library.refusal(.getMember(MemberID(huge))) == .memberNotFound)
        #expect(await library.refusal(.returnLoan(LoanID(huge))) == .loanNotFound)
        let member = await library.member()
        #expect(await library.refusal(.checkout(member: member, item: ItemID(huge))) == .itemNotFound)
        #expect(await library.refusal(.checkout(member: MemberID(1 << 63), item: ItemID(1 << 63))) == .memberNotFound)
    }
}
