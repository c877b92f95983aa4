import Engine
import Testing

@Suite struct TimeAndFineTests {
    @Test func civilDatesRoundTrip() {
        for day in Int32(-800_000)...Int32(800_000) where day % 997 == 0 {
            let date = CivilDate(day: day)
            #expect(date.daysSinceEpoch == day)
        }
        #expect(CivilDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).daysSinceEpoch == 11_017)
        #expect(CivilDate(day: 19_782).description == "2024-02-29")
        #expect(CivilDate(iso: "2023-02-29") == nil)
        #expect(CivilDate(iso: "2024-02-29") == CivilDate(year: 2024, month: 2, day: 29))
        #expect(UnitFixture.at(2026, 11, 21, hour: 9).description == "2026-11-21T09:00:00.000Z")
    }

    @Test(arguments: [
        // checkout day, loan days, due day
        ((2026, 12, 20), 14, (2027, 1, 3)),  // across a year end
        ((2026, 1, 31), 28, (2026, 2, 28)),  // across a short month
        ((2024, 2, 15), 14, (2024, 2, 29)),  // onto a leap day
        ((2028, 2, 28), 1, (2028, 2, 29)),
        ((2027, 2, 28), 1, (2027, 3, 1)),
        ((2026, 4, 30), 14, (2026, 5, 14)),
    ])
    func dueDatesFallAtTheEndOfTheDueDay(start: (Int32, Int32, Int32), loanDays: Int32, due: (Int32, Int32, Int32)) async {
        let library = UnitFixture(start: UnitFixture.at(start.0, start.1, start.2, hour: 15))
        await library.run(.setPolicy(PolicyKey(tier: "standard", itemType: .book), Policy(loanDays: loanDays, maxLoans: 5, maxRenewals: 2, finePerDayCents: 25, maxFinePerLoanCents: 1000, blockThresholdCents: 500)))
        let member = await library.member()
        let loan = await library.checkout(member, await library.item())!
        #expect(CivilDate(day: loan.dueAt.day) == CivilDate(year: due.0, month: due.1, day: due.2))
        #expect(loan.dueAt == Timestamp.endOfDay(loan.dueAt.day))
    }

    @Test(arguments: [
        // return time relative to due day (days, hour), expected fine in cents
        (0, 23, Int64(0)),  // on the due day: no fine
        (1, 0, 25),  // just after midnight: one day late
        (1, 23, 25),
        (3, 12, 75),
        (40, 12, 1000),  // capped per loan
    ])
    func finesCountWholeDaysLateAndAreCapped(daysAfterDue: Int32, hour: Int64, fine: Int64) async {
        let library = UnitFixture(start: UnitFixture.at(2026, 12, 25))
        let member = await library.member()
        let loan = await library.checkout(member, await library.item())!
        library.clock.set(Timestamp.startOfDay(loan.dueAt.day + daysAfterDue).adding(milliseconds: hour * 3_600_000))
        guard case .ok(.loan(let returned)) = await library.run(.returnLoan(loan.id)) else {
            Issue.record("return refused")
            return
        }
        #expect(returned.fineCents == fine)
        #expect(await library.memberRecord(member)?.finesOwedCents == fine)
    }

    @Test func renewalCountsFromTheRenewalAndStopsAtTheLimit() async {
        let library = UnitFixture(start: UnitFixture.at(2026, 12, 30))
        let member = await library.member()
        let loan = await library.checkout(member, await library.item())!
        #expect(CivilDate(day: loan.dueAt.day) == CivilDate(year: 2027, month: 1, day: 13))
        library.clock.set(UnitFixture.at(2027, 1, 10))
        guard case .ok(.loan(let renewed)) = await library.run(.renewLoan(loan.id)) else {
            Issue.record("renewal refused")
            return
        }
        #expect(renewed.renewals == 1)
        #expect(CivilDate(day: renewed.dueAt.day) == CivilDate(year: 2027, month: 1, day: 24))
        #expect(await library.run(.renewLoan(loan.id)).isOK)
        #expect(await library.refusal(.renewLoan(loan.id)) == .renewalLimitReached)
    }

    @Test func theClockNeverRunsBackwards() async {
        let library = UnitFixture()
        let member = await library.member()
        let loan = await library.checkout(member, await library.item())!
        library.clock.set(Timestamp(rawValue: 0))
        guard case .ok(.loan(let returned)) = await library.run(.returnLoan(loan.id)) else {
            Issue.record("return refused")
            return
        }
        #expect(returned.returnedAt == loan.checkedOutAt)
    }

    @Test func overdueLoansArePaginatedByCursor() async {
        let library = UnitFixture(shardCount: 3)
        var loans: [LoanID] = []
        for _ in 0..<7 {
            let member = await library.member()
            loans.append(await library.checkout(member, await library.item())!.id)
        }
        library.clock.advance(milliseconds: 20 * Timestamp.millisecondsPerDay)
        var seen: [LoanID] = []
        var cursor: LoanID? = nil
        repeat {
            guard case .ok(.loans(let page, let next)) = await library.run(.overdueLoans(after: cursor, limit: 3)) else {
                Issue.record("overdue listing refused")
                return
            }
            seen += page.map(\.id)
            cursor = next
        } while cursor != nil
        #expect(seen == loans)
    }
}

/// Fines accrue day by day on overdue loans, by the batch clock: reads show what a return at that
/// moment would charge, and the return charges exactly that.
@Suite struct AccrualTests {
    @Test func readsShowTheFineAccruedSoFar() async throws {
        let library = UnitFixture()
        let item = await library.item(copies: 1)
        let reader = await library.member()
        let loan = try #require(await library.checkout(reader, item))
        // Due at the end of 2026-12-05; three days late on 2026-12-08.
        library.clock.set(UnitFixture.at(2026, 12, 8))
        guard case .ok(.memberWithLoans(_, let active)) = await library.run(.getMember(reader)) else { Issue.record("no member"); return }
        #expect(active.map(\.fineCents) == [3 * Policy.standard.finePerDayCents])
        guard case .ok(.loans(let overdue, _)) = await library.run(.overdueLoans(after: nil, limit: 10)) else { Issue.record("no list"); return }
        #expect(overdue.map(\.fineCents) == [75])
        // Nothing is charged until the return, which charges what was shown; the cap holds.
        #expect(try #require(await library.memberRecord(reader)).finesOwedCents == 0)
        library.clock.set(UnitFixture.at(2027, 3, 1))
        guard case .ok(.loans(let capped, _)) = await library.run(.memberLoans(reader, after: nil, limit: 10)) else { Issue.record("no list"); return }
        #expect(capped.map(\.fineCents) == [Policy.standard.maxFinePerLoanCents])
        guard case .ok(.loan(let returned)) = await library.run(.returnLoan(loan.id)) else { Issue.record("return refused"); return }
        #expect(returned.fineCents == Policy.standard.maxFinePerLoanCents)
    }
}
