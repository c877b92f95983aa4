/// Decoding of the canonical encoding (`CanonicalEncoding.swift`); each type reads exactly what
/// its `encode(to:)` writes.
public protocol CanonicalDecodable {
    init(from reader: inout ByteReader) throws(DecodingError)
}

extension Item: CanonicalDecodable {
    /// The shortest item encoding: 8 id, 4 x 4 empty strings, 4 year, 1 type, 1 status, 6 x 4 copies.
    public static let encodedBytesMin = 54
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = ItemID(try reader.read(UInt64.self))
        let isbn = try reader.readString()
        let title = try reader.readString()
        let author = try reader.readString()
        let publisher = try reader.readString()
        let year = try reader.read(Int32.self)
        let type = try reader.readEnum(ItemType.self)
        let status = try reader.readEnum(ItemStatus.self)
        let total = try reader.read(Int32.self)
        let available = try reader.read(Int32.self)
        let awaiting = try reader.read(Int32.self)
        let lost = try reader.read(Int32.self)
        let missing = try reader.read(Int32.self)
        let claimed = try reader.read(Int32.self)
        self.init(
            id: id, isbn: isbn, title: title, author: author, publisher: publisher, year: year, type: type, status: status, totalCopies: total,
            availableCopies: available, awaitingPickup: awaiting, lostCopies: lost, missingCopies: missing, claimedReturnedCopies: claimed)
    }
}

extension Hold: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = HoldID(try reader.read(UInt64.self))
        let item = ItemID(try reader.read(UInt64.self))
        let member = MemberID(try reader.read(UInt64.self))
        let placedAt = Timestamp(rawValue: try reader.read(Int64.self))
        let status = try reader.readEnum(HoldStatus.self)
        let pickupBy = Timestamp(rawValue: try reader.read(Int64.self))
        self.init(id: id, item: item, member: member, placedAt: placedAt, status: status, pickupBy: pickupBy, pickupDays: try reader.read(Int32.self))
    }
}

extension QueuedHold: CanonicalDecodable {
    public static let encodedBytes = Hold.encodedBytes + 4

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let hold = try Hold(from: &reader)
        self.init(hold: hold, position: try reader.read(Int32.self))
    }
}

extension Member: CanonicalDecodable {
    /// The shortest member encoding: 8 id, 3 x 4 empty strings, 1 status, 4 expiry, 8 fines, 4 loan count, 4 block count.
    public static let encodedBytesMin = 41
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = MemberID(try reader.read(UInt64.self))
        let email = try reader.readString()
        let name = try reader.readString()
        let tier = try reader.readString()
        let status = try reader.readEnum(MemberStatus.self)
        let expiry = try reader.read(Int32.self)
        let fines = try reader.read(Int64.self)
        let count = try reader.readCount(minimumBytes: 24)
        var active: [ActiveLoan] = []
        active.reserveCapacity(count)
        for _ in 0..<count {
            let loan = LoanID(try reader.read(UInt64.self))
            let item = ItemID(try reader.read(UInt64.self))
            active.append(ActiveLoan(loan: loan, item: item, dueAt: Timestamp(rawValue: try reader.read(Int64.self))))
        }
        var blocks: [MemberBlock] = []
        for _ in 0..<(try reader.readCount(minimumBytes: MemberBlock.encodedBytesMin)) { blocks.append(try MemberBlock(from: &reader)) }
        self.init(
            id: id, email: email, name: name, tier: tier, status: status, cardExpiryDay: expiry, finesOwedCents: fines, activeLoans: active, blocks: blocks)
    }
}

extension MemberBlock: CanonicalDecodable {
    /// 8 id, 4 empty reason, 1 effects, 8 placed at, 1 absent expiry.
    public static let encodedBytesMin = 22

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = try reader.read(UInt64.self)
        let reason = try reader.readString(maxBytes: Limits.blockReasonBytesMax)
        let effects = BlockEffects(rawValue: try reader.read(UInt8.self))
        let placedAt = Timestamp(rawValue: try reader.read(Int64.self))
        self.init(id: id, reason: reason, effects: effects, placedAt: placedAt, expiresAt: try reader.readOptional(Int64.self).map { Timestamp(rawValue: $0) })
    }
}

extension Loan: CanonicalDecodable {
    /// An active loan's encoding (no return time): 8 x 3 ids, 1 type, 8 x 2 times, 4 renewals,
    /// 1 absent return time, 8 fine, 1 end.
    public static let encodedBytesMin = 55

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = LoanID(try reader.read(UInt64.self))
        let item = ItemID(try reader.read(UInt64.self))
        let member = MemberID(try reader.read(UInt64.self))
        let type = try reader.readEnum(ItemType.self)
        let checkedOut = Timestamp(rawValue: try reader.read(Int64.self))
        let due = Timestamp(rawValue: try reader.read(Int64.self))
        let renewals = try reader.read(Int32.self)
        let returned = try reader.readOptional(Int64.self).map { Timestamp(rawValue: $0) }
        let fine = try reader.read(Int64.self)
        let rawEnd = try reader.read(UInt8.self)
        // An active loan has no end; an ended one names how it ended.
        let end = LoanEnd(rawValue: rawEnd)
        guard (returned == nil && rawEnd == 0) || (returned != nil && end != nil) else { throw DecodingError.invalid("loan end \(rawEnd)", offset: reader.offset - 1) }
        self.init(
            id: id, item: item, member: member, itemType: type, checkedOutAt: checkedOut, dueAt: due, renewals: renewals, returnedAt: returned, fineCents: fine,
            end: end)
    }
}

extension LoanImport: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let member = MemberID(try reader.read(UInt64.self))
        let item = ItemID(try reader.read(UInt64.self))
        let checkedOut = Timestamp(rawValue: try reader.read(Int64.self))
        let due = Timestamp(rawValue: try reader.read(Int64.self))
        let returned = try reader.readOptional(Int64.self).map { Timestamp(rawValue: $0) }
        let fine = try reader.readOptional(Int64.self)
        self.init(member: member, item: item, checkedOutAt: checkedOut, dueAt: due, returnedAt: returned, fineCents: fine, fineOwed: try reader.readBool())
    }
}

extension PolicyKey: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let tier = try reader.readString(maxBytes: Limits.tierBytesMax)
        self.init(tier: tier, itemType: try reader.readEnum(ItemType.self))
    }
}

extension Policy: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        self.init(
            loanDays: try reader.read(), maxLoans: try reader.read(), maxRenewals: try reader.read(), finePerDayCents: try reader.read(),
            maxFinePerLoanCents: try reader.read(), blockThresholdCents: try reader.read(), maxHolds: try reader.read(), pickupDays: try reader.read(),
            overdueBlockLoans: try reader.read(), lostItemFeeCents: try reader.read())
    }
}

extension Refusal: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let code = try reader.readEnum(ErrorCode.self)
        let rawField = try reader.read(UInt8.self)
        guard rawField == 0 || Field(rawValue: rawField) != nil else { throw DecodingError.invalid("field \(rawField)", offset: reader.offset - 1) }
        self.init(code, field: Field(rawValue: rawField))
    }
}

extension Reply: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case 1: self = .item(try Item(from: &reader))
        case 2: self = .member(try Member(from: &reader))
        case 3: self = .loan(try Loan(from: &reader))
        case 4:
            let count = try reader.readCount(minimumBytes: Loan.encodedBytesMin)
            var loans: [Loan] = []
            for _ in 0..<count { loans.append(try Loan(from: &reader)) }
            self = .loans(loans, next: try reader.readOptional(UInt64.self).map { LoanID($0) })
        case 5:
            let key = try PolicyKey(from: &reader)
            self = .policy(key, try Policy(from: &reader))
        case 6:
            let member = MemberID(try reader.read(UInt64.self))
            self = .finesOwed(member, cents: try reader.read(Int64.self))
        case 7:
            let member = try Member(from: &reader)
            let count = try reader.readCount(minimumBytes: Loan.encodedBytesMin)
            var loans: [Loan] = []
            for _ in 0..<count { loans.append(try Loan(from: &reader)) }
            self = .memberWithLoans(member, loans)
        case 8:
            let count = try reader.readCount(minimumBytes: Item.encodedBytesMin)
            var items: [Item] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try Item(from: &reader)) }
            self = .items(items, next: try reader.readOptional(UInt64.self).map { ItemID($0) })
        case 9:
            let count = try reader.readCount(minimumBytes: Member.encodedBytesMin)
            var members: [Member] = []
            members.reserveCapacity(count)
            for _ in 0..<count { members.append(try Member(from: &reader)) }
            self = .members(members, next: try reader.readOptional(UInt64.self).map { MemberID($0) })
        case 10: self = .hold(try QueuedHold(from: &reader))
        case 11:
            let count = try reader.readCount(minimumBytes: QueuedHold.encodedBytes)
            var holds: [QueuedHold] = []
            holds.reserveCapacity(count)
            for _ in 0..<count { holds.append(try QueuedHold(from: &reader)) }
            self = .holds(holds, next: try reader.readOptional(UInt64.self).map { HoldID($0) })
        case 12:
            var values: [Int64] = []
            for _ in 0..<9 { values.append(try reader.read(Int64.self)) }
            self = .summary(
                CirculationSummary(
                    items: values[0], activeItems: values[1], copies: values[2], members: values[3], activeLoans: values[4], overdueLoans: values[5],
                    loansEver: values[6], openHolds: values[7], utilizationPermille: values[8]))
        case 13:
            var ranking: [RankedCount] = []
            for _ in 0..<(try reader.readCount(minimumBytes: 16)) {
                let id = try reader.read(UInt64.self)
                ranking.append(RankedCount(id: id, count: try reader.read(Int64.self)))
            }
            self = .ranking(ranking)
        case 14:
            var days: [DayCount] = []
            for _ in 0..<(try reader.readCount(minimumBytes: 12)) {
                let day = try reader.read(Int32.self)
                days.append(DayCount(day: day, count: try reader.read(Int64.self)))
            }
            self = .dailyCounts(days)
        case 16:
            var hits: [ScoredItem] = []
            for _ in 0..<(try reader.readCount(minimumBytes: 4 + Item.encodedBytesMin)) {
                let score = try reader.read(Int32.self)
                hits.append(ScoredItem(item: try Item(from: &reader), score: score))
            }
            var next: SearchCursor?
            if try reader.readBool() {
                let score = try reader.read(Int32.self)
                next = SearchCursor(score: score, item: ItemID(try reader.read(UInt64.self)))
            }
            self = .searchResults(hits, next: next)
        case 15:
            let never = try reader.read(Int64.self)
            var neverSample: [ItemID] = []
            for _ in 0..<(try reader.readCount(minimumBytes: 8)) { neverSample.append(ItemID(try reader.read(UInt64.self))) }
            let out = try reader.read(Int64.self)
            var outSample: [ItemID] = []
            for _ in 0..<(try reader.readCount(minimumBytes: 8)) { outSample.append(ItemID(try reader.read(UInt64.self))) }
            self = .inventory(InventoryHealth(neverBorrowed: never, neverBorrowedSample: neverSample, allCopiesOut: out, allCopiesOutSample: outSample))
        default:
            throw DecodingError.invalid("reply tag \(tag)", offset: reader.offset - 1)
        }
    }
}

extension Outcome: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case 1: self = .ok(try Reply(from: &reader))
        case 2: self = .refused(try Refusal(from: &reader))
        default: throw DecodingError.invalid("outcome tag \(tag)", offset: reader.offset - 1)
        }
    }
}

extension IdempotencyRecord: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let key = try reader.readString(maxBytes: Limits.idempotencyKeyBytesMax)
        let fingerprint = try reader.read(UInt64.self)
        let sequence = try reader.read(UInt64.self)
        let at = Timestamp(rawValue: try reader.read(Int64.self))
        self.init(key: key, fingerprint: fingerprint, sequence: sequence, rememberedAt: at, outcome: try Outcome(from: &reader))
    }
}

extension MemberProfile: CanonicalEncodable, CanonicalDecodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(id.rawValue)
        writer.write(email)
        writer.write(name)
        writer.write(tier)
        writer.write(status.rawValue)
        writer.write(cardExpiryDay)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let id = MemberID(try reader.read(UInt64.self))
        let email = try reader.readString()
        let name = try reader.readString()
        let tier = try reader.readString()
        let status = try reader.readEnum(MemberStatus.self)
        self.init(id: id, email: email, name: name, tier: tier, status: status, cardExpiryDay: try reader.read(Int32.self))
    }
}

extension Event: CanonicalEncodable, CanonicalDecodable {
    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .itemCreated(let item):
            writer.write(UInt8(1))
            item.encode(to: &writer)
        case .itemChanged(let item):
            writer.write(UInt8(2))
            item.encode(to: &writer)
        case .memberRegistered(let member):
            writer.write(UInt8(3))
            member.encode(to: &writer)
        case .memberChanged(let profile, let previousEmail):
            writer.write(UInt8(4))
            profile.encode(to: &writer)
            writer.write(optional: previousEmail)
        case .policySet(let key, let policy):
            writer.write(UInt8(5))
            key.encode(to: &writer)
            policy.encode(to: &writer)
        case .loanCreated(let loan):
            writer.write(UInt8(6))
            loan.encode(to: &writer)
        case .loanImported(let loan, let fineOwed):
            writer.write(UInt8(11))
            loan.encode(to: &writer)
            writer.write(fineOwed)
        case .loanReturned(let loan, let member, let item, let returnedAt, let fine):
            writer.write(UInt8(7))
            writer.write(loan.rawValue)
            writer.write(member.rawValue)
            writer.write(item.rawValue)
            writer.write(returnedAt.rawValue)
            writer.write(fine)
        case .loanRenewed(let loan, let member, let dueAt, let renewals):
            writer.write(UInt8(8))
            writer.write(loan.rawValue)
            writer.write(member.rawValue)
            writer.write(dueAt.rawValue)
            writer.write(renewals)
        case .finePaid(let member, let amount):
            writer.write(UInt8(9))
            writer.write(member.rawValue)
            writer.write(amount)
        case .keyRemembered(let record):
            writer.write(UInt8(10))
            record.encode(to: &writer)
        case .holdPlaced(let hold):
            writer.write(UInt8(12))
            hold.encode(to: &writer)
        case .holdReady(let hold):
            writer.write(UInt8(13))
            hold.encode(to: &writer)
        case .holdEnded(let hold, let end):
            writer.write(UInt8(14))
            hold.encode(to: &writer)
            writer.write(end.rawValue)
        case .loanClosed(let loan, let member, let item, let at, let fee, let end):
            writer.write(UInt8(17))
            writer.write(loan.rawValue)
            writer.write(member.rawValue)
            writer.write(item.rawValue)
            writer.write(at.rawValue)
            writer.write(fee)
            writer.write(end.rawValue)
        case .memberBlocked(let member, let block):
            writer.write(UInt8(15))
            writer.write(member.rawValue)
            block.encode(to: &writer)
        case .memberUnblocked(let member, let block):
            writer.write(UInt8(16))
            writer.write(member.rawValue)
            writer.write(block)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case 1: self = .itemCreated(try Item(from: &reader))
        case 2: self = .itemChanged(try Item(from: &reader))
        case 3: self = .memberRegistered(try Member(from: &reader))
        case 4:
            let profile = try MemberProfile(from: &reader)
            self = .memberChanged(profile, previousEmail: try reader.readOptionalString())
        case 5:
            let key = try PolicyKey(from: &reader)
            self = .policySet(key, try Policy(from: &reader))
        case 6: self = .loanCreated(try Loan(from: &reader))
        case 7:
            let loan = LoanID(try reader.read(UInt64.self))
            let member = MemberID(try reader.read(UInt64.self))
            let item = ItemID(try reader.read(UInt64.self))
            let returnedAt = Timestamp(rawValue: try reader.read(Int64.self))
            self = .loanReturned(loan, member: member, item: item, returnedAt: returnedAt, fineCents: try reader.read(Int64.self))
        case 8:
            let loan = LoanID(try reader.read(UInt64.self))
            let member = MemberID(try reader.read(UInt64.self))
            let dueAt = Timestamp(rawValue: try reader.read(Int64.self))
            self = .loanRenewed(loan, member: member, dueAt: dueAt, renewals: try reader.read(Int32.self))
        case 9:
            let member = MemberID(try reader.read(UInt64.self))
            self = .finePaid(member, amountCents: try reader.read(Int64.self))
        case 10: self = .keyRemembered(try IdempotencyRecord(from: &reader))
        case 11:
            let loan = try Loan(from: &reader)
            self = .loanImported(loan, fineOwed: try reader.readBool())
        case 12: self = .holdPlaced(try Hold(from: &reader))
        case 13: self = .holdReady(try Hold(from: &reader))
        case 14:
            let hold = try Hold(from: &reader)
            self = .holdEnded(hold, try reader.readEnum(HoldEnd.self))
        case 15:
            let member = MemberID(try reader.read(UInt64.self))
            self = .memberBlocked(member, try MemberBlock(from: &reader))
        case 16:
            let member = MemberID(try reader.read(UInt64.self))
            self = .memberUnblocked(member, block: try reader.read(UInt64.self))
        case 17:
            let loan = LoanID(try reader.read(UInt64.self))
            let member = MemberID(try reader.read(UInt64.self))
            let item = ItemID(try reader.read(UInt64.self))
            let at = Timestamp(rawValue: try reader.read(Int64.self))
            let fee = try reader.read(Int64.self)
            self = .loanClosed(loan, member: member, item: item, at: at, feeCents: fee, end: try reader.readEnum(LoanEnd.self))
        default: throw DecodingError.invalid("event tag \(tag)", offset: reader.offset - 1)
        }
    }
}

extension BatchRecord: CanonicalEncodable, CanonicalDecodable {
    /// The record's bytes, written into a buffer sized for its events up front: a batch of
    /// thousands of loans would otherwise grow it by doubling, copying it a dozen times.
    public var encodedBytes: [UInt8] {
        var writer = ByteWriter(capacity: 96 + events.count * 84)
        encode(to: &writer)
        return writer.bytes
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(firstSequence)
        writer.write(commandCount)
        writer.write(timestamp.rawValue)
        writer.write(nextItemID)
        writer.write(nextMemberID)
        writer.write(nextLoanID)
        writer.write(UInt32(events.count))
        for event in events { event.encode(to: &writer) }
        writer.write(UInt32(actors.count))
        for actor in actors { writer.write(actor) }
        writer.write(UInt32(sources.count))
        for source in sources {
            writer.write(source.command)
            writer.write(source.actor)
            writer.write(source.eventCount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        try self.init(from: &reader, keepingSources: true)
    }

    /// With `keepingSources` false (replay, which needs only the events), the actors and
    /// sources are checked exactly as when kept, but not stored: the record's `actors` and
    /// `sources` are empty. Replay then allocates nothing for them.
    public init(from reader: inout ByteReader, keepingSources: Bool) throws(DecodingError) {
        var events: [Event] = []
        var actors: [String] = []
        var sources: [EventSource] = []
        let header = try Self.decode(from: &reader, events: &events, keepingSources: keepingSources, actors: &actors, sources: &sources)
        self.init(header, events: events, actors: actors, sources: sources)
    }

    /// Decodes one record: returns its header and appends its events to `events` (and, when
    /// kept, its actors and sources to theirs). On a throw, some events may have been appended.
    static func decode(
        from reader: inout ByteReader, events: inout [Event], keepingSources: Bool, actors: inout [String], sources: inout [EventSource]
    ) throws(DecodingError) -> Header {
        let first = try reader.read(UInt64.self)
        let count = try reader.read(UInt32.self)
        let timestamp = Timestamp(rawValue: try reader.read(Int64.self))
        let nextItem = try reader.read(UInt64.self)
        let nextMember = try reader.read(UInt64.self)
        let nextLoan = try reader.read(UInt64.self)
        let eventCount = try reader.readCount(minimumBytes: 9)
        // Only into an empty array: reserving a little more each time would defeat the
        // geometric growth of a chunk's array (a reallocation per record).
        if events.isEmpty { events.reserveCapacity(eventCount) }
        for _ in 0..<eventCount { events.append(try Event(from: &reader)) }
        let actorCount = try reader.readCount(minimumBytes: 4)
        if keepingSources && actors.isEmpty { actors.reserveCapacity(actorCount) }
        for _ in 0..<actorCount {
            if keepingSources {
                actors.append(try reader.readString(maxBytes: Limits.actorBytesMax))
            } else {
                let length = Int(try reader.read(UInt32.self))
                guard length <= Limits.actorBytesMax else { throw DecodingError.invalid("actor of \(length) bytes", offset: reader.offset - 4) }
                try reader.skip(length)
            }
        }
        let sourceCount = try reader.readCount(minimumBytes: 12)
        if keepingSources && sources.isEmpty { sources.reserveCapacity(sourceCount) }
        var check = SourcesCheck(commandCount: count, actorCount: actorCount)
        for _ in 0..<sourceCount {
            let source = EventSource(command: try reader.read(UInt32.self), actor: try reader.read(UInt32.self), eventCount: try reader.read(UInt32.self))
            if let problem = check.add(source) { throw DecodingError.invalid("record sources: \(problem)", offset: reader.offset) }
            if keepingSources { sources.append(source) }
        }
        if let problem = check.finish(eventCount: eventCount) { throw DecodingError.invalid("record sources: \(problem)", offset: reader.offset) }
        return Header(firstSequence: first, commandCount: count, timestamp: timestamp, nextItemID: nextItem, nextMemberID: nextMember, nextLoanID: nextLoan)
    }
}

extension EngineHeader: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let nextSequence = try reader.read(UInt64.self)
        let lastTimestamp = Timestamp(rawValue: try reader.read(Int64.self))
        let nextItemID = try reader.read(UInt64.self)
        let nextMemberID = try reader.read(UInt64.self)
        let nextLoanID = try reader.read(UInt64.self)
        var policies = PolicyTable()
        for _ in 0..<(try reader.readCount(minimumBytes: 65)) {
            let key = try PolicyKey(from: &reader)
            policies.set(key, try Policy(from: &reader))
        }
        var keys: [IdempotencyRecord] = []
        for _ in 0..<(try reader.readCount(minimumBytes: 30)) { keys.append(try IdempotencyRecord(from: &reader)) }
        var holds: [Hold] = []
        for _ in 0..<(try reader.readCount(minimumBytes: Hold.encodedBytes)) { holds.append(try Hold(from: &reader)) }
        self.init(
            nextSequence: nextSequence, lastTimestamp: lastTimestamp, nextItemID: nextItemID, nextMemberID: nextMemberID, nextLoanID: nextLoanID,
            policies: policies, rememberedKeys: keys, holds: holds)
    }
}
