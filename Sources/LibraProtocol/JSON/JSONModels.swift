import Engine

/// The JSON shapes of the domain records, shared by JSON frames, the HTTP API and the SDK's
/// JSON mode. Keys are snake_case; times are ISO 8601 UTC with milliseconds; days are YYYY-MM-DD.
public struct ItemJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var isbn: String
    public var title: String
    public var author: String
    public var publisher: String
    public var year: Int32
    public var type: String
    public var status: String
    public var totalCopies: Int32
    public var availableCopies: Int32
    /// Copies on the hold shelf, set aside for members whose holds are ready.
    public var awaitingPickup: Int32
    public var lostCopies: Int32
    public var missingCopies: Int32
    public var claimedReturnedCopies: Int32

    public init(_ item: Item) {
        awaitingPickup = item.awaitingPickup
        lostCopies = item.lostCopies
        missingCopies = item.missingCopies
        claimedReturnedCopies = item.claimedReturnedCopies
        id = item.id.rawValue
        isbn = item.isbn
        title = item.title
        author = item.author
        publisher = item.publisher
        year = item.year
        type = item.type.name
        status = item.status.name
        totalCopies = item.totalCopies
        availableCopies = item.availableCopies
    }

    enum CodingKeys: String, CodingKey {
        case id, isbn, title, author, publisher, year, type, status
        case totalCopies = "total_copies"
        case availableCopies = "available_copies"
        case awaitingPickup = "awaiting_pickup"
        case lostCopies = "lost_copies"
        case missingCopies = "missing_copies"
        case claimedReturnedCopies = "claimed_returned_copies"
    }
}

/// `{"id": 812, "item": 3, "member": 7, "status": "ready", "position": 0, "placed_at": "...",
/// "pickup_by": "...", "pickup_days": 7}`; `pickup_by` is null while the hold waits.
public struct HoldJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var item: UInt64
    public var member: UInt64
    public var status: String
    public var position: Int32
    public var placedAt: String
    public var pickupBy: String?
    public var pickupDays: Int32

    public init(_ queued: QueuedHold) {
        let hold = queued.hold
        id = hold.id.rawValue
        item = hold.item.rawValue
        member = hold.member.rawValue
        status = hold.status.name
        position = queued.position
        placedAt = hold.placedAt.description
        pickupBy = hold.status == .ready ? hold.pickupBy.description : nil
        pickupDays = hold.pickupDays
    }

    enum CodingKeys: String, CodingKey {
        case id, item, member, status, position
        case placedAt = "placed_at"
        case pickupBy = "pickup_by"
        case pickupDays = "pickup_days"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(item, forKey: .item)
        try container.encode(member, forKey: .member)
        try container.encode(status, forKey: .status)
        try container.encode(position, forKey: .position)
        try container.encode(placedAt, forKey: .placedAt)
        try container.encode(pickupBy, forKey: .pickupBy)
        try container.encode(pickupDays, forKey: .pickupDays)
    }
}

public struct ActiveLoanJSON: Codable, Sendable, Hashable {
    public var loan: UInt64
    public var item: UInt64
    public var dueAt: String

    enum CodingKeys: String, CodingKey {
        case loan, item
        case dueAt = "due_at"
    }
}

/// `{"id": 58, "reason": "card reported stolen", "blocks": ["borrowing", "holds"], "placed_at": "…", "expires_at": null}`
public struct BlockJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var reason: String
    public var blocks: [String]
    public var placedAt: String
    public var expiresAt: String?

    public init(_ block: MemberBlock) {
        id = block.id
        reason = block.reason
        blocks = block.effects.names
        placedAt = block.placedAt.description
        expiresAt = block.expiresAt?.description
    }

    enum CodingKeys: String, CodingKey {
        case id, reason, blocks
        case placedAt = "placed_at"
        case expiresAt = "expires_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(reason, forKey: .reason)
        try container.encode(blocks, forKey: .blocks)
        try container.encode(placedAt, forKey: .placedAt)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}

public struct MemberJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var email: String
    public var name: String
    public var tier: String
    public var status: String
    public var cardExpiry: String
    public var finesOwedCents: Int64
    public var activeLoans: [ActiveLoanJSON]
    public var blocks: [BlockJSON]

    public init(_ member: Member) {
        blocks = member.blocks.map(BlockJSON.init)
        id = member.id.rawValue
        email = member.email
        name = member.name
        tier = member.tier
        status = member.status.name
        cardExpiry = CivilDate(day: member.cardExpiryDay).description
        finesOwedCents = member.finesOwedCents
        activeLoans = member.activeLoans.map { ActiveLoanJSON(loan: $0.loan.rawValue, item: $0.item.rawValue, dueAt: $0.dueAt.description) }
    }

    enum CodingKeys: String, CodingKey {
        case id, email, name, tier, status, blocks
        case cardExpiry = "card_expiry"
        case finesOwedCents = "fines_owed_cents"
        case activeLoans = "active_loans"
    }
}

public struct LoanJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var item: UInt64
    public var member: UInt64
    public var itemType: String
    public var checkedOutAt: String
    public var dueAt: String
    public var renewals: Int32
    public var returnedAt: String?
    public var fineCents: Int64
    /// How the loan ended: `returned`, `lost` or `claimed_returned`; null while active.
    public var end: String?

    public init(_ loan: Loan) {
        id = loan.id.rawValue
        item = loan.item.rawValue
        member = loan.member.rawValue
        itemType = loan.itemType.name
        checkedOutAt = loan.checkedOutAt.description
        dueAt = loan.dueAt.description
        renewals = loan.renewals
        returnedAt = loan.returnedAt?.description
        fineCents = loan.fineCents
        end = loan.end?.name
    }

    enum CodingKeys: String, CodingKey {
        case id, item, member, renewals
        case itemType = "item_type"
        case checkedOutAt = "checked_out_at"
        case dueAt = "due_at"
        case returnedAt = "returned_at"
        case fineCents = "fine_cents"
        case end
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(item, forKey: .item)
        try container.encode(member, forKey: .member)
        try container.encode(itemType, forKey: .itemType)
        try container.encode(checkedOutAt, forKey: .checkedOutAt)
        try container.encode(dueAt, forKey: .dueAt)
        try container.encode(renewals, forKey: .renewals)
        try container.encode(returnedAt, forKey: .returnedAt)  // null while active
        try container.encode(fineCents, forKey: .fineCents)
        try container.encode(end, forKey: .end)
    }
}

public struct PolicyJSON: Codable, Sendable, Hashable {
    public var tier: String
    public var itemType: String
    public var loanDays: Int32
    public var maxLoans: Int32
    public var maxRenewals: Int32
    public var finePerDayCents: Int64
    public var maxFinePerLoanCents: Int64
    public var blockThresholdCents: Int64
    public var maxHolds: Int32
    public var pickupDays: Int32
    public var overdueBlockLoans: Int32
    public var lostItemFeeCents: Int64

    public init(_ key: PolicyKey, _ policy: Policy) {
        lostItemFeeCents = policy.lostItemFeeCents
        overdueBlockLoans = policy.overdueBlockLoans
        maxHolds = policy.maxHolds
        pickupDays = policy.pickupDays
        tier = key.tier
        itemType = key.itemType.name
        loanDays = policy.loanDays
        maxLoans = policy.maxLoans
        maxRenewals = policy.maxRenewals
        finePerDayCents = policy.finePerDayCents
        maxFinePerLoanCents = policy.maxFinePerLoanCents
        blockThresholdCents = policy.blockThresholdCents
    }

    enum CodingKeys: String, CodingKey {
        case tier
        case itemType = "item_type"
        case loanDays = "loan_days"
        case maxLoans = "max_loans"
        case maxRenewals = "max_renewals"
        case finePerDayCents = "fine_per_day_cents"
        case maxFinePerLoanCents = "max_fine_per_loan_cents"
        case blockThresholdCents = "block_threshold_cents"
        case maxHolds = "max_holds"
        case pickupDays = "pickup_days"
        case overdueBlockLoans = "overdue_block_loans"
        case lostItemFeeCents = "lost_item_fee_cents"
    }
}

/// `{"code": 108, "name": "NO_COPY_AVAILABLE", "message": "...", "field": "isbn"}`
public struct ErrorJSON: Codable, Sendable, Hashable {
    public var code: UInt16
    public var name: String
    public var message: String
    public var field: String?

    public init(_ refusal: Refusal) {
        code = refusal.code.rawValue
        name = refusal.code.name
        message = refusal.message
        field = refusal.field?.name
    }

    public init(_ refusal: ProtocolRefusal) {
        code = refusal.code.rawValue
        name = refusal.code.name
        message = refusal.message
        field = refusal.field?.name
    }

    /// The error as a typed value; nil for a code this build does not know.
    public var protocolRefusal: ProtocolRefusal? {
        guard let code = ErrorCode(rawValue: code) else { return nil }
        return ProtocolRefusal(code: code, message: message, field: field.flatMap { name in Field.allCases.first { $0.name == name } })
    }
}

/// `{"error": {...}}`: every JSON error, on every front end.
public struct ErrorEnvelope: Codable, Sendable, Hashable {
    public var error: ErrorJSON
    public init(_ error: ErrorJSON) { self.error = error }
}
