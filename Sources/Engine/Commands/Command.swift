/// Everything a client can ask of the engine. Reads travel the same path as writes, so a read
/// sees every command sequenced before it.
///
/// Rare commands with large payloads are `indirect`, so that the common ones stay small to copy.
public enum Command: Sendable, Hashable {
    // Catalog.
    indirect case createItem(ItemDraft)
    indirect case updateItem(ItemID, ItemChanges)
    case withdrawItem(ItemID)
    case addCopies(ItemID, count: Int32)
    case removeCopies(ItemID, count: Int32)
    // Members.
    indirect case registerMember(MemberDraft)
    indirect case updateMember(MemberID, MemberChanges)
    case suspendMember(MemberID)
    case reinstateMember(MemberID)
    /// A librarian's block on the account, with a reason.
    indirect case blockMember(MemberID, MemberBlockDraft)
    /// Lifts the block with this id.
    case unblockMember(MemberID, block: UInt64)
    // Policies.
    indirect case setPolicy(PolicyKey, Policy)
    // Circulation.
    case checkout(member: MemberID, item: ItemID)
    case returnLoan(LoanID)
    case renewLoan(LoanID)
    case payFine(MemberID, amountCents: Int64)
    /// Ends an active loan as lost: the lost-item fee is charged and the copy counts as lost.
    case declareLost(LoanID)
    /// Ends an active loan on the member's word that they returned it: no fine.
    case claimReturned(LoanID)
    /// Copies that should be on the shelf and are not.
    case markMissing(ItemID, count: Int32)
    /// A lost, missing or claimed-returned copy is back on the shelf.
    case markFound(ItemID, from: CopyState)
    /// A historical loan with its own times (admin only): migrations and seeding.
    indirect case importLoan(LoanImport)
    // Holds.
    /// Joins the item's queue for the next free copy.
    case placeHold(member: MemberID, item: ItemID)
    case cancelHold(HoldID)
    // Reads.
    case getItem(ItemID)
    case getMember(MemberID)
    /// A member's loans, active and returned, ascending by id, after the cursor.
    case memberLoans(MemberID, after: LoanID?, limit: Int32)
    /// Active loans past their due time, ascending by id, after the cursor.
    case overdueLoans(after: LoanID?, limit: Int32)
    /// Catalog items (withdrawn ones too), ascending by id, after the cursor.
    case listItems(after: ItemID?, limit: Int32)
    /// Members (suspended ones too), ascending by id, after the cursor.
    case listMembers(after: MemberID?, limit: Int32)
    /// An item's open holds in queue order (ready ones first), after the cursor.
    case itemHolds(ItemID, after: HoldID?, limit: Int32)
    /// A member's open holds, ascending by id.
    case memberHolds(MemberID)
    /// Catalog search over title, author and ISBN (Engine/Search): best first, after the cursor.
    indirect case searchCatalog(String, after: SearchCursor?, limit: Int32)
    /// Circulation figures kept up to date as commands run (see `AnalyticsQuery`).
    case analytics(AnalyticsQuery)

    public var isRead: Bool {
        switch self {
        case .getItem, .getMember, .memberLoans, .overdueLoans, .listItems, .listMembers, .itemHolds, .memberHolds, .analytics, .searchCatalog: true
        default: false
        }
    }

    /// Whether the command reads the analytics counters.
    public var isAnalytics: Bool {
        if case .analytics = self { true } else { false }
    }

    public var name: String {
        switch self {
        case .createItem: "create_item"
        case .updateItem: "update_item"
        case .withdrawItem: "withdraw_item"
        case .addCopies: "add_copies"
        case .removeCopies: "remove_copies"
        case .registerMember: "register_member"
        case .updateMember: "update_member"
        case .suspendMember: "suspend_member"
        case .reinstateMember: "reinstate_member"
        case .blockMember: "block_member"
        case .unblockMember: "unblock_member"
        case .setPolicy: "set_policy"
        case .checkout: "checkout"
        case .returnLoan: "return"
        case .renewLoan: "renew"
        case .payFine: "pay_fine"
        case .declareLost: "declare_lost"
        case .claimReturned: "claim_returned"
        case .markMissing: "mark_missing"
        case .markFound: "mark_found"
        case .importLoan: "import_loan"
        case .getItem: "get_item"
        case .getMember: "get_member"
        case .memberLoans: "member_loans"
        case .overdueLoans: "overdue_loans"
        case .listItems: "list_items"
        case .listMembers: "list_members"
        case .placeHold: "place_hold"
        case .cancelHold: "cancel_hold"
        case .itemHolds: "item_holds"
        case .memberHolds: "member_holds"
        case .analytics: "analytics"
        case .searchCatalog: "search_catalog"
        }
    }
}

/// A command as submitted: with an optional client idempotency key (mutations only; reads
/// ignore it).
public struct Request: Sendable, Hashable {
    public var command: Command
    public var idempotencyKey: String?

    public init(_ command: Command, idempotencyKey: String? = nil) {
        self.command = command
        self.idempotencyKey = idempotencyKey
    }
}

/// Who sent a run of consecutive commands of a batch (the server: a token's id, one run per
/// frame). The log records it beside the commands' events, so that the event stream doubles as
/// an audit trail. Kept beside the requests rather than in each, so that a request stays small.
public struct ActorRun: Sendable, Hashable {
    /// At most `Limits.actorBytesMax` bytes; empty: not named.
    public var actor: String
    public var count: Int

    public init(actor: String, count: Int) {
        precondition(actor.utf8.count <= Limits.actorBytesMax, "actor of \(actor.utf8.count) bytes")
        precondition(count >= 0)
        self.actor = actor
        self.count = count
    }
}
