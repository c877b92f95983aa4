public enum HoldStatus: UInt8, Sendable, Hashable {
    /// In the item's queue, waiting for a copy.
    case waiting = 1
    /// A copy waits on the hold shelf for this member until `Hold.pickupBy`.
    case ready = 2

    public var name: String { self == .waiting ? "waiting" : "ready" }
}

/// A member's request for the next free copy of an item. Only open holds are state: a hold
/// leaves it when it is filled, cancelled or expires (the log and its events keep the history).
public struct Hold: Sendable, Hashable {
    public var id: HoldID
    public var item: ItemID
    public var member: MemberID
    public var placedAt: Timestamp
    public var status: HoldStatus
    /// The end of the last day the copy waits on the hold shelf; zero while waiting.
    public var pickupBy: Timestamp
    /// How many days a copy waits for pickup, from the member's policy when the hold was placed.
    public var pickupDays: Int32

    public init(id: HoldID, item: ItemID, member: MemberID, placedAt: Timestamp, status: HoldStatus = .waiting, pickupBy: Timestamp = .zero, pickupDays: Int32) {
        self.id = id
        self.item = item
        self.member = member
        self.placedAt = placedAt
        self.status = status
        self.pickupBy = pickupBy
        self.pickupDays = pickupDays
    }

    /// The hold with a copy set aside from `now`: it waits until the end of the day
    /// `pickupDays` after today.
    public func madeReady(at now: Timestamp) -> Hold {
        var hold = self
        hold.status = .ready
        hold.pickupBy = Timestamp.endOfDay(now.day + pickupDays)
        return hold
    }
}

/// Why a hold left the state.
public enum HoldEnd: UInt8, Sendable, Hashable {
    /// The member checked out the copy set aside for them.
    case filled = 1
    case cancelled = 2
    /// The copy waited past `pickupBy`; it passes to the next member in line.
    case expired = 3
    /// The item was withdrawn from circulation.
    case withdrawn = 4

    public var name: String {
        switch self {
        case .filled: "filled"
        case .cancelled: "cancelled"
        case .expired: "expired"
        case .withdrawn: "withdrawn"
        }
    }
}

/// A hold with its place in its item's queue: 0 when ready (a copy is set aside), else 1 for
/// the first waiting hold, 2 for the next, and so on.
public struct QueuedHold: Sendable, Hashable {
    public var hold: Hold
    public var position: Int32

    public init(hold: Hold, position: Int32) {
        self.hold = hold
        self.position = position
    }
}
