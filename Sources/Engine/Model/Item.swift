public enum ItemStatus: UInt8, Sendable, Hashable {
    case active = 1
    case withdrawn = 2

    public var name: String { self == .active ? "active" : "withdrawn" }
}

/// A catalog record and its copies. Copies are interchangeable: the item counts them.
public struct Item: Sendable, Hashable {
    // Fields that circulation reads come first, so that a checkout touches one cache line.
    public var id: ItemID
    public var type: ItemType
    public var status: ItemStatus
    public var totalCopies: Int32
    /// Copies on the shelf, free for anyone.
    public var availableCopies: Int32
    /// Copies on the hold shelf, each set aside for the member of a ready hold. The rest,
    /// `totalCopies - availableCopies - awaitingPickup - lostCopies - missingCopies -
    /// claimedReturnedCopies`, are out on loan.
    public var awaitingPickup: Int32
    /// Copies declared lost with their loan.
    public var lostCopies: Int32
    /// Copies that should be on the shelf and are not.
    public var missingCopies: Int32
    /// Copies whose borrower says they returned them, not found since.
    public var claimedReturnedCopies: Int32

    /// Copies out on loan.
    public var copiesOnLoan: Int32 { totalCopies - availableCopies - awaitingPickup - lostCopies - missingCopies - claimedReturnedCopies }
    public var year: Int32
    public var isbn: String
    public var title: String
    public var author: String
    public var publisher: String

    public init(
        id: ItemID, isbn: String, title: String, author: String, publisher: String, year: Int32,
        type: ItemType, status: ItemStatus, totalCopies: Int32, availableCopies: Int32, awaitingPickup: Int32 = 0, lostCopies: Int32 = 0,
        missingCopies: Int32 = 0, claimedReturnedCopies: Int32 = 0
    ) {
        self.awaitingPickup = awaitingPickup
        self.lostCopies = lostCopies
        self.missingCopies = missingCopies
        self.claimedReturnedCopies = claimedReturnedCopies
        self.id = id
        self.isbn = isbn
        self.title = title
        self.author = author
        self.publisher = publisher
        self.year = year
        self.type = type
        self.status = status
        self.totalCopies = totalCopies
        self.availableCopies = availableCopies
    }
}

/// What a client supplies to create an item.
public struct ItemDraft: Sendable, Hashable {
    public var isbn: String
    public var title: String
    public var author: String
    public var publisher: String
    public var year: Int32
    public var type: ItemType
    public var copies: Int32

    public init(isbn: String, title: String, author: String, publisher: String, year: Int32, type: ItemType, copies: Int32) {
        self.isbn = isbn
        self.title = title
        self.author = author
        self.publisher = publisher
        self.year = year
        self.type = type
        self.copies = copies
    }
}

/// Descriptive fields to change on an item; nil leaves a field as it is.
public struct ItemChanges: Sendable, Hashable {
    public var isbn: String?
    public var title: String?
    public var author: String?
    public var publisher: String?
    public var year: Int32?
    public var type: ItemType?

    public init(isbn: String? = nil, title: String? = nil, author: String? = nil, publisher: String? = nil, year: Int32? = nil, type: ItemType? = nil) {
        self.isbn = isbn
        self.title = title
        self.author = author
        self.publisher = publisher
        self.year = year
        self.type = type
    }
}
