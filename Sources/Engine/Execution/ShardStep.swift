/// One step of one command, run on the shard that owns what the step reads. `slot` is the
/// command's position in its batch.
enum ShardStep: Sendable {
    /// Saga step 1 of a checkout: may this member borrow an item of this type?
    case checkoutMember(slot: Int32, member: MemberID, item: ItemID, itemType: ItemType?)
    /// Saga step 2 of a checkout: can a copy be reserved?
    case checkoutItem(slot: Int32, item: ItemID)
    case returnLoan(slot: Int32, loan: LoanID, member: MemberID)
    case renewLoan(slot: Int32, loan: LoanID, member: MemberID)
    case payFine(slot: Int32, member: MemberID, amountCents: Int64)
    case createItem(slot: Int32, item: Item)
    case updateItem(slot: Int32, item: ItemID, changes: ItemChanges)
    case withdrawItem(slot: Int32, item: ItemID)
    case addCopies(slot: Int32, item: ItemID, count: Int32)
    case removeCopies(slot: Int32, item: ItemID, count: Int32)
    /// Runs on the shard that owns the new member's e-mail address.
    case registerMember(slot: Int32, member: Member)
    /// Saga step 1 of a profile change; decides alone when the e-mail does not change.
    case changeMember(slot: Int32, member: MemberID, change: MemberChange)
    /// Saga step 2 of an e-mail change: is the address free (or already this member's)?
    case claimEmail(slot: Int32, email: String, member: MemberID)
    case getItem(slot: Int32, item: ItemID)
    case getMember(slot: Int32, member: MemberID)
    case memberLoans(slot: Int32, member: MemberID, after: LoanID?, limit: Int32)
    case overdueLoans(slot: Int32, after: LoanID?, limit: Int32)
}

enum MemberChange: Sendable {
    case update(MemberChanges)
    case suspend
    case reinstate
}

/// What a step found.
enum StepVerdict: Sendable {
    /// The step's checks passed; the coordinator completes the saga. A checkout's member step
    /// reports the due time its policy gives.
    case cleared(dueAt: Timestamp)
    /// A profile change passed the member's checks (the member as it would become); the
    /// e-mail step must still agree.
    case profileCleared(Member, previousEmail: String)
    case refused(Refusal)
    /// The shard decided the command alone and applied its own part of `event`.
    case decided(Outcome, event: Event?)
    /// This shard's overdue loans, for the coordinator to merge.
    case overdue([Loan])
}

struct StepResult: Sendable {
    /// Which saga step of a two-step command this answers.
    enum Role: Sendable { case primary, secondary }

    var slot: Int32
    var role: Role = .primary
    var verdict: StepVerdict
}

/// One hop's worth of work for one shard: first apply the events decided elsewhere that touch
/// it, then run this wave's steps in order.
struct ShardWork: Sendable {
    var events: [Event] = []
    var steps: [ShardStep] = []
    var now: Timestamp
    var policies: PolicyTable

    var isEmpty: Bool { events.isEmpty && steps.isEmpty }
}
