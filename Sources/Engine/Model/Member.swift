public enum MemberStatus: UInt8, Sendable, Hashable {
    case active = 1
    case suspended = 2

    public var name: String { self == .active ? "active" : "suspended" }
}

/// A member's active loan, with the item it holds and when it is due, so that duplicate and
/// overdue checks need no lookup.
public struct ActiveLoan: Sendable, Hashable {
    public var loan: LoanID
    public var item: ItemID
    public var dueAt: Timestamp

    public init(loan: LoanID, item: ItemID, dueAt: Timestamp) {
        self.loan = loan
        self.item = item
        self.dueAt = dueAt
    }
}

/// A library member (patron). `tier` names the patron group whose policies apply.
public struct Member: Sendable, Hashable {
    // Fields that circulation reads come first, so that a checkout touches one cache line.
    public var id: MemberID
    public var status: MemberStatus
    /// The last day (days since 1970-01-01, UTC) on which the card is valid.
    public var cardExpiryDay: Int32
    public var finesOwedCents: Int64
    /// Active loans in checkout order (ascending loan id).
    public var activeLoans: [ActiveLoan]
    /// Blocks a librarian placed, ascending by id (expired ones stay until lifted).
    public var blocks: [MemberBlock]
    public var tier: String
    /// Stored normalized (lowercased); unique across members.
    public var email: String
    public var name: String

    public init(
        id: MemberID, email: String, name: String, tier: String, status: MemberStatus, cardExpiryDay: Int32,
        finesOwedCents: Int64, activeLoans: [ActiveLoan], blocks: [MemberBlock] = []
    ) {
        self.blocks = blocks
        self.id = id
        self.email = email
        self.name = name
        self.tier = tier
        self.status = status
        self.cardExpiryDay = cardExpiryDay
        self.finesOwedCents = finesOwedCents
        self.activeLoans = activeLoans
    }
}

/// What a client supplies to register a member.
public struct MemberDraft: Sendable, Hashable {
    public var email: String
    public var name: String
    public var tier: String
    public var cardExpiryDay: Int32

    public init(email: String, name: String, tier: String, cardExpiryDay: Int32) {
        self.email = email
        self.name = name
        self.tier = tier
        self.cardExpiryDay = cardExpiryDay
    }
}

/// Profile fields to change on a member; nil leaves a field as it is.
public struct MemberChanges: Sendable, Hashable {
    public var email: String?
    public var name: String?
    public var tier: String?
    public var cardExpiryDay: Int32?

    public init(email: String? = nil, name: String? = nil, tier: String? = nil, cardExpiryDay: Int32? = nil) {
        self.email = email
        self.name = name
        self.tier = tier
        self.cardExpiryDay = cardExpiryDay
    }
}

extension Member {
    /// Ends an active loan. A loan id is listed at most once, so the first match is the only
    /// one; removing it in place keeps the others' order (the generic `removeAll(where:)`
    /// partitions the whole list, and showed in profiles of the return path). The few entries
    /// after it move down one by one: `remove(at:)` calls `memmove`, whose start-up costs more
    /// than moving a handful of 24-byte entries.
    mutating func removeActiveLoan(_ id: LoanID) {
        guard let index = activeLoans.firstIndex(where: { $0.loan == id }) else { return }
        activeLoans.withUnsafeMutableBufferPointer { entries in
            var next = index + 1
            while next < entries.count {
                entries[next - 1] = entries[next]
                next += 1
            }
        }
        activeLoans.removeLast()
    }
}
