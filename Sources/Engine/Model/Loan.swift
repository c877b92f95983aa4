/// One checkout of one copy of an item by one member, active until returned.
public struct Loan: Sendable, Hashable {
    public var id: LoanID
    public var item: ItemID
    public var member: MemberID
    /// The item's type at checkout; fines and renewals follow the policy for this type.
    public var itemType: ItemType
    public var checkedOutAt: Timestamp
    public var dueAt: Timestamp
    public var renewals: Int32
    public var returnedAt: Timestamp?
    public var fineCents: Int64

    public var isActive: Bool { returnedAt == nil }

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
        self.returnedAt = returnedAt
        self.fineCents = fineCents
    }
}
