/// One step of one command, run on the shard that owns what the step reads. `slot` is the
/// command's position in its batch.
enum ShardStep: Sendable {
    /// Saga step 1 of a checkout: may this member borrow an item of this type?
    case checkoutMember(slot: Int32, member: MemberID, item: ItemID, itemType: ItemType?)
    /// Saga step 2 of a checkout: can a copy be reserved? From the hold shelf when the member
    /// collects the copy set aside for their ready hold.
    case checkoutItem(slot: Int32, item: ItemID, fromHoldShelf: Bool)
    /// A whole checkout whose member and item live on the same shard (`checkoutStep`).
    case checkout(slot: Int32, loan: LoanID, member: MemberID, item: ItemID, fromHoldShelf: Bool)
    /// Saga step 1 of placing a hold: may this member hold an item of this type?
    indirect case holdMember(slot: Int32, HoldRequest)
    /// Saga step 2 of placing a hold: does the item exist, circulate, and lack a free copy?
    case holdItem(slot: Int32, item: ItemID)
    /// Saga step 1 of an import (step 2, for an active loan, is `checkoutItem`); `terms` indexes
    /// `ShardWork.importTerms`.
    case importMember(slot: Int32, member: MemberID, item: ItemID, terms: Int32)
    /// `index` locates the loan in its member's shard (see `LoanRoute`).
    case returnLoan(slot: Int32, loan: LoanID, index: UInt32)
    /// `itemOnHold`: other members wait for the loan's item (the coordinator's hold book).
    case renewLoan(slot: Int32, loan: LoanID, index: UInt32, itemOnHold: Bool)
    /// Ends the loan as lost or claimed returned (`LoanEnd`), like a return on the member's shard.
    case closeLoan(slot: Int32, loan: LoanID, index: UInt32, end: LoanEnd)
    case markMissing(slot: Int32, item: ItemID, count: Int32)
    case markFound(slot: Int32, item: ItemID, from: CopyState)
    case payFine(slot: Int32, member: MemberID, amountCents: Int64)
    indirect case createItem(slot: Int32, item: Item)
    indirect case updateItem(slot: Int32, item: ItemID, changes: ItemChanges)
    case withdrawItem(slot: Int32, item: ItemID)
    case addCopies(slot: Int32, item: ItemID, count: Int32)
    case removeCopies(slot: Int32, item: ItemID, count: Int32)
    /// Runs on the shard that owns the new member's e-mail address.
    indirect case registerMember(slot: Int32, member: Member)
    /// Saga step 1 of a profile change; decides alone when the e-mail does not change.
    indirect case changeMember(slot: Int32, member: MemberID, change: MemberChange)
    /// Saga step 2 of an e-mail change: is the address free (or already this member's)?
    indirect case claimEmail(slot: Int32, email: String, member: MemberID)
    indirect case blockMember(slot: Int32, member: MemberID, block: MemberBlock)
    case unblockMember(slot: Int32, member: MemberID, block: UInt64)
    case getItem(slot: Int32, item: ItemID)
    case getMember(slot: Int32, member: MemberID)
    case memberLoans(slot: Int32, member: MemberID, after: LoanID?, limit: Int32)
    case overdueLoans(slot: Int32, after: LoanID?, limit: Int32)
    case listItems(slot: Int32, after: ItemID?, limit: Int32)
    indirect case searchCatalog(slot: Int32, query: String, after: SearchCursor?, limit: Int32)
    case listMembers(slot: Int32, after: MemberID?, limit: Int32)
}

/// What a hold's member step needs from the coordinator beyond the member's own record.
struct HoldRequest: Sendable {
    var member: MemberID
    var item: ItemID
    /// Nil when the item does not exist.
    var itemType: ItemType?
    var openHolds: Int32
    /// Whether the member already has an open hold on the item.
    var hasHold: Bool
}

enum MemberChange: Sendable {
    case update(MemberChanges)
    case suspend
    case reinstate
}

/// What a step found, as the rules return it; `Shard` turns it into a `StepVerdict` for transport.
enum Decision {
    case cleared(dueAt: Timestamp)
    case holdCleared(pickupDays: Int32)
    case imported(fineCents: Int64)
    case profileCleared(Member, previousEmail: String)
    case refused(Refusal)
    case decided(Outcome, event: Event?)
    case overdue([Loan])
    case items([Item])
    case members([Member])
    case hits([ScoredItem])
}

/// What a step found, as the coordinator receives it.
enum StepVerdict: Sendable {
    /// The step's checks passed; the coordinator completes the saga. A checkout's member step
    /// reports the due time its policy gives.
    case cleared(dueAt: Timestamp)
    /// A hold's member step passed; a copy set aside for it will wait this many days.
    case holdCleared(pickupDays: Int32)
    /// An import's member step passed; a returned loan carries this fine.
    case imported(fineCents: Int64)
    /// A profile change passed the member's checks (the member as it would become); the
    /// e-mail step must still agree.
    indirect case profileCleared(Member, previousEmail: String)
    case refused(Refusal)
    /// The shard decided the command alone: its outcome is `ShardReply.outcomes[outcome]`,
    /// and its event, if any, `ShardReply.events[event]`, whose own part the shard applied.
    case decided(outcome: Int32, event: Int32)
    /// This shard's overdue loans, for the coordinator to merge.
    indirect case overdue([Loan])
    /// This shard's first items (members) after a list's cursor, for the coordinator to merge.
    indirect case items([Item])
    indirect case members([Member])
    /// This shard's best search hits after the cursor, for the coordinator to merge.
    indirect case hits([ScoredItem])
}

/// What a shard sends back from one hop. Outcomes and events sit beside the verdicts so that
/// the verdicts, which every step returns, stay small.
struct ShardReply: Sendable {
    var results: [StepResult] = []
    var outcomes: [Outcome] = []
    var events: [Event] = []

    mutating func record(_ slot: Int32, _ role: StepResult.Role, _ decision: Decision) {
        let verdict: StepVerdict
        switch decision {
        case .cleared(let dueAt): verdict = .cleared(dueAt: dueAt)
        case .holdCleared(let days): verdict = .holdCleared(pickupDays: days)
        case .imported(let fine): verdict = .imported(fineCents: fine)
        case .refused(let refusal): verdict = .refused(refusal)
        case .profileCleared(let member, let previousEmail): verdict = .profileCleared(member, previousEmail: previousEmail)
        case .overdue(let loans): verdict = .overdue(loans)
        case .items(let items): verdict = .items(items)
        case .members(let members): verdict = .members(members)
        case .hits(let hits): verdict = .hits(hits)
        case .decided(let outcome, let event):
            // -1 stands for no event.
            var eventIndex: Int32 = -1
            if let event {
                eventIndex = Int32(events.count)
                events.append(event)
            }
            outcomes.append(outcome)
            verdict = .decided(outcome: Int32(outcomes.count - 1), event: eventIndex)
        }
        results.append(StepResult(slot: slot, role: role, verdict: verdict))
    }
}

struct StepResult: Sendable {
    /// Which saga step of a two-step command this answers.
    enum Role: Sendable { case primary, secondary }

    var slot: Int32
    var role: Role = .primary
    var verdict: StepVerdict
}

/// One hop's worth of work for one shard: first put back the copies of refused checkouts and
/// apply the events decided elsewhere that touch it, then run this wave's steps in order.
struct ShardWork: Sendable {
    var events: [Event] = []
    var steps: [ShardStep] = []
    /// Items whose reserved copy goes back on the shelf: the checkout's member step refused.
    var releases: [ItemID] = []
    /// As `releases`, for copies taken from the hold shelf: they go back there.
    var holdShelfReleases: [ItemID] = []
    /// What this hop's import steps need beyond their member and item (see `ImportTerms`).
    var importTerms: [ImportTerms] = []
    /// True on the live path, where the copy of every `loanCreated` was already taken: by the
    /// item step of a two-shard checkout, or by `checkoutStep` when one shard holds both the
    /// member and the item. False on replay, where the event takes it.
    var copiesReserved = false
    /// On replay, beside `events`: where a return's or renewal's loan sits on this shard (from the
    /// coordinator's route), or `UInt32.max`; empty when not known.
    var eventLoanPositions: [UInt32] = []
    var now: Timestamp
    var policies: PolicyTable

    var isEmpty: Bool { events.isEmpty && steps.isEmpty && releases.isEmpty && holdShelfReleases.isEmpty }
}
