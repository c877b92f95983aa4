import Engine
import Testing

/// A small library driven one command at a time, for rule-by-rule unit tests.
final class UnitFixture: @unchecked Sendable {
    let clock: ManualClock
    let engine: Engine
    private var registered = 0

    /// 2026-11-21 10:00 UTC.
    static let start = Timestamp(rawValue: Int64(CivilDate(year: 2026, month: 11, day: 21).daysSinceEpoch) * Timestamp.millisecondsPerDay + 36_000_000)

    init(shardCount: Int = 2, idempotency: IdempotencyRetention = .standard, start: Timestamp = UnitFixture.start) {
        clock = ManualClock(start)
        engine = Engine(configuration: EngineConfiguration(shardCount: shardCount, idempotency: idempotency), clock: clock)
    }

    @discardableResult
    func run(_ command: Command, key: String? = nil) async -> Outcome {
        await engine.execute([Request(command, idempotencyKey: key)]).outcomes[0]
    }

    func item(copies: Int32 = 1, type: ItemType = .book, isbn: String = "9780306406157") async -> ItemID {
        guard case .ok(.item(let item)) = await run(.createItem(ItemDraft(isbn: isbn, title: "T", author: "A", publisher: "P", year: 2001, type: type, copies: copies))) else {
            Issue.record("create item failed")
            return ItemID(0)
        }
        return item.id
    }

    func member(tier: String = "standard", email: String? = nil, expires: CivilDate = CivilDate(year: 2030, month: 1, day: 1)) async -> MemberID {
        registered += 1
        let address = email ?? "member\(registered)@example.org"
        guard case .ok(.member(let member)) = await run(.registerMember(MemberDraft(email: address, name: "N", tier: tier, cardExpiryDay: expires.daysSinceEpoch))) else {
            Issue.record("register member failed")
            return MemberID(0)
        }
        return member.id
    }

    func checkout(_ member: MemberID, _ item: ItemID) async -> Loan? {
        if case .ok(.loan(let loan)) = await run(.checkout(member: member, item: item)) { return loan }
        return nil
    }

    func refusal(_ command: Command, key: String? = nil) async -> ErrorCode? {
        await run(command, key: key).refusal?.code
    }

    func memberRecord(_ id: MemberID) async -> Member? {
        if case .ok(.memberWithLoans(let member, _)) = await run(.getMember(id)) { return member }
        return nil
    }

    func itemRecord(_ id: ItemID) async -> Item? {
        if case .ok(.item(let item)) = await run(.getItem(id)) { return item }
        return nil
    }

    func expectInvariants() async {
        let violations = await engine.invariantViolations()
        #expect(violations.isEmpty, "\(violations)")
    }

    static func at(_ year: Int32, _ month: Int32, _ day: Int32, hour: Int64 = 12) -> Timestamp {
        Timestamp(rawValue: Int64(CivilDate(year: year, month: month, day: day).daysSinceEpoch) * Timestamp.millisecondsPerDay + hour * 3_600_000)
    }
}
