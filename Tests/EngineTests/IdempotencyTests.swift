import Engine
import Testing

@Suite struct IdempotencyTests {
    @Test func repeatedKeyReturnsTheFirstOutcomeAndChangesNothing() async {
        let library = UnitFixture()
        let item = await library.item(copies: 3)
        let member = await library.member()
        let first = await library.run(.checkout(member: member, item: item), key: "desk-1/0001")
        let digest = await library.engine.digest()
        let again = await library.run(.checkout(member: member, item: item), key: "desk-1/0001")
        #expect(first.isOK)
        #expect(again == first)
        #expect(await library.itemRecord(item)?.availableCopies == 2)
        // The repeat changed nothing but the sequence and the clock, which reads advance too.
        let header = await library.engine.currentHeader()
        #expect(header.rememberedKeys.count == 1)
        #expect(digest != (await library.engine.digest()))
    }

    @Test func refusalsAreRememberedToo() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item(copies: 1)
        let other = await library.member()
        _ = await library.checkout(other, item)
        #expect(await library.refusal(.checkout(member: member, item: item), key: "k") == .noCopyAvailable)
        await library.run(.returnLoan(LoanID(1)))
        // The copy is back, but the key stands for the first outcome.
        #expect(await library.refusal(.checkout(member: member, item: item), key: "k") == .noCopyAvailable)
    }

    @Test func keyReusedForAnotherCommandIsRefused() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item()
        #expect(await library.run(.checkout(member: member, item: item), key: "k").isOK)
        #expect(await library.refusal(.payFine(member, amountCents: 5), key: "k") == .idempotencyKeyReused)
    }

    @Test func repeatsWithinOneBatchShareTheOutcome() async {
        let library = UnitFixture()
        let member = await library.member()
        let item = await library.item(copies: 5)
        let checkout = Request(.checkout(member: member, item: item), idempotencyKey: "same")
        let outcomes = await library.engine.execute([checkout, checkout, Request(.payFine(member, amountCents: 1), idempotencyKey: "same")]).outcomes
        #expect(outcomes[0].isOK && outcomes[1] == outcomes[0])
        #expect(outcomes[2] == .refused(Refusal(.idempotencyKeyReused)))
        #expect(await library.itemRecord(item)?.availableCopies == 4)
    }

    @Test func keysAreForgottenAfterTheRetentionAndBeyondTheCount() async {
        let library = UnitFixture(idempotency: IdempotencyRetention(keysMax: 2, retentionMilliseconds: 3_600_000))
        let member = await library.member()
        let items = [await library.item(copies: 9), await library.item(copies: 9), await library.item(copies: 9)]
        _ = await library.run(.checkout(member: member, item: items[0]), key: "a")
        _ = await library.run(.checkout(member: member, item: items[1]), key: "b")
        _ = await library.run(.checkout(member: member, item: items[2]), key: "c")
        // "a" was the oldest of three with room for two: it is forgotten, so this runs again.
        #expect(await library.refusal(.checkout(member: member, item: items[0]), key: "a") == .alreadyHoldsItem)
        #expect(await library.engine.currentHeader().rememberedKeys.map(\.key) == ["c", "a"])
        // Age is checked when a batch starts: any batch, a read included.
        library.clock.advance(milliseconds: 3_600_000)
        _ = await library.run(.getMember(member))
        #expect(await library.engine.currentHeader().rememberedKeys.isEmpty)
    }

    @Test func invalidKeysAreRefused() async {
        let library = UnitFixture()
        let member = await library.member()
        #expect(await library.run(.suspendMember(member), key: "") == .refused(.invalid(.idempotencyKey)))
        #expect(await library.run(.suspendMember(member), key: String(repeating: "x", count: 65)) == .refused(.invalid(.idempotencyKey)))
        #expect(await library.memberRecord(member)?.status == .active)
    }
}
