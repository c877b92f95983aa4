/// The kind of material an item is. Loan rules are set per member tier and item type.
public enum ItemType: UInt8, CaseIterable, Sendable, Hashable, Comparable {
    case book = 1
    case media = 2
    case periodical = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String {
        switch self {
        case .book: "book"
        case .media: "media"
        case .periodical: "periodical"
        }
    }

    public init?(name: String) {
        guard let type = ItemType.allCases.first(where: { $0.name == name }) else { return nil }
        self = type
    }
}
