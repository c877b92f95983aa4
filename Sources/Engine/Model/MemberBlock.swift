/// What a block stops a member from doing.
public struct BlockEffects: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let borrowing = BlockEffects(rawValue: 1)
    public static let renewing = BlockEffects(rawValue: 2)
    public static let holds = BlockEffects(rawValue: 4)
    public static let all: BlockEffects = [.borrowing, .renewing, .holds]

    private static let named: [(effect: BlockEffects, name: String)] = [(.borrowing, "borrowing"), (.renewing, "renewing"), (.holds, "holds")]

    public var names: [String] { Self.named.filter { contains($0.effect) }.map(\.name) }

    /// The effects these names name; nil if one names none.
    public init?(names: [String]) {
        var effects = BlockEffects()
        for name in names {
            guard let effect = Self.named.first(where: { $0.name == name })?.effect else { return nil }
            effects.insert(effect)
        }
        self = effects
    }
}

/// A block a librarian put on a member's account, with a reason, until it is lifted or expires.
/// Automatic blocks (fines, overdue loans, an expired card) are not stored: they follow from the
/// member's record and the policy at the time (docs/circulation-rules.md, "Blocks").
public struct MemberBlock: Sendable, Hashable {
    /// The sequence number of the command that placed it.
    public var id: UInt64
    public var reason: String
    public var effects: BlockEffects
    public var placedAt: Timestamp
    /// The block ends after this time; nil: until lifted.
    public var expiresAt: Timestamp?

    public init(id: UInt64, reason: String, effects: BlockEffects, placedAt: Timestamp, expiresAt: Timestamp?) {
        self.id = id
        self.reason = reason
        self.effects = effects
        self.placedAt = placedAt
        self.expiresAt = expiresAt
    }

    /// Whether the block stops `effect` at `now`.
    @inline(__always) public func stops(_ effect: BlockEffects, at now: Timestamp) -> Bool {
        effects.contains(effect) && (expiresAt.map { now <= $0 } ?? true)
    }
}

/// What a client supplies to block a member.
public struct MemberBlockDraft: Sendable, Hashable {
    public var reason: String
    public var effects: BlockEffects
    public var expiresAt: Timestamp?

    public init(reason: String, effects: BlockEffects = .all, expiresAt: Timestamp? = nil) {
        self.reason = reason
        self.effects = effects
        self.expiresAt = expiresAt
    }
}
