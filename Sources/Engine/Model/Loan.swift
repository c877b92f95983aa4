/// One checkout of one copy of an item by one member, active until returned.
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

    public var returnedAt: Timestamp? {
        get { returnedAtRaw == Int64.min ? nil : Timestamp(rawValue: returnedAtRaw) }
        set { returnedAtRaw = newValue?.rawValue ?? Int64.min }
    }

    public var isActive: Bool { returnedAtRaw == Int64.min }

    public init(
        id: LoanID, item: ItemID, member: MemberID, itemType: ItemType, checkedOutAt: Timestamp, dueAt: Timestamp,
        renewals: Int32 = 0, returnedAt: Timestamp? = nil, fineCents: Int64 = 0
    ) {
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
