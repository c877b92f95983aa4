import Engine
import Testing

/// Regressions: minimal reproductions of mismatches the property tests once found, each checked against the
/// reference model (which runs the batch serially, as docs/circulation-rules.md requires).
@Suite struct PlanningRegressionTests {
    static let start = Timestamp(rawValue: Int64(CivilDate(year: 2026, month: 3, day: 2).daysSinceEpoch) * Timestamp.millisecondsPerDay + 36_000_000)

    static func item(_ copies: Int32 = 1) -> Request {
        Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2001, type: .book, copies: copies)))
    }

    static func member(_ email: String) -> Request {
        Request(.registerMember(MemberDraft(email: email, name: "N", tier: "standard", cardExpiryDay: start.day + 365)))
    }

    /// Runs the batches on a fresh engine and a fresh model; expects equal outcomes and digests.
    static func compare(_ batches: [[Request]], shardCount: Int = 2, slotsPerHop: Int = EngineConfiguration.slotsPerHopDefault, sourceLocation: SourceLocation = #_sourceLocation) async {
        let configuration = EngineConfiguration(shardCount: shardCount, slotsPerHop: slotsPerHop)
        let engine = Engine(configuration: configuration, clock: ManualClock(start))
        var model = ReferenceModel(configuration: configuration)
        for (index, batch) in batches.enumerated() {
            let actual = await engine.execute(batch).outcomes
            let expected = model.execute(batch, now: start)
            for slot in batch.indices where actual[slot] != expected[slot] {
                Issue.record(
                    "batch \(index) slot \(slot) \(batch[slot].command):\n  expected \(expected[slot])\n  engine   \(actual[slot])",
                    sourceLocation: sourceLocation)
            }
        }
        let engineDigest = await engine.digest()
        #expect(engineDigest == model.digest(), "digest", sourceLocation: sourceLocation)
    }

    /// Building a wave asks for item types a few slots ahead; an item id from a client can be
    /// anything up to UInt64.max, and one far enough into a wave part once trapped the engine
    /// (converting it to an array index) instead of being refused as not found.
    @Test func hostileItemIDsFarIntoAWave() async {
        func daysAgo(_ days: Int64) -> Timestamp { Timestamp(rawValue: Self.start.rawValue - days * Timestamp.millisecondsPerDay) }
        var batch = (0..<20).map { Request(.getMember(MemberID(UInt64(1_000 + $0)))) }
        batch.append(Request(.checkout(member: 1, item: ItemID(UInt64.max))))
        batch.append(Request(.importLoan(LoanImport(member: 2, item: ItemID(UInt64.max), checkedOutAt: daysAgo(20), dueAt: daysAgo(6), returnedAt: daysAgo(7)))))
        batch.append(Request(.importLoan(LoanImport(member: 2, item: ItemID(UInt64.max - 1), checkedOutAt: daysAgo(20), dueAt: daysAgo(6)))))
        await Self.compare([[Self.item(), Self.member("a@x.org"), Self.member("b@x.org")], batch])
    }

    /// Planning goes on while the first wave runs, a part (`slotsPerHop` commands) at a time: with
    /// parts of one command, command k is planned once the first-wave parts up to two before it
    /// have been completed. What planning reads must not be changed by them in a way that
    /// changes an outcome: here a hold filled (and one placed) by an earlier first-wave command
    /// is looked up by a cancel planned after that command completed — the first found ended in
    /// the hold book, the second found in it — besides idempotency keys and loans made earlier
    /// in the batch. Commands refused while planning (the zero payments) separate them.
    @Test(arguments: [1, 2, 512])
    func planningWhileTheFirstWaveRuns(slotsPerHop: Int) async {
        let key = "repeat-me"
        await Self.compare(
            [
                [Self.item(), Self.item(), Self.member("a@x.org"), Self.member("b@x.org"), Self.member("c@x.org")],  // 1-5
                [Request(.checkout(member: 1, item: 1))],  // 6: loan 1
                [Request(.placeHold(member: 2, item: 1))],  // 7: hold 7
                [Request(.returnLoan(1))],  // 8: hold 7 ready for member 2
                [Request(.checkout(member: 1, item: 2))],  // 9: loan 2, item 2 out
                [
                    Request(.checkout(member: 2, item: 1)),  // 10: fills hold 7 (loan 3), first wave
                    Request(.payFine(3, amountCents: 0), idempotencyKey: key),  // 11: refused, and remembered
                    Request(.cancelHold(7)),  // 12: HOLD_NOT_FOUND, the hold ended at 10
                    Request(.placeHold(member: 3, item: 2)),  // 13: hold 13, first wave
                    Request(.payFine(3, amountCents: 0), idempotencyKey: key),  // 14: a repeat of 11
                    Request(.cancelHold(13)),  // 15: cancels the hold placed at 13
                    Request(.returnLoan(3)),  // 16: the loan made at 10
                    Request(.payFine(2, amountCents: 0), idempotencyKey: key),  // 17: IDEMPOTENCY_KEY_REUSED
                ],
            ], slotsPerHop: slotsPerHop)
    }

    /// A checkout naming an item that a LATER command of the same batch creates must be refused
    /// ITEM_NOT_FOUND (commands run as if one by one in order).
    @Test func checkoutOfItemCreatedLaterInTheBatch() async {
        await Self.compare([
            [Self.item(), Self.member("a@x.org")],
            [Request(.getMember(1)), Request(.checkout(member: 1, item: 2)), Self.item()],
        ])
    }

    /// Same with a member registered later in the batch.
    @Test func checkoutByMemberRegisteredLaterInTheBatch() async {
        await Self.compare([
            [Self.item(2), Self.member("a@x.org")],
            [Request(.getItem(1)), Request(.checkout(member: 2, item: 1)), Self.member("b@x.org")],
        ])
    }

    /// Id 0 names nothing ("Zero never names anything"): every command naming item or member 0
    /// must be refused ITEM_NOT_FOUND / MEMBER_NOT_FOUND. (Any shard count: id 0 has local index
    /// 0 on shard 0, where a placeholder sits once that shard owns a higher id.)
    @Test(arguments: [1, 2, 3])
    func idZeroNamesNothing(shardCount: Int) async {
        await Self.compare([
            [Self.item(), Self.item(), Self.item(), Self.member("a@x.org"), Self.member("b@x.org"), Self.member("c@x.org")],
            [
                Request(.checkout(member: 0, item: 1)), Request(.checkout(member: 1, item: 0)), Request(.getItem(0)), Request(.getMember(0)),
                Request(.memberLoans(0, after: nil, limit: 5)), Request(.suspendMember(0)), Request(.reinstateMember(0)),
                Request(.payFine(0, amountCents: 1)), Request(.updateMember(0, MemberChanges(name: "X"))),
                Request(.updateItem(0, ItemChanges(title: "X"))), Request(.withdrawItem(0)), Request(.addCopies(0, count: 1)),
                Request(.removeCopies(0, count: 1)),
            ],
        ], shardCount: shardCount)
    }

    /// Returned imports only read their item, so they may share a wave; they must still see the
    /// item as the commands before them left it (its type after an update, its existence after a
    /// create later in the batch) and writers after them must wait for them.
    @Test(arguments: [1, 2, 3])
    func returnedImportsReadTheirItemInSequence(shardCount: Int) async {
        func history(_ member: UInt64, _ item: UInt64, returned: Bool = true, owed: Bool = false) -> Request {
            let checkedOut = Self.start.adding(milliseconds: -20 * Timestamp.millisecondsPerDay)
            return Request(
                .importLoan(
                    LoanImport(
                        member: MemberID(member), item: ItemID(item), checkedOutAt: checkedOut, dueAt: checkedOut.adding(milliseconds: Timestamp.millisecondsPerDay),
                        returnedAt: returned ? Self.start : nil, fineOwed: owed)))
        }
        await Self.compare([
            [Self.item(), Self.item(), Self.member("a@x.org"), Self.member("b@x.org")],
            [
                history(1, 1), history(2, 1, owed: true), Request(.updateItem(1, ItemChanges(type: .media))), history(1, 1), history(2, 1),
                history(1, 3), Self.item(), history(2, 3), Request(.checkout(member: 1, item: 1)), history(2, 1, owed: true),
                Request(.withdrawItem(2)), history(1, 2), history(2, 2, returned: false), Request(.addCopies(2, count: 1)),
                history(1, 1), Request(.updateItem(1, ItemChanges(type: .periodical))), history(2, 1), Request(.memberLoans(1, after: nil, limit: 50)),
            ],
        ], shardCount: shardCount)
    }
}
