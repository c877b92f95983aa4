/// What a command produced: a reply, or a refusal that changed nothing.
public enum Outcome: Sendable, Hashable {
    case ok(Reply)
    case refused(Refusal)

    public var isOK: Bool { if case .ok = self { true } else { false } }
    public var refusal: Refusal? { if case .refused(let refusal) = self { refusal } else { nil } }
}

public enum Reply: Sendable, Hashable {
    indirect case item(Item)
    indirect case member(Member)
    /// A member with the full records of its active loans.
    indirect case memberWithLoans(Member, [Loan])
    case loan(Loan)
    /// A page of loans; `next` is the cursor for the following page, nil when none remain.
    indirect case loans([Loan], next: LoanID?)
    /// A page of the catalog; `next` as for loans.
    indirect case items([Item], next: ItemID?)
    /// A page of the member list; `next` as for loans.
    indirect case members([Member], next: MemberID?)
    indirect case policy(PolicyKey, Policy)
    /// Fines still owed after a payment.
    case finesOwed(MemberID, cents: Int64)
    /// A hold and its place in its item's queue.
    case hold(QueuedHold)
    /// Holds with their places; `next` as for loans (nil for a member's holds, which come whole).
    indirect case holds([QueuedHold], next: HoldID?)
    indirect case summary(CirculationSummary)
    /// Items or members with their loan counts, most first.
    indirect case ranking([RankedCount])
    indirect case dailyCounts([DayCount])
    indirect case inventory(InventoryHealth)
    /// Search hits, best first; `next` continues after the last one shown, nil when none follow.
    indirect case searchResults([ScoredItem], next: SearchCursor?)
}
