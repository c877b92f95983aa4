/// How a loan ended.
public enum LoanEnd: UInt8, Sendable, Hashable {
    case returned = 1
    /// Declared lost: the member is charged the policy's lost-item fee; the copy counts as lost.
    case lost = 2
    /// The member says they returned it and the library cannot find it: no fine; the copy counts
    /// as claimed returned until found.
    case claimedReturned = 3

    public var name: String {
        switch self {
        case .returned: "returned"
        case .lost: "lost"
        case .claimedReturned: "claimed_returned"
        }
    }
}

/// One checkout of one copy of an item by one member, active until returned (or declared lost,
/// or claimed returned).
public struct Loan: Sendable, Hashable {
    public var id: LoanID
    public var item: ItemID
    public var member: MemberID
    public var checkedOutAt: Timestamp
    public var dueAt: Timestamp
    public var fineCents: Int64
    /// Milliseconds since the epoch, or `Int64.min` while active: an optional would add a tag
    /// byte and, with padding, push the record past 64 bytes.
    private var returnedAtRaw: Int64
    public var renewals: Int32
    /// The item's type at checkout; fines and renewals follow the policy for this type.
    public var itemType: ItemType
    /// `LoanEnd.rawValue` once ended, 0 while active.
    private var endRaw: UInt8

    /// How the loan ended; nil while active. `returnedAt` is when.
    public var end: LoanEnd? {
        get { LoanEnd(rawValue: endRaw) }
        set { endRaw = newValue?.rawValue ?? 0 }
    }

    /// When the loan ended; setting it on an active loan ends it as `.returned` (set `end`
    /// after it for another ending).
    public var returnedAt: Timestamp? {
        get { returnedAtRaw == Int64.min ? nil : Timestamp(rawValue: returnedAtRaw) }
        set {
            returnedAtRaw = newValue?.rawValue ?? Int64.min
            if newValue == nil { endRaw = 0 } else if endRaw == 0 { endRaw = LoanEnd.returned.rawValue }
        }
    }

    public var isActive: Bool { returnedAtRaw == Int64.min }

    public init(
        id: LoanID, item: ItemID, member: MemberID, itemType: ItemType, checkedOutAt: Timestamp, dueAt: Timestamp,
        renewals: Int32 = 0, returnedAt: Timestamp? = nil, fineCents: Int64 = 0, end: LoanEnd? = nil
    ) {
        self.endRaw = returnedAt == nil ? 0 : (end ?? .returned).rawValue
        self.id = id
        self.item = item
        self.member = member
        self.itemType = itemType
        self.checkedOutAt = checkedOutAt
        self.dueAt = dueAt
        self.renewals = renewals
        self.returnedAtRaw = returnedAt?.rawValue ?? Int64.min
        self.fineCents = fineCents
    }
}
