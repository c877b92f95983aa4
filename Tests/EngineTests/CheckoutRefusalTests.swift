import Engine
import Testing

@Suite struct CheckoutRefusalTests {
    @Test func successfulCheckoutTakesACopyAndRecordsTheLoan() async {
        let library = UnitFixture()
        let item = await library.item(copies: 2)
        let member = await library.member()
        let loan = await library.checkout(member, item)
        #expect(loan?.member == member && loan?.item == item)
        #expect(await library.itemRecord(item)?.availableCopies == 1)
        #expect(await library.memberRecord(member)?.activeLoans.map(\.item) == [item])
        await library.expectInvariants()
    }

    @Test func memberNotFound() async {
        let library = UnitFixture()
        let item = await library.item()
        #expect(await library.refusal(.checkout(member: MemberID(99), item: item)) == .memberNotFound)
    }

    @Test func suspendedMember() async {
        let library = UnitFixture()
        let item = await library.item()
        let member = await library.member()
        await library.run(.suspendMember(member))
        #expect(await library.refusal(.checkout(member: member, item: item)) == .memberSuspended)
        await library.run(.reinstateMember(member))
        #expect(await library.checkout(member, item) != nil)
    }

    @Test func expiredCard() async {
        let library = UnitFixture()
        let item = await library.item()
        let member = await library.member(expires: CivilDate(year: 2026, month: 11, day: 20))
        #expect(await library.refusal(.checkout(member: member, item: item)) == .cardExpired)
    }

    @Test func cardIsValidThroughItsExpiryDay() async {
        let library = UnitFixture()
        let item = await library.item()
        let member = await library.member(expires: CivilDate(year: 2026, month: 11, day: 21))
        #expect(await library.checkout(member, item) != nil)
    }

    @Test func itemNotFoundAndWithdrawn() async {
        let library = UnitFixture()
        let member = await library.member()
        #expect(await library.refusal(.checkout(member: member, item: ItemID(42))) == .itemNotFound)
        let item = await library.item()
        await library.run(.withdrawItem(item))
        #expect(await library.refusal(.checkout(member: member, item: item)) == .itemWithdrawn)
    }

    @Test func blockedByFines() async {
        let library = UnitFixture()
        let first = await library.item()
        let second = await library.item()
        let member = await library.member()
        let loan = await library.checkout(member, first)!
        // 20 days late at 25 cents a day is 500 cents: exactly the block threshold.
        library.clock.set(Timestamp.endOfDay(loan.dueAt.day + 20).adding(milliseconds: -1000))
        #expect(await library.run(.returnLoan(loan.id)).isOK)
        #expect(await library.memberRecord(member)?.finesOwedCents == 500)
        #expect(await library.refusal(.checkout(member: member, item: second)) == .blockedByFines)
        #expect(await library.run(.payFine(member, amountCents: 1)) == .ok(.finesOwed(member, cents: 499)))
        #expect(await library.checkout(member, second) != nil)
    }

    @Test func loanLimitReached() async {
        let library = UnitFixture()
        let member = await library.member()
        for _ in 0..<5 {
            let item = await library.item()
            #expect(await library.checkout(member, item) != nil)
        }
        let sixth = await library.item()
        #expect(await library.refusal(.checkout(member: member, item: sixth)) == .loanLimitReached)
        let premium = await library.member(tier: "premium")
        for _ in 0..<10 {
            let item = await library.item()
            #expect(await library.checkout(premium, item) != nil)
        }
        #expect(await library.refusal(.checkout(member: premium, item: sixth)) == .loanLimitReached)
    }

    @Test func alreadyHoldsItemAndNoCopyAvailable() async {
        let library = UnitFixture()
        let item = await library.item(copies: 1)
        let first = await library.member()
        let second = await library.member()
        #expect(await library.checkout(first, item) != nil)
        #expect(await library.refusal(.checkout(member: first, item: item)) == .alreadyHoldsItem)
        #expect(await library.refusal(.checkout(member: second, item: item)) == .noCopyAvailable)
    }

    @Test func noPolicyForTierAndType() async {
        let library = UnitFixture()
        await library.run(.setPolicy(PolicyKey(tier: "children", itemType: .book), .standard))
        let child = await library.member(tier: "children")
        let film = await library.item(type: .media)
        #expect(await library.refusal(.checkout(member: child, item: film)) == .noPolicy)
    }

    @Test func memberRefusalsOutrankItemRefusals() async {
        let library = UnitFixture()
        let member = await library.member()
        await library.run(.suspendMember(member))
        #expect(await library.refusal(.checkout(member: member, item: ItemID(999))) == .memberSuspended)
        let other = await library.member()
        let item = await library.item()
        await library.run(.withdrawItem(item))
        // An item refusal outranks the member's policy-dependent refusals.
        for _ in 0..<5 { _ = await library.checkout(other, await library.item()) }
        #expect(await library.refusal(.checkout(member: other, item: item)) == .itemWithdrawn)
    }

    @Test func loansAndFinesRefusals() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item()
        #expect(await library.refusal(.returnLoan(LoanID(77))) == .loanNotFound)
        let loan = await library.checkout(member, item)!
        #expect(await library.run(.returnLoan(loan.id)).isOK)
        #expect(await library.refusal(.returnLoan(loan.id)) == .loanNotActive)
        #expect(await library.refusal(.renewLoan(loan.id)) == .loanNotActive)
        #expect(await library.refusal(.payFine(member, amountCents: 1)) == .paymentExceedsFines)
        #expect(await library.refusal(.payFine(MemberID(999), amountCents: 1)) == .memberNotFound)
    }

    @Test func catalogAndMemberRefusals() async {
        let library = UnitFixture()
        let item = await library.item(copies: 2)
        let member = await library.member(email: "ada@example.org")
        _ = await library.checkout(member, item)
        #expect(await library.refusal(.removeCopies(item, count: 2)) == .copiesOnLoan)
        #expect(await library.refusal(.withdrawItem(item)) == .itemHasActiveLoans)
        #expect(await library.run(.removeCopies(item, count: 1)) != .refused(Refusal(.copiesOnLoan)))
        #expect(await library.refusal(.registerMember(MemberDraft(email: "ADA@example.org", name: "B", tier: "standard", cardExpiryDay: 30000))) == .emailTaken)
        #expect(await library.refusal(.registerMember(MemberDraft(email: "b@example.org", name: "B", tier: "gold", cardExpiryDay: 30000))) == .unknownTier)
        let other = await library.member(email: "grace@example.org")
        #expect(await library.refusal(.updateMember(other, MemberChanges(email: "ada@example.org"))) == .emailTaken)
        #expect(await library.run(.updateMember(member, MemberChanges(email: "lovelace@example.org"))).isOK)
        #expect(await library.run(.updateMember(other, MemberChanges(email: "ada@example.org"))).isOK)
        #expect(await library.refusal(.reinstateMember(other)) == .memberAlreadyActive)
        await library.run(.suspendMember(other))
        #expect(await library.refusal(.suspendMember(other)) == .memberAlreadySuspended)
        await library.expectInvariants()
    }

    @Test func invalidFieldsNameTheField() async {
        let library = UnitFixture()
        let bad = ItemDraft(isbn: "9780306406158", title: "T", author: "", publisher: "", year: 2000, type: .book, copies: 1)
        #expect(await library.run(.createItem(bad)) == .refused(.invalid(.isbn)))
        let untitled = ItemDraft(isbn: "0-306-40615-2", title: "", author: "", publisher: "", year: 2000, type: .book, copies: 1)
        #expect(await library.run(.createItem(untitled)) == .refused(.invalid(.title)))
        #expect(await library.run(.registerMember(MemberDraft(email: "not-an-address", name: "N", tier: "standard", cardExpiryDay: 1))) == .refused(.invalid(.email)))
        #expect(await library.run(.overdueLoans(after: nil, limit: 0)) == .refused(.invalid(.pageSize)))
        #expect(await library.run(.payFine(MemberID(1), amountCents: 0)) == .refused(.invalid(.amount)))
    }
}
