import Engine
import Testing

/// `import_loan`: historical loans with their own times (docs/circulation-rules.md).
@Suite struct ImportTests {
    static let day = Timestamp.millisecondsPerDay

    /// A loan checked out `daysAgo` days before the fixture's start, due 14 days after.
    static func history(_ member: MemberID, _ item: ItemID, daysAgo: Int64, returnedAfter days: Int64? = nil, fine: Int64? = nil, owed: Bool = false) -> LoanImport {
        let checkedOut = UnitFixture.start.adding(milliseconds: -daysAgo * day)
        return LoanImport(
            member: member, item: item, checkedOutAt: checkedOut, dueAt: Timestamp.endOfDay(checkedOut.day + 14),
            returnedAt: days.map { checkedOut.adding(milliseconds: $0 * day) }, fineCents: fine, fineOwed: owed)
    }

    func imported(_ library: UnitFixture, _ entry: LoanImport) async -> Loan? {
        if case .ok(.loan(let loan)) = await library.run(.importLoan(entry)) { return loan }
        return nil
    }

    @Test func aReturnedImportIsHistoryOnly() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item(copies: 1)
        let loan = await imported(library, Self.history(member, item, daysAgo: 100, returnedAfter: 10))
        #expect(loan?.returnedAt == UnitFixture.start.adding(milliseconds: -90 * Self.day))
        #expect(loan?.checkedOutAt == UnitFixture.start.adding(milliseconds: -100 * Self.day))
        #expect(loan?.fineCents == 0)
        // No copy taken, no active loan, and the member's history lists it.
        #expect(await library.itemRecord(item)?.availableCopies == 1)
        #expect(await library.memberRecord(member)?.activeLoans.isEmpty == true)
        guard case .ok(.loans(let loans, _)) = await library.run(.memberLoans(member, after: nil, limit: 10)) else { Issue.record("no history"); return }
        #expect(loans.map(\.id) == [loan!.id])
        #expect(await library.refusal(.returnLoan(loan!.id)) == .loanNotActive)
        await library.expectInvariants()
    }

    @Test func aLateReturnCarriesThePolicysFineSettledUnlessOwed() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item()
        // Due at the end of day 14; returned on day 17: three days late at 25 cents.
        let settled = await imported(library, Self.history(member, item, daysAgo: 100, returnedAfter: 17))
        #expect(settled?.fineCents == 75)
        #expect(await library.memberRecord(member)?.finesOwedCents == 0)
        let owed = await imported(library, Self.history(member, item, daysAgo: 100, returnedAfter: 80, owed: true))
        #expect(owed?.fineCents == 1000)
        #expect(await library.memberRecord(member)?.finesOwedCents == 1000)
        // A given fine is kept when within the policy's cap, refused above it.
        #expect(await imported(library, Self.history(member, item, daysAgo: 40, returnedAfter: 20, fine: 1000))?.fineCents == 1000)
        #expect(await library.run(.importLoan(Self.history(member, item, daysAgo: 40, returnedAfter: 20, fine: 1001))).refusal == .invalid(.fine))
        // Only a late return carries a fine.
        #expect(await library.run(.importLoan(Self.history(member, item, daysAgo: 40, returnedAfter: 3, fine: 10))).refusal == .invalid(.fine))
        await library.expectInvariants()
    }

    @Test func anActiveImportTakesACopyAndBypassesStandingAndLimits() async {
        let library = UnitFixture()
        await library.run(.setPolicy(PolicyKey(tier: "standard", itemType: .book), Policy(loanDays: 14, maxLoans: 0, maxRenewals: 2, finePerDayCents: 25, maxFinePerLoanCents: 1000, blockThresholdCents: 500)))
        let member = await library.member()
        let item = await library.item(copies: 1)
        await library.run(.suspendMember(member))
        let loan = await imported(library, Self.history(member, item, daysAgo: 3))
        #expect(loan?.isActive == true)
        #expect(await library.itemRecord(item)?.availableCopies == 0)
        #expect(await library.memberRecord(member)?.activeLoans.map(\.loan) == [loan!.id])
        // The copy is out: a second active import of it has none, a returned one needs none.
        let other = await library.member()
        #expect(await library.run(.importLoan(Self.history(other, item, daysAgo: 2))).refusal == Refusal(.noCopyAvailable))
        #expect(await imported(library, Self.history(other, item, daysAgo: 30, returnedAfter: 5)) != nil)
        await library.run(.addCopies(item, count: 1))
        #expect(await library.run(.importLoan(Self.history(member, item, daysAgo: 1))).refusal == Refusal(.alreadyHoldsItem))
        // Returned like any loan, with the fine of a return now.
        guard case .ok(.loan(let returned)) = await library.run(.returnLoan(loan!.id)) else { Issue.record("return refused"); return }
        #expect(returned.returnedAt == UnitFixture.start)
        #expect(await library.itemRecord(item)?.availableCopies == 2)
        await library.expectInvariants()
    }

    @Test func refusalsComeInTheDocumentedOrder() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item()
        let missingItem = ItemID(99)
        let missingMember = MemberID(99)
        #expect(await library.run(.importLoan(Self.history(missingMember, missingItem, daysAgo: 3))).refusal == Refusal(.memberNotFound))
        #expect(await library.run(.importLoan(Self.history(missingMember, missingItem, daysAgo: 9, returnedAfter: 1))).refusal == Refusal(.memberNotFound))
        #expect(await library.run(.importLoan(Self.history(member, missingItem, daysAgo: 3))).refusal == Refusal(.itemNotFound))
        #expect(await library.run(.importLoan(Self.history(member, missingItem, daysAgo: 9, returnedAfter: 1))).refusal == Refusal(.itemNotFound))
        await library.run(.withdrawItem(item))
        #expect(await library.run(.importLoan(Self.history(member, item, daysAgo: 3))).refusal == Refusal(.itemWithdrawn))
        // History of a withdrawn item is still history.
        #expect(await imported(library, Self.history(member, item, daysAgo: 9, returnedAfter: 1)) != nil)
    }

    @Test func timesMustBeOrderedAndNotInTheFuture() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item()
        let now = UnitFixture.start
        func refusal(_ checkedOut: Timestamp, _ due: Timestamp, _ returned: Timestamp? = nil, fine: Int64? = nil, owed: Bool = false) async -> Refusal? {
            await library.run(.importLoan(LoanImport(member: member, item: item, checkedOutAt: checkedOut, dueAt: due, returnedAt: returned, fineCents: fine, fineOwed: owed))).refusal
        }
        let before = await library.engine.currentHeader().nextLoanID
        #expect(await refusal(now.adding(milliseconds: 1), now.adding(milliseconds: Self.day)) == .invalid(.checkedOutAt))
        #expect(await refusal(Timestamp(rawValue: -1), now) == .invalid(.checkedOutAt))
        #expect(await refusal(now, now.adding(milliseconds: -1)) == .invalid(.dueAt))
        #expect(await refusal(now.adding(milliseconds: -Self.day), now, now.adding(milliseconds: 1)) == .invalid(.returnedAt))
        #expect(await refusal(now, now, now.adding(milliseconds: -1)) == .invalid(.returnedAt))
        #expect(await refusal(now, now, nil, fine: 0) == .invalid(.fine))
        #expect(await refusal(now, now, nil, owed: true) == .invalid(.fine))
        #expect(await refusal(now.adding(milliseconds: -2 * Self.day), now.adding(milliseconds: -Self.day), now, fine: -1) == .invalid(.fine))
        // Refused fields and times take no loan id.
        #expect(await library.engine.currentHeader().nextLoanID == before)
        // Checked out and returned at the batch's own time is not the future.
        #expect(await refusal(now, now, now) == nil)
    }

    @Test func importsReplayToTheSameState() async {
        let engine = Engine(configuration: EngineConfiguration(shardCount: 2), clock: ManualClock(UnitFixture.start))
        let replica = Engine(configuration: EngineConfiguration(shardCount: 3))
        let setup = await engine.execute([
            Request(.registerMember(MemberDraft(email: "a@example.org", name: "A", tier: "standard", cardExpiryDay: 30_000))),
            Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2001, type: .book, copies: 2))),
            Request(.createItem(ItemDraft(isbn: "9780306406157", title: "U", author: "A", publisher: "P", year: 2001, type: .media, copies: 1))),
        ])
        await replica.apply(setup.record)
        var requests: [Request] = []
        for index in 0..<40 {
            let returned: Int64? = index % 3 == 0 ? nil : Int64(index % 30)
            requests.append(Request(.importLoan(Self.history(1, ItemID(UInt64(1 + index % 2)), daysAgo: Int64(60 - index), returnedAfter: returned, owed: index % 4 == 1))))
        }
        let result = await engine.execute(requests)
        #expect(result.outcomes.contains { $0.isOK } && result.outcomes.contains { !$0.isOK })
        await replica.apply(result.record)
        #expect(await replica.digest() == (await engine.digest()))
        #expect(await replica.invariantViolations().isEmpty)
        #expect(await engine.invariantViolations().isEmpty)
    }

    @Test func isoTimesRoundTrip() {
        let time = Timestamp(rawValue: 1_795_255_200_123)
        #expect(Timestamp(iso: time.description) == time)
        #expect(Timestamp(iso: "2026-11-21T10:00:00Z") == Timestamp(rawValue: 1_795_255_200_000))
        for bad in ["2026-11-21", "2026-11-21T24:00:00.000Z", "2026-02-30T10:00:00.000Z", "2026-11-21T10:00:00.000", "2026-11-21T10:00:0x.000Z", "2026-11-21 10:00:00.000Z"] {
            #expect(Timestamp(iso: bad) == nil, "\(bad)")
        }
    }
}
