/// What a token may do. Roles are ordered by nothing: each names a set of commands.
public enum Role: UInt8, Sendable, Hashable, CaseIterable, Codable {
    /// Catalog, members, policies and tokens: everything.
    case admin = 1
    /// Desks and kiosks: checkout, return, renew, holds, blocks and fine payments for any member, and every read.
    case circulation = 2
    /// One member's own account: their record, loans and holds, renewing their own loans, placing and cancelling their own holds, the catalog.
    case member = 3
    /// Every read, no writes.
    case readOnly = 4

    public var name: String {
        switch self {
        case .admin: "admin"
        case .circulation: "circulation"
        case .member: "member"
        case .readOnly: "read_only"
        }
    }

    public init?(name: String) {
        guard let role = Role.allCases.first(where: { $0.name == name }) else { return nil }
        self = role
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let role = Role(name: name) else {
            throw Swift.DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown role '\(name)' (admin, circulation, member, read_only)"))
        }
        self = role
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
