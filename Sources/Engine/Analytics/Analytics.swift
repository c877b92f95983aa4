/// What the analytics command can ask. Every answer comes from counters kept up to date with
/// each event (see `CirculationStatistics`, `StatisticsKeeper`), so none scans loans.
public enum AnalyticsQuery: Sendable, Hashable {
    case summary
    /// The most borrowed items (checkouts and imported loans), most first, ties by id.
    case topItems(limit: Int32)
    /// The members with the most loans, most first, ties by id.
    case topMembers(limit: Int32)
    /// Checkouts (and imported loans) per day, `fromDay` through `toDay` (days since 1970-01-01).
    case dailyCheckouts(fromDay: Int32, toDay: Int32)
    /// Items never borrowed and items with every copy out, with the first `limit` ids of each.
    case inventory(limit: Int32)
}

public struct CirculationSummary: Sendable, Hashable {
    /// Catalog records, withdrawn ones included, and those still circulating.
    public var items: Int64
    public var activeItems: Int64
    /// Copies of circulating items.
    public var copies: Int64
    public var members: Int64
    public var activeLoans: Int64
    /// Active loans whose due day is before the batch's day.
    public var overdueLoans: Int64
    /// Every loan ever made (checkouts and imports).
    public var loansEver: Int64
    public var openHolds: Int64
    /// Active loans per thousand copies.
    public var utilizationPermille: Int64

    public init(
        items: Int64, activeItems: Int64, copies: Int64, members: Int64, activeLoans: Int64, overdueLoans: Int64, loansEver: Int64, openHolds: Int64,
        utilizationPermille: Int64
    ) {
        self.items = items
        self.activeItems = activeItems
        self.copies = copies
        self.members = members
        self.activeLoans = activeLoans
        self.overdueLoans = overdueLoans
        self.loansEver = loansEver
        self.openHolds = openHolds
        self.utilizationPermille = utilizationPermille
    }
}

/// An id (item or member, as the query says) with its count.
public struct RankedCount: Sendable, Hashable {
    public var id: UInt64
    public var count: Int64

    public init(id: UInt64, count: Int64) {
        self.id = id
        self.count = count
    }
}

public struct DayCount: Sendable, Hashable {
    public var day: Int32
    public var count: Int64

    public init(day: Int32, count: Int64) {
        self.day = day
        self.count = count
    }
}

public struct InventoryHealth: Sendable, Hashable {
    /// Items (withdrawn ones excluded) that were never borrowed, and the first of them by id.
    public var neverBorrowed: Int64
    public var neverBorrowedSample: [ItemID]
    /// Circulating items with at least one copy, every copy out on loan.
    public var allCopiesOut: Int64
    public var allCopiesOutSample: [ItemID]

    public init(neverBorrowed: Int64, neverBorrowedSample: [ItemID], allCopiesOut: Int64, allCopiesOutSample: [ItemID]) {
        self.neverBorrowed = neverBorrowed
        self.neverBorrowedSample = neverBorrowedSample
        self.allCopiesOut = allCopiesOut
        self.allCopiesOutSample = allCopiesOutSample
    }
}

public enum AnalyticsLimits {
    public static let rankingMax: Int32 = 100
    public static let daysMax: Int32 = 366
    public static let sampleMax: Int32 = 1000
}
