import Engine
import Foundation

/// A command in JSON: an object with `op` (the command's name), its fields, and an optional
/// `idempotency_key`. docs/protocol.md lists every op and field.
///
///     {"op": "checkout", "member": 7, "item": 42, "idempotency_key": "desk-3/000172"}
public struct RequestJSON: Codable, Sendable, Hashable {
    public var request: Request

    public init(_ request: Request) { self.request = request }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Every op, in the order docs/protocol.md lists them.
    public static let ops = [
        "create_item", "update_item", "withdraw_item", "add_copies", "remove_copies", "register_member", "update_member", "suspend_member",
        "reinstate_member", "set_policy", "checkout", "return", "renew", "pay_fine", "get_item", "get_member", "member_loans", "overdue_loans",
        "list_items", "list_members", "import_loan", "place_hold", "cancel_hold", "item_holds", "member_holds", "block_member", "unblock_member", "declare_lost", "claim_returned",
        "mark_missing", "mark_found", "analytics", "search_catalog",
    ]

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Key.self)
        let op = try fields.decode(String.self, forKey: Key("op"))
        let key = try fields.decodeIfPresent(String.self, forKey: Key("idempotency_key"))
        request = Request(try Self.command(op: op, fields), idempotencyKey: key)
    }

    static func command(op: String, _ fields: KeyedDecodingContainer<Key>) throws -> Command {
        func required<T: Decodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try fields.decode(T.self, forKey: Key(name)) }
        func optional<T: Decodable>(_ name: String, _ type: T.Type = T.self) throws -> T? { try fields.decodeIfPresent(T.self, forKey: Key(name)) }
        func itemType(_ name: String) throws -> ItemType? {
            guard let text: String = try optional(name) else { return nil }
            guard let type = ItemType(name: text) else {
                throw Swift.DecodingError.dataCorruptedError(forKey: Key(name), in: fields, debugDescription: "unknown item type '\(text)' (book, media, periodical)")
            }
            return type
        }
        // An unreadable date becomes a day the engine refuses, so the client gets INVALID_FIELD(card_expiry).
        func day(_ name: String) throws -> Int32? {
            guard let text: String = try optional(name) else { return nil }
            return CivilDate(iso: text)?.daysSinceEpoch ?? Int32.min
        }
        // An unreadable time becomes one the engine refuses, so the client gets INVALID_FIELD naming it.
        func time(_ name: String) throws -> Timestamp? {
            guard let text: String = try optional(name) else { return nil }
            return Timestamp(iso: text) ?? Timestamp(rawValue: Int64.min)
        }
        func requiredTime(_ name: String) throws -> Timestamp {
            guard let value = try time(name) else { throw Swift.DecodingError.keyNotFound(Key(name), .init(codingPath: fields.codingPath, debugDescription: "missing '\(name)'")) }
            return value
        }
        let limit: Int32 = try optional("limit") ?? 100
        switch op {
        case "create_item":
            guard let type = try itemType("type") else { throw Swift.DecodingError.keyNotFound(Key("type"), .init(codingPath: fields.codingPath, debugDescription: "missing 'type'")) }
            return .createItem(
                ItemDraft(
                    isbn: try required("isbn"), title: try required("title"), author: try required("author"), publisher: try optional("publisher") ?? "",
                    year: try required("year"), type: type, copies: try required("copies")))
        case "update_item":
            return .updateItem(
                ItemID(try required("item")),
                ItemChanges(
                    isbn: try optional("isbn"), title: try optional("title"), author: try optional("author"), publisher: try optional("publisher"),
                    year: try optional("year"), type: try itemType("type")))
        case "withdraw_item": return .withdrawItem(ItemID(try required("item")))
        case "add_copies": return .addCopies(ItemID(try required("item")), count: try required("count"))
        case "remove_copies": return .removeCopies(ItemID(try required("item")), count: try required("count"))
        case "register_member":
            guard let expiry = try day("card_expiry") else { throw Swift.DecodingError.keyNotFound(Key("card_expiry"), .init(codingPath: fields.codingPath, debugDescription: "missing 'card_expiry'")) }
            return .registerMember(MemberDraft(email: try required("email"), name: try required("name"), tier: try optional("tier") ?? "standard", cardExpiryDay: expiry))
        case "update_member":
            return .updateMember(
                MemberID(try required("member")),
                MemberChanges(email: try optional("email"), name: try optional("name"), tier: try optional("tier"), cardExpiryDay: try day("card_expiry")))
        case "suspend_member": return .suspendMember(MemberID(try required("member")))
        case "reinstate_member": return .reinstateMember(MemberID(try required("member")))
        case "set_policy":
            guard let type = try itemType("item_type") else { throw Swift.DecodingError.keyNotFound(Key("item_type"), .init(codingPath: fields.codingPath, debugDescription: "missing 'item_type'")) }
            return .setPolicy(
                PolicyKey(tier: try required("tier"), itemType: type),
                Policy(
                    loanDays: try required("loan_days"), maxLoans: try required("max_loans"), maxRenewals: try required("max_renewals"),
                    finePerDayCents: try required("fine_per_day_cents"), maxFinePerLoanCents: try required("max_fine_per_loan_cents"),
                    blockThresholdCents: try required("block_threshold_cents"), maxHolds: try optional("max_holds") ?? Policy.standard.maxHolds,
                    pickupDays: try optional("pickup_days") ?? Policy.standard.pickupDays,
                    overdueBlockLoans: try optional("overdue_block_loans") ?? Policy.standard.overdueBlockLoans,
                    lostItemFeeCents: try optional("lost_item_fee_cents") ?? Policy.standard.lostItemFeeCents))
        case "checkout": return .checkout(member: MemberID(try required("member")), item: ItemID(try required("item")))
        case "return": return .returnLoan(LoanID(try required("loan")))
        case "renew": return .renewLoan(LoanID(try required("loan")))
        case "pay_fine": return .payFine(MemberID(try required("member")), amountCents: try required("amount_cents"))
        case "import_loan":
            return .importLoan(
                LoanImport(
                    member: MemberID(try required("member")), item: ItemID(try required("item")), checkedOutAt: try requiredTime("checked_out_at"),
                    dueAt: try requiredTime("due_at"), returnedAt: try time("returned_at"), fineCents: try optional("fine_cents"),
                    fineOwed: try optional("fine_owed") ?? false))
        case "get_item": return .getItem(ItemID(try required("item")))
        case "get_member": return .getMember(MemberID(try required("member")))
        case "member_loans": return .memberLoans(MemberID(try required("member")), after: try optional("after", UInt64.self).map { LoanID($0) }, limit: limit)
        case "overdue_loans": return .overdueLoans(after: try optional("after", UInt64.self).map { LoanID($0) }, limit: limit)
        case "list_items": return .listItems(after: try optional("after", UInt64.self).map { ItemID($0) }, limit: limit)
        case "list_members": return .listMembers(after: try optional("after", UInt64.self).map { MemberID($0) }, limit: limit)
        case "place_hold": return .placeHold(member: MemberID(try required("member")), item: ItemID(try required("item")))
        case "cancel_hold": return .cancelHold(HoldID(try required("hold")))
        case "item_holds": return .itemHolds(ItemID(try required("item")), after: try optional("after", UInt64.self).map { HoldID($0) }, limit: limit)
        case "member_holds": return .memberHolds(MemberID(try required("member")))
        case "block_member":
            // An unknown effect name becomes an effect the engine refuses as INVALID_FIELD(blocks).
            let names: [String] = try optional("blocks") ?? BlockEffects.all.names
            let effects = BlockEffects(names: names) ?? BlockEffects(rawValue: 0x80)
            return .blockMember(MemberID(try required("member")), MemberBlockDraft(reason: try required("reason"), effects: effects, expiresAt: try time("expires_at")))
        case "search_catalog":
            var after: SearchCursor?
            if let text: String = try optional("after") {
                guard let cursor = SearchCursorText.cursor(text) else {
                    throw Swift.DecodingError.dataCorruptedError(forKey: Key("after"), in: fields, debugDescription: "'after' must be a cursor 'score:item' from a previous page")
                }
                after = cursor
            }
            return .searchCatalog(try required("q"), after: after, limit: try optional("limit") ?? 20)
        case "analytics":
            let query: String = try required("query")
            switch query {
            case "summary": return .analytics(.summary)
            case "top_items": return .analytics(.topItems(limit: try optional("limit") ?? 10))
            case "top_members": return .analytics(.topMembers(limit: try optional("limit") ?? 10))
            case "inventory": return .analytics(.inventory(limit: try optional("limit") ?? 10))
            case "daily_checkouts":
                guard let from = try day("from"), let to = try day("to") else {
                    throw Swift.DecodingError.keyNotFound(Key("from"), .init(codingPath: fields.codingPath, debugDescription: "missing 'from' or 'to'"))
                }
                return .analytics(.dailyCheckouts(fromDay: from, toDay: to))
            default:
                throw Swift.DecodingError.dataCorruptedError(
                    forKey: Key("query"), in: fields, debugDescription: "unknown query '\(query)' (summary, top_items, top_members, daily_checkouts, inventory)")
            }
        case "declare_lost": return .declareLost(LoanID(try required("loan")))
        case "claim_returned": return .claimReturned(LoanID(try required("loan")))
        case "mark_missing": return .markMissing(ItemID(try required("item")), count: try required("count"))
        case "mark_found":
            let name: String = try required("from")
            guard let state = CopyState(name: name) else {
                throw Swift.DecodingError.dataCorruptedError(forKey: Key("from"), in: fields, debugDescription: "unknown copy state '\(name)' (lost, missing, claimed_returned)")
            }
            return .markFound(ItemID(try required("item")), from: state)
        case "unblock_member": return .unblockMember(MemberID(try required("member")), block: try required("block"))
        default:
            throw Swift.DecodingError.dataCorruptedError(forKey: Key("op"), in: fields, debugDescription: "unknown op '\(op)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(request.command.name, forKey: Key("op"))
        try fields.encodeIfPresent(request.idempotencyKey, forKey: Key("idempotency_key"))
        func put<T: Encodable>(_ name: String, _ value: T?) throws { try fields.encodeIfPresent(value, forKey: Key(name)) }
        func date(_ day: Int32?) -> String? { day.map { CivilDate(day: $0).description } }
        switch request.command {
        case .createItem(let draft):
            try put("isbn", draft.isbn)
            try put("title", draft.title)
            try put("author", draft.author)
            try put("publisher", draft.publisher)
            try put("year", draft.year)
            try put("type", draft.type.name)
            try put("copies", draft.copies)
        case .updateItem(let id, let changes):
            try put("item", id.rawValue)
            try put("isbn", changes.isbn)
            try put("title", changes.title)
            try put("author", changes.author)
            try put("publisher", changes.publisher)
            try put("year", changes.year)
            try put("type", changes.type?.name)
        case .withdrawItem(let id): try put("item", id.rawValue)
        case .addCopies(let id, let count), .removeCopies(let id, let count):
            try put("item", id.rawValue)
            try put("count", count)
        case .registerMember(let draft):
            try put("email", draft.email)
            try put("name", draft.name)
            try put("tier", draft.tier)
            try put("card_expiry", date(draft.cardExpiryDay))
        case .updateMember(let id, let changes):
            try put("member", id.rawValue)
            try put("email", changes.email)
            try put("name", changes.name)
            try put("tier", changes.tier)
            try put("card_expiry", date(changes.cardExpiryDay))
        case .suspendMember(let id), .reinstateMember(let id), .getMember(let id), .memberHolds(let id): try put("member", id.rawValue)
        case .cancelHold(let hold): try put("hold", hold.rawValue)
        case .blockMember(let member, let draft):
            try put("member", member.rawValue)
            try put("reason", draft.reason)
            try put("blocks", draft.effects.names)
            try put("expires_at", draft.expiresAt?.description)
        case .unblockMember(let member, let block):
            try put("member", member.rawValue)
            try put("block", block)
        case .itemHolds(let item, let after, let limit):
            try put("item", item.rawValue)
            try put("after", after?.rawValue)
            try put("limit", limit)
        case .setPolicy(let key, let policy):
            let json = PolicyJSON(key, policy)
            try put("tier", json.tier)
            try put("item_type", json.itemType)
            try put("loan_days", json.loanDays)
            try put("max_loans", json.maxLoans)
            try put("max_renewals", json.maxRenewals)
            try put("fine_per_day_cents", json.finePerDayCents)
            try put("max_fine_per_loan_cents", json.maxFinePerLoanCents)
            try put("block_threshold_cents", json.blockThresholdCents)
            try put("max_holds", json.maxHolds)
            try put("pickup_days", json.pickupDays)
            try put("overdue_block_loans", json.overdueBlockLoans)
            try put("lost_item_fee_cents", json.lostItemFeeCents)
        case .checkout(let member, let item), .placeHold(let member, let item):
            try put("member", member.rawValue)
            try put("item", item.rawValue)
        case .returnLoan(let loan), .renewLoan(let loan), .declareLost(let loan), .claimReturned(let loan): try put("loan", loan.rawValue)
        case .markMissing(let item, let count):
            try put("item", item.rawValue)
            try put("count", count)
        case .markFound(let item, let state):
            try put("item", item.rawValue)
            try put("from", state.name)
        case .searchCatalog(let query, let after, let limit):
            try put("q", query)
            try put("after", after.map(SearchCursorText.text))
            try put("limit", limit)
        case .analytics(let query):
            switch query {
            case .summary: try put("query", "summary")
            case .topItems(let limit):
                try put("query", "top_items")
                try put("limit", limit)
            case .topMembers(let limit):
                try put("query", "top_members")
                try put("limit", limit)
            case .inventory(let limit):
                try put("query", "inventory")
                try put("limit", limit)
            case .dailyCheckouts(let from, let to):
                try put("query", "daily_checkouts")
                try put("from", date(from))
                try put("to", date(to))
            }
        case .payFine(let member, let amount):
            try put("member", member.rawValue)
            try put("amount_cents", amount)
        case .importLoan(let entry):
            try put("member", entry.member.rawValue)
            try put("item", entry.item.rawValue)
            try put("checked_out_at", entry.checkedOutAt.description)
            try put("due_at", entry.dueAt.description)
            try put("returned_at", entry.returnedAt?.description)
            try put("fine_cents", entry.fineCents)
            try put("fine_owed", entry.fineOwed)
        case .getItem(let id): try put("item", id.rawValue)
        case .memberLoans(let member, let after, let limit):
            try put("member", member.rawValue)
            try put("after", after?.rawValue)
            try put("limit", limit)
        case .overdueLoans(let after, let limit):
            try put("after", after?.rawValue)
            try put("limit", limit)
        case .listItems(let after, let limit):
            try put("after", after?.rawValue)
            try put("limit", limit)
        case .listMembers(let after, let limit):
            try put("after", after?.rawValue)
            try put("limit", limit)
        }
    }
}
