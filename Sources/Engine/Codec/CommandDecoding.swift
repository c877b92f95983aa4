/// Decoding of commands and requests as the network protocol carries them: each reads exactly
/// what `Command.encode(to:)` (CanonicalEncoding.swift) writes.
///
/// Input comes from clients, so every string is read with its field's bound from `Limits`: a
/// longer one is a `DecodingError`, and never costs more than the bound to reject. (A string
/// within the bound may still be refused by `Validation`, e.g. an empty title.)
extension Command: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case 1:
            let isbn = try reader.readString(maxBytes: Limits.isbnBytesMax)
            let title = try reader.readString(maxBytes: Limits.titleBytesMax)
            let author = try reader.readString(maxBytes: Limits.authorBytesMax)
            let publisher = try reader.readString(maxBytes: Limits.publisherBytesMax)
            let year = try reader.read(Int32.self)
            let type = try reader.readEnum(ItemType.self)
            let copies = try reader.read(Int32.self)
            self = .createItem(ItemDraft(isbn: isbn, title: title, author: author, publisher: publisher, year: year, type: type, copies: copies))
        case 2:
            let id = ItemID(try reader.read(UInt64.self))
            let isbn = try reader.readOptionalString(maxBytes: Limits.isbnBytesMax)
            let title = try reader.readOptionalString(maxBytes: Limits.titleBytesMax)
            let author = try reader.readOptionalString(maxBytes: Limits.authorBytesMax)
            let publisher = try reader.readOptionalString(maxBytes: Limits.publisherBytesMax)
            let year = try reader.readOptional(Int32.self)
            let type = try reader.readOptionalEnum(ItemType.self)
            self = .updateItem(id, ItemChanges(isbn: isbn, title: title, author: author, publisher: publisher, year: year, type: type))
        case 3: self = .withdrawItem(ItemID(try reader.read(UInt64.self)))
        case 4:
            let id = ItemID(try reader.read(UInt64.self))
            self = .addCopies(id, count: try reader.read(Int32.self))
        case 5:
            let id = ItemID(try reader.read(UInt64.self))
            self = .removeCopies(id, count: try reader.read(Int32.self))
        case 6:
            let email = try reader.readString(maxBytes: Limits.emailBytesMax)
            let name = try reader.readString(maxBytes: Limits.nameBytesMax)
            let tier = try reader.readString(maxBytes: Limits.tierBytesMax)
            self = .registerMember(MemberDraft(email: email, name: name, tier: tier, cardExpiryDay: try reader.read(Int32.self)))
        case 7:
            let id = MemberID(try reader.read(UInt64.self))
            let email = try reader.readOptionalString(maxBytes: Limits.emailBytesMax)
            let name = try reader.readOptionalString(maxBytes: Limits.nameBytesMax)
            let tier = try reader.readOptionalString(maxBytes: Limits.tierBytesMax)
            let expiry = try reader.readOptional(Int32.self)
            self = .updateMember(id, MemberChanges(email: email, name: name, tier: tier, cardExpiryDay: expiry))
        case 8: self = .suspendMember(MemberID(try reader.read(UInt64.self)))
        case 9: self = .reinstateMember(MemberID(try reader.read(UInt64.self)))
        case 10:
            let key = try PolicyKey(from: &reader)
            self = .setPolicy(key, try Policy(from: &reader))
        case 11:
            let member = MemberID(try reader.read(UInt64.self))
            self = .checkout(member: member, item: ItemID(try reader.read(UInt64.self)))
        case 12: self = .returnLoan(LoanID(try reader.read(UInt64.self)))
        case 13: self = .renewLoan(LoanID(try reader.read(UInt64.self)))
        case 14:
            let member = MemberID(try reader.read(UInt64.self))
            self = .payFine(member, amountCents: try reader.read(Int64.self))
        case 21: self = .importLoan(try LoanImport(from: &reader))
        case 15: self = .getItem(ItemID(try reader.read(UInt64.self)))
        case 16: self = .getMember(MemberID(try reader.read(UInt64.self)))
        case 17:
            let member = MemberID(try reader.read(UInt64.self))
            let after = try reader.readOptional(UInt64.self).map { LoanID($0) }
            self = .memberLoans(member, after: after, limit: try reader.read(Int32.self))
        case 18:
            let after = try reader.readOptional(UInt64.self).map { LoanID($0) }
            self = .overdueLoans(after: after, limit: try reader.read(Int32.self))
        case 19:
            let after = try reader.readOptional(UInt64.self).map { ItemID($0) }
            self = .listItems(after: after, limit: try reader.read(Int32.self))
        case 20:
            let after = try reader.readOptional(UInt64.self).map { MemberID($0) }
            self = .listMembers(after: after, limit: try reader.read(Int32.self))
        case 22:
            let member = MemberID(try reader.read(UInt64.self))
            self = .placeHold(member: member, item: ItemID(try reader.read(UInt64.self)))
        case 23: self = .cancelHold(HoldID(try reader.read(UInt64.self)))
        case 24:
            let item = ItemID(try reader.read(UInt64.self))
            let after = try reader.readOptional(UInt64.self).map { HoldID($0) }
            self = .itemHolds(item, after: after, limit: try reader.read(Int32.self))
        case 25: self = .memberHolds(MemberID(try reader.read(UInt64.self)))
        case 26:
            let member = MemberID(try reader.read(UInt64.self))
            let reason = try reader.readString()
            let effects = BlockEffects(rawValue: try reader.read(UInt8.self))
            let expiry = try reader.readOptional(Int64.self).map { Timestamp(rawValue: $0) }
            self = .blockMember(member, MemberBlockDraft(reason: reason, effects: effects, expiresAt: expiry))
        case 28: self = .declareLost(LoanID(try reader.read(UInt64.self)))
        case 29: self = .claimReturned(LoanID(try reader.read(UInt64.self)))
        case 30:
            let item = ItemID(try reader.read(UInt64.self))
            self = .markMissing(item, count: try reader.read(Int32.self))
        case 31:
            let item = ItemID(try reader.read(UInt64.self))
            self = .markFound(item, from: try reader.readEnum(CopyState.self))
        case 33:
            let query = try reader.readString()
            var after: SearchCursor?
            if try reader.readBool() {
                let score = try reader.read(Int32.self)
                after = SearchCursor(score: score, item: ItemID(try reader.read(UInt64.self)))
            }
            self = .searchCatalog(query, after: after, limit: try reader.read(Int32.self))
        case 32:
            let kind = try reader.read(UInt8.self)
            switch kind {
            case 1: self = .analytics(.summary)
            case 2: self = .analytics(.topItems(limit: try reader.read(Int32.self)))
            case 3: self = .analytics(.topMembers(limit: try reader.read(Int32.self)))
            case 4:
                let from = try reader.read(Int32.self)
                self = .analytics(.dailyCheckouts(fromDay: from, toDay: try reader.read(Int32.self)))
            case 5: self = .analytics(.inventory(limit: try reader.read(Int32.self)))
            default: throw DecodingError.invalid("analytics query \(kind)", offset: reader.offset - 1)
            }
        case 27:
            let member = MemberID(try reader.read(UInt64.self))
            self = .unblockMember(member, block: try reader.read(UInt64.self))
        default:
            throw DecodingError.invalid("command tag \(tag)", offset: reader.offset - 1)
        }
    }
}

/// A request: the idempotency key (an optional string, at most `Limits.idempotencyKeyBytesMax`
/// bytes), then the command.
extension Request: CanonicalEncodable, CanonicalDecodable {
    public func encode(to writer: inout ByteWriter) {
        writer.write(optional: idempotencyKey)
        command.encode(to: &writer)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let key = try reader.readOptionalString(maxBytes: Limits.idempotencyKeyBytesMax)
        self.init(try Command(from: &reader), idempotencyKey: key)
    }
}
