import Engine

/// One event of the stream in JSON (JSON frames and Server-Sent Events):
///
///     {"id": "1234.0", "lsn": 1234, "index": 0, "sequence": 98765, "at": "2026-11-21T10:00:00.000Z",
///      "token": "a1b2c3d4e5f6", "type": "loan_created", "loan": {…}}
///
/// `id` is the event's position (`lsn.index`), what a reconnecting client resumes after;
/// `sequence` and `token` are null for events the batch's time decided (expired pickups).
/// The fields after `type` depend on it; docs/protocol.md lists them.
public struct StreamEventJSON: Encodable, Sendable {
    public var lsn: UInt64
    public var at: Timestamp
    public var event: AttributedEvent

    public init(lsn: UInt64, at: Timestamp, event: AttributedEvent) {
        self.lsn = lsn
        self.at = at
        self.event = event
    }

    public var position: String { "\(lsn).\(event.index)" }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: RequestJSON.Key.self)
        try fields.encode(position, forKey: .init("id"))
        try fields.encode(lsn, forKey: .init("lsn"))
        try fields.encode(event.index, forKey: .init("index"))
        try fields.encode(event.sequence, forKey: .init("sequence"))
        try fields.encode(at.description, forKey: .init("at"))
        try fields.encode(event.actor, forKey: .init("token"))
        try fields.encode(event.event.typeName, forKey: .init("type"))
        try Self.encodeFields(of: event.event, into: &fields)
    }

    static func encodeFields(of event: Event, into fields: inout KeyedEncodingContainer<RequestJSON.Key>) throws {
        func put<T: Encodable>(_ value: T, _ key: String) throws { try fields.encode(value, forKey: .init(key)) }
        switch event {
        case .itemCreated(let item), .itemChanged(let item): try put(ItemJSON(item), "item")
        case .memberRegistered(let member): try put(MemberJSON(member), "member")
        case .memberChanged(let profile, let previousEmail):
            try put(MemberProfileJSON(profile), "member")
            try put(previousEmail, "previous_email")
        case .policySet(let key, let policy): try put(PolicyJSON(key, policy), "policy")
        case .loanCreated(let loan): try put(LoanJSON(loan), "loan")
        case .loanImported(let loan, let fineOwed):
            try put(LoanJSON(loan), "loan")
            try put(fineOwed, "fine_owed")
        case .loanReturned(let loan, let member, let item, let returnedAt, let fineCents):
            try put(loan.rawValue, "loan")
            try put(member.rawValue, "member")
            try put(item.rawValue, "item")
            try put(returnedAt.description, "returned_at")
            try put(fineCents, "fine_cents")
        case .loanRenewed(let loan, let member, let dueAt, let renewals):
            try put(loan.rawValue, "loan")
            try put(member.rawValue, "member")
            try put(dueAt.description, "due_at")
            try put(renewals, "renewals")
        case .loanClosed(let loan, let member, let item, let at, let feeCents, let end):
            try put(loan.rawValue, "loan")
            try put(member.rawValue, "member")
            try put(item.rawValue, "item")
            try put(at.description, "closed_at")
            try put(feeCents, "fee_cents")
            try put(end.name, "end")
        case .finePaid(let member, let amountCents):
            try put(member.rawValue, "member")
            try put(amountCents, "amount_cents")
        case .keyRemembered(let record):
            try put(record.key, "idempotency_key")
            try put(record.sequence, "command_sequence")
            try put(OutcomeJSON(record.outcome), "outcome")
        case .holdPlaced(let hold), .holdReady(let hold): try put(HoldEventJSON(hold), "hold")
        case .holdEnded(let hold, let end):
            try put(HoldEventJSON(hold), "hold")
            try put(end.name, "end")
        case .memberBlocked(let member, let block):
            try put(member.rawValue, "member")
            try put(BlockJSON(block), "block")
        case .memberUnblocked(let member, let block):
            try put(member.rawValue, "member")
            try put(block, "block")
        }
    }
}

extension Event {
    /// The event's name in JSON and in Server-Sent Events' `event:` line.
    public var typeName: String {
        switch self {
        case .itemCreated: "item_created"
        case .itemChanged: "item_changed"
        case .memberRegistered: "member_registered"
        case .memberChanged: "member_changed"
        case .policySet: "policy_set"
        case .loanCreated: "loan_created"
        case .loanReturned: "loan_returned"
        case .loanRenewed: "loan_renewed"
        case .finePaid: "fine_paid"
        case .keyRemembered: "key_remembered"
        case .loanImported: "loan_imported"
        case .holdPlaced: "hold_placed"
        case .holdReady: "hold_ready"
        case .holdEnded: "hold_ended"
        case .memberBlocked: "member_blocked"
        case .memberUnblocked: "member_unblocked"
        case .loanClosed: "loan_closed"
        }
    }

    /// Every type name, in tag order (docs/protocol.md lists them).
    public static let typeNames = [
        "item_created", "item_changed", "member_registered", "member_changed", "policy_set", "loan_created", "loan_returned", "loan_renewed",
        "fine_paid", "key_remembered", "loan_imported", "hold_placed", "hold_ready", "hold_ended", "member_blocked", "member_unblocked", "loan_closed",
    ]
}

/// A member's profile as a change event carries it (no loans, fines or blocks).
struct MemberProfileJSON: Encodable {
    var id: UInt64
    var email: String
    var name: String
    var tier: String
    var status: String
    var cardExpiry: String

    init(_ profile: MemberProfile) {
        id = profile.id.rawValue
        email = profile.email
        name = profile.name
        tier = profile.tier
        status = profile.status.name
        cardExpiry = CivilDate(day: profile.cardExpiryDay).description
    }

    enum CodingKeys: String, CodingKey {
        case id, email, name, tier, status
        case cardExpiry = "card_expiry"
    }
}

/// A hold as an event carries it: as `HoldJSON` without the queue position, which events do
/// not track.
struct HoldEventJSON: Encodable {
    var hold: Hold

    init(_ hold: Hold) { self.hold = hold }

    func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: RequestJSON.Key.self)
        try fields.encode(hold.id.rawValue, forKey: .init("id"))
        try fields.encode(hold.item.rawValue, forKey: .init("item"))
        try fields.encode(hold.member.rawValue, forKey: .init("member"))
        try fields.encode(hold.status.name, forKey: .init("status"))
        try fields.encode(hold.placedAt.description, forKey: .init("placed_at"))
        try fields.encode(hold.status == .ready ? hold.pickupBy.description : nil, forKey: .init("pickup_by"))
        try fields.encode(hold.pickupDays, forKey: .init("pickup_days"))
    }
}

/// The JSON answer to a SUBSCRIBE frame, one per batch of records: `{"next": 1240, "events": [...]}`.
/// `next` is the LSN to subscribe from to continue after this frame.
public struct EventsJSON: Encodable, Sendable {
    public var next: UInt64
    public var events: [StreamEventJSON]

    public init(next: UInt64, events: [StreamEventJSON]) {
        self.next = next
        self.events = events
    }
}

/// `{"from": 1234}` (or `{}`: from the next record written).
public struct SubscribeJSON: Codable, Sendable, Hashable {
    public var from: UInt64?

    public init(from: UInt64?) { self.from = from }
}
