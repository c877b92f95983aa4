/// Loan rules for one member tier and one item type. Policies are data: `setPolicy` changes them.
public struct Policy: Sendable, Hashable {
    public var loanDays: Int32
    /// A member's active loans (of any type) must stay below this for a checkout of this type.
    public var maxLoans: Int32
    public var maxRenewals: Int32
    public var finePerDayCents: Int64
    public var maxFinePerLoanCents: Int64
    /// Borrowing and renewing are blocked while fines owed are at or above this.
    public var blockThresholdCents: Int64

    public init(loanDays: Int32, maxLoans: Int32, maxRenewals: Int32, finePerDayCents: Int64, maxFinePerLoanCents: Int64, blockThresholdCents: Int64) {
        self.loanDays = loanDays
        self.maxLoans = maxLoans
        self.maxRenewals = maxRenewals
        self.finePerDayCents = finePerDayCents
        self.maxFinePerLoanCents = maxFinePerLoanCents
        self.blockThresholdCents = blockThresholdCents
    }

    public static let standard = Policy(loanDays: 14, maxLoans: 5, maxRenewals: 2, finePerDayCents: 25, maxFinePerLoanCents: 1_000, blockThresholdCents: 500)
    public static let premium = Policy(loanDays: 28, maxLoans: 10, maxRenewals: 3, finePerDayCents: 25, maxFinePerLoanCents: 1_000, blockThresholdCents: 500)
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
public struct PolicyTable: Sendable, Hashable {
    public private(set) var policies: [PolicyKey: Policy]

    public init(policies: [PolicyKey: Policy] = [:]) { self.policies = policies }

    /// Tiers `standard` and `premium` for every item type.
    public static var defaults: PolicyTable {
        var table = PolicyTable()
        for type in ItemType.allCases {
            table.set(PolicyKey(tier: "standard", itemType: type), .standard)
            table.set(PolicyKey(tier: "premium", itemType: type), .premium)
        }
        return table
    }

    public func policy(tier: String, itemType: ItemType) -> Policy? {
        policies[PolicyKey(tier: tier, itemType: itemType)]
    }

    public func hasTier(_ tier: String) -> Bool {
        ItemType.allCases.contains { policies[PolicyKey(tier: tier, itemType: $0)] != nil }
    }

    public mutating func set(_ key: PolicyKey, _ policy: Policy) { policies[key] = policy }

    /// Policies in canonical order, for digests and snapshots.
    public var sorted: [(key: PolicyKey, value: Policy)] { policies.sorted { $0.key < $1.key } }
}
