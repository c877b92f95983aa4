import LibraProtocol

/// `access.json` in the data directory: the server secret, the tokens (as hashes only) and the
/// members' password hashes. Small, rarely written, always replaced atomically.
struct AccessFile: Codable {
    static let name = "access.json"
    static let currentVersion = 1

    var version = AccessFile.currentVersion
    /// 32 random bytes, hex: the key that signs member session tokens.
    var secret: String
    var tokens: [TokenRecord] = []
    /// Argon2id hashes (PHC strings) by member id.
    var passwords: [String: String] = [:]
}

/// A token as stored: never the token itself, only its hash.
public struct TokenRecord: Codable, Sendable, Hashable {
    /// The first 12 hex digits of the hash: names the token in lists, logs and the event stream.
    public var id: String
    var hash: String
    public var role: Role
    public var name: String
    /// For role `member`: whose account the token opens.
    public var member: UInt64?
    /// Commands per second this token may send; nil: the server's default.
    public var rateLimit: Int?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, hash, role, name, member
        case rateLimit = "rate_limit"
        case createdAt = "created_at"
    }
}
