import Engine

/// The analytics replies in JSON (docs/http-api.md, "Analytics").
public struct SummaryJSON: Codable, Sendable, Hashable {
    public var items, activeItems, copies, members, activeLoans, overdueLoans, loansEver, openHolds, utilizationPermille: Int64

    public init(_ summary: CirculationSummary) {
        items = summary.items
        activeItems = summary.activeItems
        copies = summary.copies
        members = summary.members
        activeLoans = summary.activeLoans
        overdueLoans = summary.overdueLoans
        loansEver = summary.loansEver
        openHolds = summary.openHolds
        utilizationPermille = summary.utilizationPermille
    }

    enum CodingKeys: String, CodingKey {
        case items, copies, members
        case activeItems = "active_items"
        case activeLoans = "active_loans"
        case overdueLoans = "overdue_loans"
        case loansEver = "loans_ever"
        case openHolds = "open_holds"
        case utilizationPermille = "utilization_permille"
    }
}

public struct RankedJSON: Codable, Sendable, Hashable {
    public var id: UInt64
    public var count: Int64
}

public struct DayCountJSON: Codable, Sendable, Hashable {
    public var day: String
    public var count: Int64
}

public struct InventoryJSON: Codable, Sendable, Hashable {
    public var neverBorrowed: Int64
    public var neverBorrowedSample: [UInt64]
    public var allCopiesOut: Int64
    public var allCopiesOutSample: [UInt64]

    public init(_ health: InventoryHealth) {
        neverBorrowed = health.neverBorrowed
        neverBorrowedSample = health.neverBorrowedSample.map(\.rawValue)
        allCopiesOut = health.allCopiesOut
        allCopiesOutSample = health.allCopiesOutSample.map(\.rawValue)
    }

    enum CodingKeys: String, CodingKey {
        case neverBorrowed = "never_borrowed"
        case neverBorrowedSample = "never_borrowed_sample"
        case allCopiesOut = "all_copies_out"
        case allCopiesOutSample = "all_copies_out_sample"
    }
}
