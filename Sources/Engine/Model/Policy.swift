/// Loan rules for one member tier and one item type. Policies are data: `setPolicy` changes them.
public struct Policy: Sendable, Hashable {
    public var loanDays: Int32
    /// A member's active loans (of any type) must stay below this for a checkout of this type.
    public var maxLoans: Int32
    public var maxRenewals: Int32
    public var finePerDayCents: Int64
    public var maxFinePerLoanCents: Int64
    /// Borrowing, renewing and placing holds are blocked while fines owed are at or above this.
    public var blockThresholdCents: Int64
    /// A member's open holds (on items of any type) must stay below this to place one on this type.
    public var maxHolds: Int32
    /// Days a copy set aside for a hold waits on the hold shelf before it passes on.
    public var pickupDays: Int32
    /// Borrowing, renewing and placing holds are blocked while the member has this many overdue
    /// loans or more; 0: never.
    public var overdueBlockLoans: Int32
    /// Charged when a loan is declared lost.
    public var lostItemFeeCents: Int64

    public init(
        loanDays: Int32, maxLoans: Int32, maxRenewals: Int32, finePerDayCents: Int64, maxFinePerLoanCents: Int64, blockThresholdCents: Int64,
        maxHolds: Int32 = 5, pickupDays: Int32 = 7, overdueBlockLoans: Int32 = 0, lostItemFeeCents: Int64 = 2_500
    ) {
        self.lostItemFeeCents = lostItemFeeCents
        self.overdueBlockLoans = overdueBlockLoans
        self.maxHolds = maxHolds
        self.pickupDays = pickupDays
        self.loanDays = loanDays
        self.maxLoans = maxLoans
        self.maxRenewals = maxRenewals
        self.finePerDayCents = finePerDayCents
        self.maxFinePerLoanCents = maxFinePerLoanCents
        self.blockThresholdCents = blockThresholdCents
    }

    public static let standard = Policy(loanDays: 14, maxLoans: 5, maxRenewals: 2, finePerDayCents: 25, maxFinePerLoanCents: 1_000, blockThresholdCents: 500)
    public static let premium = Policy(
        loanDays: 28, maxLoans: 10, maxRenewals: 3, finePerDayCents: 25, maxFinePerLoanCents: 1_000, blockThresholdCents: 500, maxHolds: 10, pickupDays: 7)
}

public struct PolicyKey: Sendable, Hashable, Comparable {
    public var tier: String
    public var itemType: ItemType

    public init(tier: String, itemType: ItemType) {
        self.tier = tier
        self.itemType = itemType
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.tier, lhs.itemType.rawValue) < (rhs.tier, rhs.itemType.rawValue)
    }
}

/// All policies in force. A tier exists when it has at least one policy.
///
/// Libraries have a handful of tiers, so policies are kept per tier in a short array that a
/// checkout scans by string equality: cheaper than hashing the tier name on every checkout.
public struct PolicyTable: Sendable, Hashable {
    private struct TierPolicies: Sendable, Hashable {
        var tier: String
        /// By `ItemType.rawValue`.
        var byType: [Policy?]
    }

    private var tiers: [TierPolicies] = []

    public init() {}

    public init(policies: [PolicyKey: Policy]) {
        for (key, policy) in policies { set(key, policy) }
    }

    /// Tiers `standard` and `premium` for every item type.
    public static var defaults: PolicyTable {
        var table = PolicyTable()
        for type in ItemType.allCases {
            table.set(PolicyKey(tier: "standard", itemType: type), .standard)
            table.set(PolicyKey(tier: "premium", itemType: type), .premium)
        }
        return table
    }

    @inline(__always) public func policy(tier: String, itemType: ItemType) -> Policy? {
        for entry in tiers where entry.tier == tier { return entry.byType[Int(itemType.rawValue)] }
        return nil
    }

    public func hasTier(_ tier: String) -> Bool { tiers.contains { $0.tier == tier } }

    public mutating func set(_ key: PolicyKey, _ policy: Policy) {
        let slots = Int(ItemType.allCases.map(\.rawValue).max()!) + 1
        if let index = tiers.firstIndex(where: { $0.tier == key.tier }) {
            tiers[index].byType[Int(key.itemType.rawValue)] = policy
        } else {
            var byType = [Policy?](repeating: nil, count: slots)
            byType[Int(key.itemType.rawValue)] = policy
            tiers.append(TierPolicies(tier: key.tier, byType: byType))
            tiers.sort { $0.tier < $1.tier }
        }
    }

    /// Policies in canonical order (tier, then item type), for digests and snapshots.
    public var sorted: [(key: PolicyKey, value: Policy)] {
        tiers.flatMap { entry in
            ItemType.allCases.sorted().compactMap { type in
                entry.byType[Int(type.rawValue)].map { (key: PolicyKey(tier: entry.tier, itemType: type), value: $0) }
            }
        }
    }

    /// Every policy, keyed.
    public var policies: [PolicyKey: Policy] { Dictionary(uniqueKeysWithValues: sorted.map { ($0.key, $0.value) }) }

    public var count: Int { tiers.reduce(0) { $0 + $1.byType.compactMap { $0 }.count } }
}
