/// Where a copy that is neither on the shelf nor out on loan can be, for `mark_found`.
public enum CopyState: UInt8, Sendable, Hashable, CaseIterable {
    case lost = 1
    case missing = 2
    case claimedReturned = 3

    public var name: String {
        switch self {
        case .lost: "lost"
        case .missing: "missing"
        case .claimedReturned: "claimed_returned"
        }
    }

    public init?(name: String) {
        guard let state = CopyState.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }
}
