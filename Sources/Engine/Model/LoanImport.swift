/// A loan from the library's history (another system's records), imported with its own times
/// by `Command.importLoan`: admin only, for migrations and seeding. The rules it follows are in
/// docs/circulation-rules.md ("import_loan").
public struct LoanImport: Sendable, Hashable {
    public var member: MemberID
    public var item: ItemID
    public var checkedOutAt: Timestamp
    public var dueAt: Timestamp
    /// Nil: the loan is still out, and takes a copy of the item.
    public var returnedAt: Timestamp?
    /// For a returned loan: the fine it carried, or nil to have the policy compute it (as a
    /// return at `returnedAt` would). A given fine is at most the policy's cap per loan.
    public var fineCents: Int64?
    /// Whether the fine is still owed (added to the member's fines owed); otherwise it was
    /// settled in the old system and is kept on the loan only as history.
    public var fineOwed: Bool

    public init(
        member: MemberID, item: ItemID, checkedOutAt: Timestamp, dueAt: Timestamp, returnedAt: Timestamp? = nil, fineCents: Int64? = nil,
        fineOwed: Bool = false
    ) {
        self.member = member
        self.item = item
        self.checkedOutAt = checkedOutAt
        self.dueAt = dueAt
        self.returnedAt = returnedAt
        self.fineCents = fineCents
        self.fineOwed = fineOwed
    }

    public var isActive: Bool { returnedAt == nil }
}
