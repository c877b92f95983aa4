/// A value's canonical bytes: fixed field order, little-endian integers, length-prefixed UTF-8.
/// Two values are equal in state exactly when their canonical bytes are equal.
public protocol CanonicalEncodable {
    func encode(to writer: inout ByteWriter)
}

extension CanonicalEncodable {
    public var canonicalBytes: [UInt8] {
        var writer = ByteWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension Item: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(id.rawValue)
        writer.write(isbn)
        writer.write(title)
        writer.write(author)
        writer.write(publisher)
        writer.write(year)
        writer.write(type.rawValue)
        writer.write(status.rawValue)
        writer.write(totalCopies)
        writer.write(availableCopies)
        writer.write(awaitingPickup)
        writer.write(lostCopies)
        writer.write(missingCopies)
        writer.write(claimedReturnedCopies)
    }
}

extension Hold: CanonicalEncodable {
    public static let encodedBytes = 45

    public func encode(to writer: inout ByteWriter) {
        writer.write(id.rawValue)
        writer.write(item.rawValue)
        writer.write(member.rawValue)
        writer.write(placedAt.rawValue)
        writer.write(status.rawValue)
        writer.write(pickupBy.rawValue)
        writer.write(pickupDays)
    }
}

extension QueuedHold: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        hold.encode(to: &writer)
        writer.write(position)
    }
}

extension Member: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(id.rawValue)
        writer.write(email)
        writer.write(name)
        writer.write(tier)
        writer.write(status.rawValue)
        writer.write(cardExpiryDay)
        writer.write(finesOwedCents)
        writer.write(UInt32(activeLoans.count))
        for active in activeLoans {
            writer.write(active.loan.rawValue)
            writer.write(active.item.rawValue)
            writer.write(active.dueAt.rawValue)
        }
        writer.write(UInt32(blocks.count))
        for block in blocks { block.encode(to: &writer) }
    }
}

extension MemberBlock: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(id)
        writer.write(reason)
        writer.write(effects.rawValue)
        writer.write(placedAt.rawValue)
        writer.write(optional: expiresAt?.rawValue)
    }
}

extension Loan: CanonicalEncodable {
    /// The longest loan encoding: a returned one.
    public static let encodedBytesMax = 63

    public func encode(to writer: inout ByteWriter) {
        // In one block: loans are encoded by the million (log records, answers, snapshots).
        writer.writeBlock(maxBytes: Self.encodedBytesMax) { block in
            block.write(id.rawValue)
            block.write(item.rawValue)
            block.write(member.rawValue)
            block.write(itemType.rawValue)
            block.write(checkedOutAt.rawValue)
            block.write(dueAt.rawValue)
            block.write(renewals)
            block.write(optional: returnedAt?.rawValue)
            block.write(fineCents)
            block.write(end?.rawValue ?? 0)
        }
    }
}

extension LoanImport: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.writeBlock(maxBytes: 51) { block in
            block.write(member.rawValue)
            block.write(item.rawValue)
            block.write(checkedOutAt.rawValue)
            block.write(dueAt.rawValue)
            block.write(optional: returnedAt?.rawValue)
            block.write(optional: fineCents)
            block.write(fineOwed)
        }
    }
}

extension PolicyKey: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(tier)
        writer.write(itemType.rawValue)
    }
}

extension Policy: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(loanDays)
        writer.write(maxLoans)
        writer.write(maxRenewals)
        writer.write(finePerDayCents)
        writer.write(maxFinePerLoanCents)
        writer.write(blockThresholdCents)
        writer.write(maxHolds)
        writer.write(pickupDays)
        writer.write(overdueBlockLoans)
        writer.write(lostItemFeeCents)
    }
}

extension Refusal: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(code.rawValue)
        writer.write(field?.rawValue ?? 0)
    }
}

extension Reply: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .item(let item):
            writer.write(UInt8(1))
            item.encode(to: &writer)
        case .member(let member):
            writer.write(UInt8(2))
            member.encode(to: &writer)
        case .loan(let loan):
            writer.write(UInt8(3))
            loan.encode(to: &writer)
        case .memberWithLoans(let member, let loans):
            writer.write(UInt8(7))
            member.encode(to: &writer)
            writer.write(UInt32(loans.count))
            for loan in loans { loan.encode(to: &writer) }
        case .loans(let loans, let next):
            writer.write(UInt8(4))
            writer.write(UInt32(loans.count))
            for loan in loans { loan.encode(to: &writer) }
            writer.write(optional: next?.rawValue)
        case .items(let items, let next):
            writer.write(UInt8(8))
            writer.write(UInt32(items.count))
            for item in items { item.encode(to: &writer) }
            writer.write(optional: next?.rawValue)
        case .members(let members, let next):
            writer.write(UInt8(9))
            writer.write(UInt32(members.count))
            for member in members { member.encode(to: &writer) }
            writer.write(optional: next?.rawValue)
        case .policy(let key, let policy):
            writer.write(UInt8(5))
            key.encode(to: &writer)
            policy.encode(to: &writer)
        case .finesOwed(let member, let cents):
            writer.write(UInt8(6))
            writer.write(member.rawValue)
            writer.write(cents)
        case .hold(let queued):
            writer.write(UInt8(10))
            queued.encode(to: &writer)
        case .holds(let holds, let next):
            writer.write(UInt8(11))
            writer.write(UInt32(holds.count))
            for queued in holds { queued.encode(to: &writer) }
            writer.write(optional: next?.rawValue)
        case .summary(let summary):
            writer.write(UInt8(12))
            for value in [
                summary.items, summary.activeItems, summary.copies, summary.members, summary.activeLoans, summary.overdueLoans, summary.loansEver,
                summary.openHolds, summary.utilizationPermille,
            ] { writer.write(value) }
        case .ranking(let ranking):
            writer.write(UInt8(13))
            writer.write(UInt32(ranking.count))
            for entry in ranking {
                writer.write(entry.id)
                writer.write(entry.count)
            }
        case .dailyCounts(let days):
            writer.write(UInt8(14))
            writer.write(UInt32(days.count))
            for entry in days {
                writer.write(entry.day)
                writer.write(entry.count)
            }
        case .searchResults(let hits, let next):
            writer.write(UInt8(16))
            writer.write(UInt32(hits.count))
            for hit in hits {
                writer.write(hit.score)
                hit.item.encode(to: &writer)
            }
            writer.write(next != nil)
            if let next {
                writer.write(next.score)
                writer.write(next.item.rawValue)
            }
        case .inventory(let health):
            writer.write(UInt8(15))
            writer.write(health.neverBorrowed)
            writer.write(UInt32(health.neverBorrowedSample.count))
            for id in health.neverBorrowedSample { writer.write(id.rawValue) }
            writer.write(health.allCopiesOut)
            writer.write(UInt32(health.allCopiesOutSample.count))
            for id in health.allCopiesOutSample { writer.write(id.rawValue) }
        }
    }
}

extension Outcome: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .ok(let reply):
            writer.write(UInt8(1))
            reply.encode(to: &writer)
        case .refused(let refusal):
            writer.write(UInt8(2))
            refusal.encode(to: &writer)
        }
    }
}

extension IdempotencyRecord: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(key)
        writer.write(fingerprint)
        writer.write(sequence)
        writer.write(rememberedAt.rawValue)
        outcome.encode(to: &writer)
    }
}

extension Command: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .createItem(let draft):
            writer.write(UInt8(1))
            writer.write(draft.isbn)
            writer.write(draft.title)
            writer.write(draft.author)
            writer.write(draft.publisher)
            writer.write(draft.year)
            writer.write(draft.type.rawValue)
            writer.write(draft.copies)
        case .updateItem(let id, let changes):
            writer.write(UInt8(2))
            writer.write(id.rawValue)
            writer.write(optional: changes.isbn)
            writer.write(optional: changes.title)
            writer.write(optional: changes.author)
            writer.write(optional: changes.publisher)
            writer.write(optional: changes.year)
            writer.write(optional: changes.type?.rawValue)
        case .withdrawItem(let id):
            writer.write(UInt8(3))
            writer.write(id.rawValue)
        case .addCopies(let id, let count):
            writer.write(UInt8(4))
            writer.write(id.rawValue)
            writer.write(count)
        case .removeCopies(let id, let count):
            writer.write(UInt8(5))
            writer.write(id.rawValue)
            writer.write(count)
        case .registerMember(let draft):
            writer.write(UInt8(6))
            writer.write(draft.email)
            writer.write(draft.name)
            writer.write(draft.tier)
            writer.write(draft.cardExpiryDay)
        case .updateMember(let id, let changes):
            writer.write(UInt8(7))
            writer.write(id.rawValue)
            writer.write(optional: changes.email)
            writer.write(optional: changes.name)
            writer.write(optional: changes.tier)
            writer.write(optional: changes.cardExpiryDay)
        case .suspendMember(let id):
            writer.write(UInt8(8))
            writer.write(id.rawValue)
        case .reinstateMember(let id):
            writer.write(UInt8(9))
            writer.write(id.rawValue)
        case .blockMember(let id, let draft):
            writer.write(UInt8(26))
            writer.write(id.rawValue)
            writer.write(draft.reason)
            writer.write(draft.effects.rawValue)
            writer.write(optional: draft.expiresAt?.rawValue)
        case .unblockMember(let id, let block):
            writer.write(UInt8(27))
            writer.write(id.rawValue)
            writer.write(block)
        case .setPolicy(let key, let policy):
            writer.write(UInt8(10))
            key.encode(to: &writer)
            policy.encode(to: &writer)
        case .checkout(let member, let item):
            writer.write(UInt8(11))
            writer.write(member.rawValue)
            writer.write(item.rawValue)
        case .returnLoan(let loan):
            writer.write(UInt8(12))
            writer.write(loan.rawValue)
        case .renewLoan(let loan):
            writer.write(UInt8(13))
            writer.write(loan.rawValue)
        case .payFine(let member, let amount):
            writer.write(UInt8(14))
            writer.write(member.rawValue)
            writer.write(amount)
        case .declareLost(let loan):
            writer.write(UInt8(28))
            writer.write(loan.rawValue)
        case .claimReturned(let loan):
            writer.write(UInt8(29))
            writer.write(loan.rawValue)
        case .markMissing(let item, let count):
            writer.write(UInt8(30))
            writer.write(item.rawValue)
            writer.write(count)
        case .markFound(let item, let state):
            writer.write(UInt8(31))
            writer.write(item.rawValue)
            writer.write(state.rawValue)
        case .importLoan(let entry):
            writer.write(UInt8(21))
            entry.encode(to: &writer)
        case .getItem(let id):
            writer.write(UInt8(15))
            writer.write(id.rawValue)
        case .getMember(let id):
            writer.write(UInt8(16))
            writer.write(id.rawValue)
        case .memberLoans(let id, let after, let limit):
            writer.write(UInt8(17))
            writer.write(id.rawValue)
            writer.write(optional: after?.rawValue)
            writer.write(limit)
        case .overdueLoans(let after, let limit):
            writer.write(UInt8(18))
            writer.write(optional: after?.rawValue)
            writer.write(limit)
        case .listItems(let after, let limit):
            writer.write(UInt8(19))
            writer.write(optional: after?.rawValue)
            writer.write(limit)
        case .listMembers(let after, let limit):
            writer.write(UInt8(20))
            writer.write(optional: after?.rawValue)
            writer.write(limit)
        case .placeHold(let member, let item):
            writer.write(UInt8(22))
            writer.write(member.rawValue)
            writer.write(item.rawValue)
        case .cancelHold(let hold):
            writer.write(UInt8(23))
            writer.write(hold.rawValue)
        case .itemHolds(let item, let after, let limit):
            writer.write(UInt8(24))
            writer.write(item.rawValue)
            writer.write(optional: after?.rawValue)
            writer.write(limit)
        case .memberHolds(let member):
            writer.write(UInt8(25))
            writer.write(member.rawValue)
        case .searchCatalog(let query, let after, let limit):
            writer.write(UInt8(33))
            writer.write(query)
            writer.write(after != nil)
            if let after {
                writer.write(after.score)
                writer.write(after.item.rawValue)
            }
            writer.write(limit)
        case .analytics(let query):
            writer.write(UInt8(32))
            switch query {
            case .summary: writer.write(UInt8(1))
            case .topItems(let limit):
                writer.write(UInt8(2))
                writer.write(limit)
            case .topMembers(let limit):
                writer.write(UInt8(3))
                writer.write(limit)
            case .dailyCheckouts(let from, let to):
                writer.write(UInt8(4))
                writer.write(from)
                writer.write(to)
            case .inventory(let limit):
                writer.write(UInt8(5))
                writer.write(limit)
            }
        }
    }

    /// Identifies the command for idempotency: equal commands have equal fingerprints.
    public var fingerprint: UInt64 { StableHash.hash(canonicalBytes) }

    /// `canonicalBytes.count`, computed without encoding (the log's admission bound asks for it
    /// for every command). A test holds the two equal for every kind of command.
    public var canonicalByteCount: Int {
        func text(_ value: String) -> Int { 4 + value.utf8.count }
        func optional(_ value: String?) -> Int { 1 + (value.map(text) ?? 0) }
        func optional<T>(_ value: T?, _ bytes: Int) -> Int { 1 + (value == nil ? 0 : bytes) }
        switch self {
        case .createItem(let draft): return 1 + text(draft.isbn) + text(draft.title) + text(draft.author) + text(draft.publisher) + 4 + 1 + 4
        case .updateItem(_, let changes):
            return 1 + 8 + optional(changes.isbn) + optional(changes.title) + optional(changes.author) + optional(changes.publisher)
                + optional(changes.year, 4) + optional(changes.type, 1)
        case .withdrawItem, .suspendMember, .reinstateMember, .returnLoan, .renewLoan, .getItem, .getMember, .cancelHold, .memberHolds, .declareLost, .claimReturned: return 1 + 8
        case .markMissing: return 1 + 8 + 4
        case .markFound: return 1 + 8 + 1
        case .searchCatalog(let query, let after, _): return 1 + text(query) + 1 + (after == nil ? 0 : 12) + 4
        case .analytics(let query):
            switch query {
            case .summary: return 2
            case .topItems, .topMembers, .inventory: return 2 + 4
            case .dailyCheckouts: return 2 + 8
            }
        case .addCopies, .removeCopies: return 1 + 8 + 4
        case .registerMember(let draft): return 1 + text(draft.email) + text(draft.name) + text(draft.tier) + 4
        case .updateMember(_, let changes):
            return 1 + 8 + optional(changes.email) + optional(changes.name) + optional(changes.tier) + optional(changes.cardExpiryDay, 4)
        case .setPolicy(let key, _): return 1 + text(key.tier) + 1 + 4 * 3 + 8 * 3 + 4 * 3 + 8
        case .blockMember(_, let draft): return 1 + 8 + text(draft.reason) + 1 + optional(draft.expiresAt, 8)
        case .unblockMember: return 1 + 8 + 8
        case .checkout, .payFine, .placeHold: return 1 + 8 + 8
        case .itemHolds(_, let after, _): return 1 + 8 + optional(after, 8) + 4
        case .importLoan(let entry): return 1 + 8 * 4 + optional(entry.returnedAt, 8) + optional(entry.fineCents, 8) + 1
        case .memberLoans(_, let after, _): return 1 + 8 + optional(after, 8) + 4
        case .overdueLoans(let after, _): return 1 + optional(after, 8) + 4
        case .listItems(let after, _): return 1 + optional(after, 8) + 4
        case .listMembers(let after, _): return 1 + optional(after, 8) + 4
        }
    }
}
