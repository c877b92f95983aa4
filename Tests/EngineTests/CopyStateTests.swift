import Engine
import Testing

/// Copies lost, claimed returned and missing: docs/circulation-rules.md, "Copy states".
@Suite struct CopyStateTests {
    @Test func aLostLoanChargesTheFeeAndTheFoundCopyGoesToTheFirstHold() async throws {
        let library = UnitFixture()
        let item = await library.item(copies: 1)
        let (reader, waiting) = (await library.member(), await library.member())
        let loan = try #require(await library.checkout(reader, item))
        #expect(await library.run(.placeHold(member: waiting, item: item)).isOK)
        guard case .ok(.loan(let lost)) = await library.run(.declareLost(loan.id)) else { Issue.record("declare lost refused"); return }
        #expect(lost.end == .lost && lost.returnedAt == UnitFixture.start && lost.fineCents == Policy.standard.lostItemFeeCents)
        #expect(try #require(await library.memberRecord(reader)).finesOwedCents == Policy.standard.lostItemFeeCents)
        #expect(try #require(await library.memberRecord(reader)).activeLoans.isEmpty)
        var record = try #require(await library.itemRecord(item))
        #expect(record.lostCopies == 1 && record.availableCopies == 0 && record.copiesOnLoan == 0)
        #expect(await library.refusal(.declareLost(loan.id)) == .loanNotActive)
        #expect(await library.refusal(.returnLoan(loan.id)) == .loanNotActive)
        #expect(await library.refusal(.markFound(item, from: .missing)) == .noCopyInState)
        // Found again: the copy goes to the member waiting for it.
        guard case .ok(.item(let found)) = await library.run(.markFound(item, from: .lost)) else { Issue.record("found refused"); return }
        #expect(found.lostCopies == 0 && found.awaitingPickup == 1 && found.availableCopies == 0)
        _ = try #require(await library.checkout(waiting, item))
        // Lost copies do not stop a withdrawal; copies out do.
        // The lost fee put the reader over the fines threshold.
        #expect(await library.refusal(.checkout(member: reader, item: item)) == .blockedByFines)
        let other = await library.item(copies: 2)
        let out = try #require(await library.checkout(await library.member(), other))
        #expect(await library.refusal(.withdrawItem(other)) == .itemHasActiveLoans)
        #expect(await library.run(.declareLost(out.id)).isOK)
        #expect(await library.run(.withdrawItem(other)).isOK)
        record = try #require(await library.itemRecord(other))
        #expect(record.status == .withdrawn && record.lostCopies == 1)
        await library.expectInvariants()
    }

    @Test func claimsAndMissingCopies() async throws {
        let library = UnitFixture()
        let item = await library.item(copies: 3)
        let reader = await library.member()
        let loan = try #require(await library.checkout(reader, item))
        library.clock.set(UnitFixture.at(2026, 12, 20))
        guard case .ok(.loan(let claimed)) = await library.run(.claimReturned(loan.id)) else { Issue.record("claim refused"); return }
        // Overdue, but a claim charges nothing.
        #expect(claimed.end == .claimedReturned && claimed.fineCents == 0)
        #expect(try #require(await library.memberRecord(reader)).finesOwedCents == 0)
        #expect(await library.refusal(.markMissing(item, count: 3)) == .copiesOnLoan)
        guard case .ok(.item(let missing)) = await library.run(.markMissing(item, count: 2)) else { Issue.record("missing refused"); return }
        #expect(missing.missingCopies == 2 && missing.claimedReturnedCopies == 1 && missing.availableCopies == 0)
        #expect(await library.refusal(.checkout(member: reader, item: item)) == .noCopyAvailable)
        #expect(await library.run(.markFound(item, from: .claimedReturned)).isOK)
        _ = try #require(await library.checkout(reader, item))
        await library.expectInvariants()
    }
}
