import Engine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scenario generator's source of randomness (SplitMix64, from Engine), with helpers.
struct SeededRandom: RandomNumberGenerator {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func int32(_ range: ClosedRange<Int32>) -> Int32 { Int32.random(in: range, using: &self) }
    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &self) }
    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }
}

/// Test-side ISBN construction (independent of the engine's checker).
enum ISBNs {
    static func isbn13(_ rng: inout SeededRandom) -> String {
        var digits = [9, 7, rng.pick([8, 9])]
        for _ in 0..<9 { digits.append(rng.int(0...9)) }
        var sum = 0
        for (index, digit) in digits.enumerated() { sum += (index % 2 == 0 ? 1 : 3) * digit }
        digits.append((10 - sum % 10) % 10)
        return digits.map(String.init).joined()
    }

    static func isbn10(_ rng: inout SeededRandom) -> String {
        var digits: [Int] = []
        for _ in 0..<9 { digits.append(rng.int(0...9)) }
        var sum = 0
        for (index, digit) in digits.enumerated() { sum += (10 - index) * digit }
        let check = (11 - sum % 11) % 11
        return digits.map(String.init).joined() + (check == 10 ? "X" : String(check))
    }

    /// A valid ISBN, sometimes with hyphens or spaces.
    static func valid(_ rng: inout SeededRandom) -> String {
        var text = rng.chance(60) ? isbn13(&rng) : isbn10(&rng)
        if rng.chance(30) {
            let separator: Character = rng.chance(50) ? "-" : " "
            var characters = Array(text)
            characters.insert(separator, at: rng.int(1...characters.count - 1))
            characters.insert(separator, at: rng.int(1...characters.count - 1))
            text = String(characters)
        }
        return text
    }

    /// An ISBN with a broken check digit or shape.
    static func invalid(_ rng: inout SeededRandom) -> String {
        switch rng.int(0...3) {
        case 0:
            var text = isbn13(&rng)
            let last = text.removeLast()
            return text + String((Int(String(last))! + 1) % 10)
        case 1: return "12345"
        case 2: return "978-0-306-40615-7-extra"
        default: return String(repeating: "9", count: 40)
        }
    }
}

/// One random scenario: an engine configuration, a setup phase and a stream of random batches.
/// Commands are drawn with the reference model's state in view (to aim at plausible ids and
/// amounts), so the whole scenario is a deterministic function of the seed.
struct ScenarioGenerator {
    struct Batch {
        var now: Timestamp
        var requests: [Request]
    }

    var rng: SeededRandom
    let shardCount: Int
    let replayShardCount: Int
    let retention: IdempotencyRetention
    let policies: PolicyTable
    /// Usually tiny, so that waves are sent in many parts, each built while the one before runs.
    let slotsPerHop: Int
    let memberCount: Int
    let itemCount: Int
    let commandBudget: Int
    private(set) var now: Timestamp
    private var commandsIssued = 0
    private var setupDone = false
    /// Keyed mutations sent earlier, to resend verbatim (idempotent repeats).
    private var keyedHistory: [Request] = []
    private var uniqueKeys = 0
    /// Whether this batch's time was put on a boundary (it then also lists every overdue loan).
    private var atBoundary = false

    /// Bogus ids are drawn at the next few ids to be allocated, so that some name an entity a
    /// later command of the same batch creates; id 0 is drawn now and then.
    private static let bogusOffset: ClosedRange<Int> = 0...3
    private static let zeroChance = 50

    static let keyPool = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"]
    static let tiers = ["standard", "premium", "gold"]
    static let emails = ["ann@lib.org", "ANN@lib.org", "bob@lib.org", "cat@lib.org", "Cat@Lib.Org", "dan@lib.org", "eve@lib.org"]
    static let badEmails = ["", "no-at-sign", "a@b", "two@@lib.org", "sp ace@lib.org", ".dot@lib.org"]

    init(seed: UInt64, commandBudget: Int) {
        rng = SeededRandom(seed: seed)
        shardCount = rng.int(1...4)
        var replay = rng.int(1...4)
        if replay == shardCount { replay = replay % 4 + 1 }
        replayShardCount = replay
        if rng.chance(50) {
            retention = IdempotencyRetention(keysMax: rng.int(2...5), retentionMilliseconds: rng.int64(1...6) * 3_600_000)
        } else if rng.chance(50) {
            retention = IdempotencyRetention(keysMax: rng.int(6...40), retentionMilliseconds: rng.int64(1...72) * 3_600_000)
        } else {
            retention = .standard
        }
        // Usually the defaults; sometimes with holes (NO_POLICY) and tighter limits.
        var table = Dictionary(uniqueKeysWithValues: PolicyTable.defaults.sorted.map { ($0.key, $0.value) })
        if rng.chance(40) {
            for key in table.keys.sorted() where rng.chance(20) { table[key] = nil }
            for key in table.keys.sorted() where rng.chance(30) {
                table[key]!.maxLoans = rng.int32(0...3)
                table[key]!.maxRenewals = rng.int32(0...2)
                table[key]!.loanDays = rng.int32(1...10)
            }
        }
        policies = PolicyTable(policies: table)
        memberCount = rng.int(2...6)
        itemCount = rng.int(2...6)
        self.commandBudget = commandBudget
        // Somewhere in 2025–2027, at a random time of day.
        now = Timestamp(rawValue: rng.int64(20_089...20_820) * Timestamp.millisecondsPerDay + rng.int64(0...Timestamp.millisecondsPerDay - 1))
        slotsPerHop = rng.chance(75) ? rng.int(1...4) : EngineConfiguration.slotsPerHopDefault
    }

    var configuration: EngineConfiguration {
        EngineConfiguration(shardCount: shardCount, idempotency: retention, policies: policies, slotsPerHop: slotsPerHop)
    }

    var replayConfiguration: EngineConfiguration {
        EngineConfiguration(shardCount: replayShardCount, idempotency: retention, policies: policies, slotsPerHop: slotsPerHop)
    }

    var summary: String {
        "shards \(shardCount) (replay \(replayShardCount)), keysMax \(retention.keysMax), retention \(retention.retentionMilliseconds) ms, "
            + "\(memberCount) members, \(itemCount) items, \(policies.sorted.count) policies, \(slotsPerHop) slots per hop"
    }

    /// The next batch, or nil when the budget is spent.
    mutating func nextBatch(model: ReferenceModel) -> Batch? {
        if !setupDone {
            setupDone = true
            return setupBatch()
        }
        guard commandsIssued < commandBudget else { return nil }
        advanceTime(model: model)
        let size = rng.chance(15) ? rng.int(1...3) : rng.int(1...50)
        var context = BatchContext(firstLoanID: model.nextLoanID, firstSequence: model.nextSequence)
        var requests: [Request] = []
        for _ in 0..<size {
            requests.append(request(model: model, context: &context))
            context.index += 1
        }
        if atBoundary {
            requests.insert(Request(.overdueLoans(after: nil, limit: 1000)), at: rng.int(0...requests.count))
        }
        commandsIssued += size
        return Batch(now: now, requests: requests)
    }

    private mutating func setupBatch() -> Batch {
        var requests: [Request] = []
        for index in 0..<itemCount {
            let draft = ItemDraft(
                isbn: ISBNs.valid(&rng), title: "Title \(index)", author: "Author \(index)", publisher: "", year: rng.int32(1900...2025),
                type: rng.pick(ItemType.allCases), copies: rng.int32(1...3))
            requests.append(Request(.createItem(draft)))
        }
        for index in 0..<memberCount {
            let expiry = rng.chance(30) ? now.day + rng.int32(0...20) : now.day + rng.int32(200...2000)
            let draft = MemberDraft(
                email: "member\(index)@lib.org", name: "Member \(index)", tier: rng.chance(35) ? "premium" : "standard", cardExpiryDay: expiry)
            requests.append(Request(.registerMember(draft)))
        }
        return Batch(now: now, requests: requests)
    }

    private mutating func advanceTime(model: ReferenceModel) {
        atBoundary = false
        // Now and then, land exactly on a boundary: a due time (or the millisecond after), the
        // moment a remembered key's retention runs out (or just before), or a midnight.
        if rng.chance(12) {
            var candidates: [Int64] = []
            for id in model.activeLoanIDs { if let due = model.loans[id]?.dueAt.rawValue { candidates += [due, due + 1] } }
            for record in model.remembered {
                let expiry = record.rememberedAt.rawValue + retention.retentionMilliseconds
                candidates += [expiry, expiry - 1]
            }
            candidates.append(Int64(now.day + 1) * Timestamp.millisecondsPerDay)
            candidates.append(Int64(now.day + 1) * Timestamp.millisecondsPerDay - 1)
            let reachable = candidates.filter { $0 >= now.rawValue }.sorted()
            if !reachable.isEmpty {
                now = Timestamp(rawValue: rng.pick(reachable))
                atBoundary = true
                return
            }
        }
        let step: Int64
        switch rng.int(0...99) {
        case 0..<30: step = 0
        case 30..<55: step = rng.int64(1...3_600_000)
        case 55..<75: step = rng.int64(1...12) * 3_600_000 + rng.int64(0...3_599_999)
        case 75..<90: step = rng.int64(1...5) * Timestamp.millisecondsPerDay + rng.int64(0...Timestamp.millisecondsPerDay)
        default: step = rng.int64(7...40) * Timestamp.millisecondsPerDay + rng.int64(0...Timestamp.millisecondsPerDay)
        }
        now = now.adding(milliseconds: step)
    }

    private struct BatchContext {
        var firstLoanID: UInt64
        var firstSequence: UInt64
        var checkouts: UInt64 = 0
        /// The position of the request being drawn, and the holds placed before it in the batch
        /// (their ids, if they succeed: the placing command's sequence number).
        var index = 0
        var holdsPlaced: [UInt64] = []
    }

    // MARK: Commands

    private mutating func request(model: ReferenceModel, context: inout BatchContext) -> Request {
        // Verbatim repeats of earlier keyed requests (idempotent replays, in or across batches).
        if !keyedHistory.isEmpty, rng.chance(8) {
            let repeated = rng.pick(keyedHistory)
            if case .checkout = repeated.command { context.checkouts += 1 }
            return repeated
        }
        let command = self.command(model: model, context: &context)
        var key: String? = nil
        if rng.chance(35) {
            switch rng.int(0...99) {
            case 0..<3: key = ""
            case 3..<5: key = String(repeating: "x", count: 65)
            case 5..<7: key = String(repeating: "y", count: 64)
            case 7..<50:
                uniqueKeys += 1
                key = "u\(uniqueKeys)"
            default: key = rng.pick(Self.keyPool)
            }
        }
        let request = Request(command, idempotencyKey: key)
        if key != nil, !command.isRead {
            keyedHistory.append(request)
            if keyedHistory.count > 30 { keyedHistory.removeFirst() }
        }
        return request
    }

    private mutating func memberID(_ model: ReferenceModel) -> MemberID {
        if rng.chance(5) { return MemberID(rng.chance(Self.zeroChance) ? 0 : model.nextMemberID + UInt64(rng.int(Self.bogusOffset))) }
        if rng.chance(85), !model.members.isEmpty { return rng.pick(model.members.keys.sorted()) }
        return MemberID(UInt64(rng.int(1...max(1, Int(model.nextMemberID) - 1))))
    }

    /// A member that satisfies `wanted` if there is one, else any.
    private mutating func memberID(_ model: ReferenceModel, preferring wanted: (Member) -> Bool) -> MemberID {
        let fitting = model.members.values.filter(wanted).map(\.id).sorted()
        if !fitting.isEmpty, rng.chance(75) { return rng.pick(fitting) }
        return memberID(model)
    }

    private mutating func itemID(_ model: ReferenceModel) -> ItemID {
        if rng.chance(5) { return ItemID(rng.chance(Self.zeroChance) ? 0 : model.nextItemID + UInt64(rng.int(Self.bogusOffset))) }
        return ItemID(UInt64(rng.int(1...max(1, Int(model.nextItemID) - 1))))
    }

    private mutating func loanID(_ model: ReferenceModel, _ context: BatchContext) -> LoanID {
        let roll = rng.int(0...99)
        if roll < 15, context.checkouts > 0 {
            // A loan taken earlier in this batch (if that checkout succeeds).
            return LoanID(context.firstLoanID + UInt64(rng.int(0...Int(context.checkouts) - 1)))
        }
        let active = model.activeLoanIDs
        if roll < 75, !active.isEmpty { return rng.pick(active) }
        if roll < 90, model.nextLoanID > 1 { return LoanID(UInt64(rng.int(1...Int(model.nextLoanID) - 1))) }
        // Bogus.
        return LoanID(rng.chance(30) ? 0 : context.firstLoanID + context.checkouts + UInt64(rng.int(0...5)))
    }

    private mutating func expiryDay() -> Int32 {
        switch rng.int(0...9) {
        case 0: return rng.pick([-1, 84_006, Int32.max])
        case 1...4: return now.day + rng.int32(-3...10)
        default: return now.day + rng.int32(100...3000)
        }
    }

    private mutating func tier() -> String {
        switch rng.int(0...19) {
        case 0: return ""
        case 1: return String(repeating: "t", count: 33)
        case 2: return "nobody"
        default: return rng.pick(Self.tiers)
        }
    }

    private mutating func email() -> String {
        rng.chance(10) ? rng.pick(Self.badEmails) : rng.pick(Self.emails)
    }

    private mutating func smallPolicy() -> Policy {
        var policy = Policy(
            loanDays: rng.int32(1...30), maxLoans: rng.int32(0...4), maxRenewals: rng.int32(0...3), finePerDayCents: rng.int64(0...100),
            maxFinePerLoanCents: rng.int64(0...1500), blockThresholdCents: rng.int64(0...800), maxHolds: rng.int32(0...3), pickupDays: rng.int32(1...5),
            overdueBlockLoans: rng.chance(50) ? 0 : rng.int32(1...3), lostItemFeeCents: rng.int64(0...3000))
        if rng.chance(10) {
            switch rng.int(0...9) {
            case 8: policy.overdueBlockLoans = rng.pick([-1, 1001])
            case 9: policy.lostItemFeeCents = rng.pick([-1, 100_000_001])
            case 6: policy.maxHolds = rng.pick([-1, 101])
            case 7: policy.pickupDays = rng.pick([0, 366])
            case 0: policy.loanDays = rng.pick([0, 3651])
            case 1: policy.maxLoans = rng.pick([-1, 1001])
            case 2: policy.maxRenewals = rng.pick([-1, 101])
            case 3: policy.finePerDayCents = rng.pick([-1, 100_000_001])
            case 4: policy.maxFinePerLoanCents = -5
            default: policy.blockThresholdCents = 100_000_001
            }
        }
        return policy
    }

    /// A historical loan: mostly plausible (in the past, due after checkout, returned between
    /// checkout and now, on time or late), sometimes with times in the future or out of order, a
    /// fine on an active loan or beyond the cap, and due and return times on each other's boundary.
    private mutating func importedLoan(_ model: ReferenceModel) -> Command {
        let day = Timestamp.millisecondsPerDay
        var checkedOut = now.adding(milliseconds: -rng.int64(0...60) * day - rng.int64(0...day))
        switch rng.int(0...49) {
        case 0: checkedOut = now.adding(milliseconds: rng.int64(1...day))
        case 1: checkedOut = now
        case 2: checkedOut = Timestamp(rawValue: rng.pick([-1, Limits.timestampRange.upperBound + 1]))
        default: break
        }
        var due = Timestamp.endOfDay(checkedOut.day + rng.int32(0...21))
        if rng.chance(4) { due = checkedOut.adding(milliseconds: rng.pick([-1, 0])) }
        var returned: Timestamp?
        if rng.chance(55) {
            let latest = max(checkedOut.rawValue, now.rawValue)
            switch rng.int(0...11) {
            case 0: returned = due
            case 1: returned = due.adding(milliseconds: 1)
            case 2: returned = now.adding(milliseconds: rng.int64(0...1))
            case 3: returned = checkedOut.adding(milliseconds: rng.pick([-1, 0]))
            default: returned = Timestamp(rawValue: rng.int64(checkedOut.rawValue...latest))
            }
        }
        var fine: Int64?
        if rng.chance(35) { fine = rng.chance(10) ? rng.pick([-1, 100_000_001]) : rng.int64(0...1200) }
        // Mostly none on an active loan (which refuses one).
        if returned == nil, rng.chance(85) { fine = nil }
        let owed = rng.chance(returned == nil ? 3 : 40)
        return .importLoan(
            LoanImport(member: memberID(model), item: itemID(model), checkedOutAt: checkedOut, dueAt: due, returnedAt: returned, fineCents: fine, fineOwed: owed))
    }

    private mutating func pageLimit() -> Int32 {
        rng.chance(8) ? rng.pick([0, -1, 1001]) : rng.int32(1...4)
    }

    private mutating func cursor(_ model: ReferenceModel) -> LoanID? {
        rng.chance(40) ? nil : LoanID(UInt64(rng.int(0...Int(model.nextLoanID) + 1)))
    }

    /// A list cursor: none, an id around those allocated so far, or (rarely) the largest id.
    private mutating func cursor(below nextID: UInt64) -> UInt64? {
        if rng.chance(40) { return nil }
        if rng.chance(3) { return UInt64.max - UInt64(rng.int(0...1)) }
        return UInt64(rng.int(0...Int(nextID) + 1))
    }

    /// A hold id: an open hold, one placed earlier in this batch, or a bogus one.
    private mutating func holdID(_ model: ReferenceModel, _ context: BatchContext) -> HoldID {
        let roll = rng.int(0...99)
        if roll < 20, !context.holdsPlaced.isEmpty { return HoldID(rng.pick(context.holdsPlaced)) }
        if roll < 80, !model.holds.isEmpty { return rng.pick(model.holds.keys.sorted()) }
        return HoldID(rng.chance(30) ? 0 : UInt64(rng.int(0...Int(context.firstSequence) + context.index + 2)))
    }

    private mutating func command(model: ReferenceModel, context: inout BatchContext) -> Command {
        let roll = rng.int(0...1499)
        switch roll {
        case 0..<260:
            context.checkouts += 1
            return .checkout(member: memberID(model), item: itemID(model))
        case 260..<300:
            // Takes a loan id too, unless its fields or times are refused.
            context.checkouts += 1
            return importedLoan(model)
        case 300..<400:
            return .returnLoan(loanID(model, context))
        case 400..<470:
            return .renewLoan(loanID(model, context))
        case 470..<520:
            let member = memberID(model, preferring: { $0.finesOwedCents > 0 })
            let owed = model.members[member]?.finesOwedCents ?? 0
            let amount: Int64
            switch rng.int(0...9) {
            case 0: amount = rng.pick([0, -3, 100_000_001])
            case 1...5 where owed > 0: amount = rng.int64(1...owed)
            case 6 where owed > 0: amount = owed
            default: amount = rng.int64(1...700)
            }
            return .payFine(member, amountCents: amount)
        case 520..<535:
            return .suspendMember(memberID(model))
        case 535..<585:
            return .reinstateMember(memberID(model, preferring: { $0.status == .suspended }))
        case 585..<640:
            var changes = MemberChanges()
            if rng.chance(50) { changes.email = email() }
            if rng.chance(30) { changes.tier = tier() }
            if rng.chance(30) { changes.cardExpiryDay = expiryDay() }
            if rng.chance(20) { changes.name = rng.chance(10) ? "" : "Renamed \(rng.int(0...9))" }
            return .updateMember(memberID(model), changes)
        case 640..<660:
            let draft = MemberDraft(
                email: email(), name: rng.chance(5) ? "" : "New \(rng.int(0...99))", tier: tier(), cardExpiryDay: expiryDay())
            return .registerMember(draft)
        case 660..<675:
            let draft = ItemDraft(
                isbn: rng.chance(10) ? ISBNs.invalid(&rng) : ISBNs.valid(&rng), title: rng.chance(5) ? "" : "New title",
                author: "A", publisher: rng.chance(5) ? String(repeating: "p", count: 257) : "P",
                year: rng.chance(5) ? 2201 : rng.int32(1800...2025), type: rng.pick(ItemType.allCases),
                copies: rng.chance(5) ? rng.pick([-1, 10_001]) : rng.int32(0...3))
            return .createItem(draft)
        case 675..<705:
            var changes = ItemChanges()
            if rng.chance(40) { changes.type = rng.pick(ItemType.allCases) }
            if rng.chance(30) { changes.isbn = rng.chance(20) ? ISBNs.invalid(&rng) : ISBNs.valid(&rng) }
            if rng.chance(30) { changes.title = rng.chance(10) ? "" : "Retitled" }
            if rng.chance(20) { changes.year = rng.chance(10) ? -1 : rng.int32(1900...2025) }
            if rng.chance(10) { changes.author = "Someone" }
            return .updateItem(itemID(model), changes)
        case 705..<725:
            return .withdrawItem(itemID(model))
        case 725..<755:
            let count: Int32 = rng.chance(8) ? rng.pick([0, -2, 10_001]) : (rng.chance(5) ? 9_999 : rng.int32(1...3))
            return .addCopies(itemID(model), count: count)
        case 755..<785:
            let count: Int32 = rng.chance(8) ? rng.pick([0, 10_001]) : rng.int32(1...3)
            return .removeCopies(itemID(model), count: count)
        case 785..<815:
            return .setPolicy(PolicyKey(tier: tier(), itemType: rng.pick(ItemType.allCases)), smallPolicy())
        case 815..<845:
            return .getItem(itemID(model))
        case 845..<885:
            return .getMember(memberID(model))
        case 885..<935:
            return .memberLoans(memberID(model), after: cursor(model), limit: pageLimit())
        case 935..<965:
            return .overdueLoans(after: cursor(model), limit: pageLimit())
        case 965..<982:
            return .listItems(after: cursor(below: model.nextItemID).map { ItemID($0) }, limit: pageLimit())
        case 982..<1000:
            return .listMembers(after: cursor(below: model.nextMemberID).map { MemberID($0) }, limit: pageLimit())
        case 1000..<1090:
            context.holdsPlaced.append(context.firstSequence + UInt64(context.index))
            return .placeHold(member: memberID(model), item: itemID(model))
        case 1090..<1130:
            return .cancelHold(holdID(model, context))
        case 1130..<1170:
            let after = rng.chance(50) ? nil : holdID(model, context)
            return .itemHolds(itemID(model), after: after, limit: pageLimit())
        case 1170..<1200:
            return .memberHolds(memberID(model))
        case 1200..<1250:
            let effects: BlockEffects = rng.chance(10) ? BlockEffects(rawValue: rng.pick([0, 8])) : BlockEffects(rawValue: UInt8(rng.int(1...7)))
            let expiry: Timestamp? = rng.chance(50) ? nil : now.adding(milliseconds: rng.int64(-2...40) * 3_600_000)
            let reason = rng.chance(5) ? rng.pick(["", String(repeating: "r", count: 257)]) : "lost card"
            return .blockMember(memberID(model), MemberBlockDraft(reason: reason, effects: effects, expiresAt: expiry))
        case 1280..<1310:
            return .declareLost(loanID(model, context))
        case 1310..<1335:
            return .claimReturned(loanID(model, context))
        case 1335..<1360:
            let count: Int32 = rng.chance(8) ? rng.pick([0, -1, 10_001]) : rng.int32(1...2)
            return .markMissing(itemID(model), count: count)
        case 1360..<1400:
            return .markFound(itemID(model), from: rng.pick(CopyState.allCases))
        case 1450..<1500:
            var queries = ["title", "titl", "Title 1", "retitled", "retitld", "autor", "new title", "a", "someone", "tilte 2", "9780", "", String(repeating: "q", count: 257)]
            if let item = model.items.values.sorted(by: { $0.id < $1.id }).first { queries += [String(item.isbn.prefix(rng.int(6...13))), item.title] }
            let after: SearchCursor? = rng.chance(60) ? nil : SearchCursor(score: rng.pick([0, 40, 50, 60, 105, 500]), item: ItemID(UInt64(rng.int(0...8))))
            return .searchCatalog(rng.pick(queries), after: after, limit: rng.chance(5) ? rng.pick([0, 101]) : rng.int32(1...3))
        case 1400..<1450:
            switch rng.int(0...5) {
            case 0: return .analytics(.summary)
            case 1: return .analytics(.topItems(limit: rng.chance(5) ? rng.pick([0, 101]) : rng.int32(1...4)))
            case 2: return .analytics(.topMembers(limit: rng.int32(1...4)))
            case 3:
                let from = now.day - rng.int32(0...60)
                return .analytics(.dailyCheckouts(fromDay: from, toDay: rng.chance(5) ? from + 400 : from + rng.int32(0...70)))
            default: return .analytics(.inventory(limit: rng.chance(5) ? -1 : rng.int32(0...3)))
            }
        default:
            let member = memberID(model, preferring: { !$0.blocks.isEmpty })
            let blocks = model.members[member]?.blocks.map(\.id) ?? []
            return .unblockMember(member, block: !blocks.isEmpty && rng.chance(85) ? rng.pick(blocks) : UInt64(rng.int(0...50)))
        }
    }
}
