/// A member's profile fields, as a change event carries them.
public struct MemberProfile: Sendable, Hashable {
    public var id: MemberID
    public var email: String
    public var name: String
    public var tier: String
    public var status: MemberStatus
    public var cardExpiryDay: Int32

    public init(id: MemberID, email: String, name: String, tier: String, status: MemberStatus, cardExpiryDay: Int32) {
        self.id = id
        self.email = email
        self.name = name
        self.tier = tier
        self.status = status
        self.cardExpiryDay = cardExpiryDay
    }

    public init(_ member: Member) {
        self.init(id: member.id, email: member.email, name: member.name, tier: member.tier, status: member.status, cardExpiryDay: member.cardExpiryDay)
    }
}

/// A remembered idempotency key and the outcome it stands for.
public struct IdempotencyRecord: Sendable, Hashable {
    public var key: String
    /// A hash of the command's canonical encoding: a repeat with another command is refused.
    public var fingerprint: UInt64
    public var sequence: SequenceNumber
    public var rememberedAt: Timestamp
    public var outcome: Outcome

    public init(key: String, fingerprint: UInt64, sequence: SequenceNumber, rememberedAt: Timestamp, outcome: Outcome) {
        self.key = key
        self.fingerprint = fingerprint
        self.sequence = sequence
        self.rememberedAt = rememberedAt
        self.outcome = outcome
    }
}

/// A state change, decided. Events carry after-images, so applying them needs no rule: replay
/// of the log is a plain apply, and the live engine changes state only by applying the events
/// it emits (one mutation path for both).
public enum Event: Sendable, Hashable {
    indirect case itemCreated(Item)
    /// The item's full new state (update, withdraw, add or remove copies).
    indirect case itemChanged(Item)
    indirect case memberRegistered(Member)
    /// New profile; `previousEmail` is set when the e-mail changed, to release the old one.
    indirect case memberChanged(MemberProfile, previousEmail: String?)
    indirect case policySet(PolicyKey, Policy)
    case loanCreated(Loan)
    /// A loan imported from history (`Command.importLoan`), with its own times. An active one
    /// takes a copy and joins the member's active loans, as `loanCreated` does; a returned one
    /// is history only (no copy), and its fine adds to the member's fines owed when `fineOwed`.
    case loanImported(Loan, fineOwed: Bool)
    case loanReturned(LoanID, member: MemberID, item: ItemID, returnedAt: Timestamp, fineCents: Int64)
    case loanRenewed(LoanID, member: MemberID, dueAt: Timestamp, renewals: Int32)
    case finePaid(MemberID, amountCents: Int64)
    indirect case keyRemembered(IdempotencyRecord)
    /// A member joined an item's queue (waiting).
    case holdPlaced(Hold)
    /// A copy was set aside for this hold (the hold as it now is: ready, with its pickup time):
    /// one copy moves from the shelf to the hold shelf.
    case holdReady(Hold)
    /// A hold left the queue (the hold as it was). A ready one's copy leaves the hold shelf: to
    /// the member's new loan when filled (the loan event follows), else back to the shelf.
    case holdEnded(Hold, HoldEnd)
    /// A loan ended otherwise than by a return (`LoanEnd.lost`, `.claimedReturned`): the member
    /// part as for a return (with the fee), the item part one copy more in that state.
    case loanClosed(LoanID, member: MemberID, item: ItemID, at: Timestamp, feeCents: Int64, end: LoanEnd)
    indirect case memberBlocked(MemberID, MemberBlock)
    case memberUnblocked(MemberID, block: UInt64)
}

/// Everything one batch changed, in sequence order, with the header that replay needs to
/// continue numbering exactly where the live engine did. This is the unit the log stores.
public struct BatchRecord: Sendable, Hashable {
    public var firstSequence: SequenceNumber
    public var commandCount: UInt32
    public var timestamp: Timestamp
    /// Identifier counters after the batch (refused creates leave gaps, so these are logged).
    public var nextItemID: UInt64
    public var nextMemberID: UInt64
    public var nextLoanID: UInt64
    public var events: [Event]

    public init(
        firstSequence: SequenceNumber, commandCount: UInt32, timestamp: Timestamp, nextItemID: UInt64, nextMemberID: UInt64,
        nextLoanID: UInt64, events: [Event]
    ) {
        self.firstSequence = firstSequence
        self.commandCount = commandCount
        self.timestamp = timestamp
        self.nextItemID = nextItemID
        self.nextMemberID = nextMemberID
        self.nextLoanID = nextLoanID
        self.events = events
    }
}
