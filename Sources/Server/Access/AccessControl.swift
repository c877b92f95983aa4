import Engine
import Foundation
import LibraProtocol
import NIOConcurrencyHelpers
import WAL

/// Tokens, roles, member passwords, login lockout and rate limits. State lives in
/// `access.json` in the data directory (see `AccessFile`); lockout counters live in memory.
public final class AccessControl: Sendable {
    public struct Settings: Sendable {
        /// Commands per second per token unless the token says otherwise; 0: no limit.
        public var rateLimitDefault: Int
        /// Failed logins in a row that lock an account.
        public var loginFailuresMax: Int
        public var lockSeconds: Double
        public var sessionSeconds: Double

        public init(rateLimitDefault: Int = 0, loginFailuresMax: Int = 5, lockSeconds: Double = 900, sessionSeconds: Double = 43_200) {
            self.rateLimitDefault = rateLimitDefault
            self.loginFailuresMax = loginFailuresMax
            self.lockSeconds = lockSeconds
            self.sessionSeconds = sessionSeconds
        }
    }

    struct State {
        var file: AccessFile
        var byHash: [String: TokenRecord]
        var limiters: [String: RateLimiter]
        var failures: [UInt64: (count: Int, lockedUntil: Double)]
    }

    public static let passwordBytesMin = 8

    private let path: String
    private let settings: Settings
    private let secret: [UInt8]
    private let state: NIOLockedValueBox<State>

    /// Loads `access.json`, or creates it with a first admin token. The token is returned only
    /// when it was created here, so the caller prints it once. `adminToken` (from the
    /// environment) is registered as an admin token if it is not yet known.
    public static func open(directory: String, settings: Settings, adminToken: String?) throws -> (AccessControl, createdAdminToken: String?) {
        let path = directory + "/" + AccessFile.name
        var file: AccessFile
        var created: String?
        if let bytes = AtomicFile.read(path) {
            do {
                file = try JSONDecoder().decode(AccessFile.self, from: Data(bytes))
            } catch {
                throw AccessError("\(path) is unreadable (\(error)); restore it from a backup, or move it away to start with a new admin token")
            }
            guard file.version == AccessFile.currentVersion else { throw AccessError("\(path) has version \(file.version); this server reads version \(AccessFile.currentVersion)") }
        } else {
            file = AccessFile(secret: Sodium.randomBytes(32).hex)
            if adminToken == nil {
                let token = Self.newToken()
                file.tokens.append(Self.record(token: token, role: .admin, name: "first admin", member: nil, rateLimit: nil))
                created = token
            }
        }
        if let adminToken {
            guard (16...ProtocolLimits.tokenBytesMax).contains(adminToken.utf8.count) else { throw AccessError("LIBRA_ADMIN_TOKEN must be 16 to \(ProtocolLimits.tokenBytesMax) bytes long") }
            let hash = Sodium.hash(Array(adminToken.utf8)).hex
            if !file.tokens.contains(where: { $0.hash == hash }) {
                file.tokens.append(Self.record(token: adminToken, role: .admin, name: "LIBRA_ADMIN_TOKEN", member: nil, rateLimit: nil))
            }
        }
        guard let secret = [UInt8](hex: file.secret), secret.count == 32 else { throw AccessError("\(path) has a malformed secret") }
        let access = AccessControl(path: path, settings: settings, secret: secret, file: file)
        try access.save(file)
        return (access, created)
    }

    private init(path: String, settings: Settings, secret: [UInt8], file: AccessFile) {
        self.path = path
        self.settings = settings
        self.secret = secret
        state = NIOLockedValueBox(State(file: file, byHash: Dictionary(file.tokens.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first }), limiters: [:], failures: [:]))
    }

    static func newToken() -> String { "lbr_" + Sodium.randomBytes(24).hex }

    static func record(token: String, role: Role, name: String, member: MemberID?, rateLimit: Int?) -> TokenRecord {
        let hash = Sodium.hash(Array(token.utf8)).hex
        return TokenRecord(
            id: String(hash.prefix(12)), hash: hash, role: role, name: name, member: member?.rawValue, rateLimit: rateLimit,
            createdAt: Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).description)
    }

    private func save(_ file: AccessFile) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(file)), to: path)
    }

    // MARK: Authentication

    /// The principal a token stands for, or nil.
    public func authenticate(token: String) -> Principal? {
        guard token.utf8.count <= ProtocolLimits.tokenBytesMax else { return nil }
        if token.hasPrefix("lbm_") { return session(token) }
        let hash = Sodium.hash(Array(token.utf8)).hex
        return state.withLockedValue { state in
            guard let record = state.byHash[hash] else { return nil }
            let rate = record.rateLimit ?? settings.rateLimitDefault
            var limiter: RateLimiter?
            if rate > 0 {
                limiter = state.limiters[record.id] ?? RateLimiter(commandsPerSecond: rate)
                state.limiters[record.id] = limiter
            }
            return Principal(tokenID: record.id, role: record.role, member: record.member.map { MemberID($0) }, limiter: limiter, expiresAt: nil)
        }
    }

    /// Whether a principal authenticated earlier still holds: its token not revoked, its session
    /// not expired. Checked on every frame of a long-lived connection.
    public func isValid(_ principal: Principal) -> Bool {
        if let expiresAt = principal.expiresAt { return Date().timeIntervalSince1970 < expiresAt }
        return state.withLockedValue { state in state.file.tokens.contains { $0.id == principal.tokenID } }
    }

    /// `lbm_<member>_<expiry unix seconds>_<mac>`: signed with the server secret, so sessions need no storage.
    private func session(_ token: String) -> Principal? {
        let parts = token.split(separator: "_")
        guard parts.count == 4, let member = UInt64(parts[1]), let expiry = Double(parts[2]), let tag = [UInt8](hex: String(parts[3])) else { return nil }
        let message = Array("lbm_\(parts[1])_\(parts[2])".utf8)
        guard Sodium.verify(tag, message, key: secret), Date().timeIntervalSince1970 < expiry else { return nil }
        let tokenID = "member-\(member)"
        // One bucket per member, shared by all their sessions and requests.
        let limiter: RateLimiter? = settings.rateLimitDefault > 0
            ? state.withLockedValue { state in
                let limiter = state.limiters[tokenID] ?? RateLimiter(commandsPerSecond: settings.rateLimitDefault)
                state.limiters[tokenID] = limiter
                return limiter
            } : nil
        return Principal(tokenID: tokenID, role: .member, member: MemberID(member), limiter: limiter, expiresAt: expiry)
    }

    // MARK: Tokens

    /// Creates a token; the token itself is returned once and never stored.
    public func createToken(role: Role, name: String, member: MemberID?, rateLimit: Int?) throws -> (token: String, record: TokenRecord) {
        guard (1...128).contains(name.utf8.count) else { throw ProtocolRefusal(.invalidField, "A token's name is 1 to 128 bytes.", field: .name) }
        guard (role == .member) == (member != nil) else { throw ProtocolRefusal(.malformedRequest, "A member token names its member; other roles name none.") }
        if let rateLimit, rateLimit < 1 { throw ProtocolRefusal(.malformedRequest, "rate_limit is at least 1 command per second.") }
        let token = Self.newToken()
        let record = Self.record(token: token, role: role, name: name, member: member, rateLimit: rateLimit)
        try state.withLockedValue { state in
            var file = state.file
            file.tokens.append(record)
            try save(file)
            state.file = file
            state.byHash[record.hash] = record
        }
        return (token, record)
    }

    public func tokens() -> [TokenRecord] { state.withLockedValue { $0.file.tokens } }

    /// Revokes a token by id; false if no token has it.
    public func revoke(id: String) throws -> Bool {
        try state.withLockedValue { state in
            guard let record = state.file.tokens.first(where: { $0.id == id }) else { return false }
            var file = state.file
            file.tokens.removeAll { $0.id == id }
            try save(file)
            state.file = file
            state.byHash[record.hash] = nil
            state.limiters[record.id] = nil
            return true
        }
    }

    // MARK: Passwords

    public func setPassword(member: MemberID, password: String) async throws {
        guard (Self.passwordBytesMin...ProtocolLimits.passwordBytesMax).contains(password.utf8.count) else {
            throw ProtocolRefusal(.invalidField, "A password is \(Self.passwordBytesMin) to \(ProtocolLimits.passwordBytesMax) bytes.", field: nil)
        }
        guard let hash = await offCooperativePool({ Sodium.hashPassword(password) }) else { throw ProtocolRefusal(.internalError, "Argon2id hashing failed.") }
        try state.withLockedValue { state in
            var file = state.file
            file.passwords[String(member.rawValue)] = hash
            try save(file)
            state.file = file
            state.failures[member.rawValue] = nil
        }
    }

    /// Checks a member's password and returns a session token. Five failures in a row lock the
    /// account for `lockSeconds`; while locked even the right password is refused.
    public func login(member: MemberID, password: String) async -> Result<(token: String, expiresAt: Double), ProtocolRefusal> {
        let now = Date().timeIntervalSince1970
        let (hash, locked) = state.withLockedValue { state -> (String?, Bool) in
            let failure = state.failures[member.rawValue]
            return (state.file.passwords[String(member.rawValue)], (failure?.lockedUntil ?? 0) > now)
        }
        if locked { return .failure(ProtocolRefusal(.accountLocked)) }
        let matches: Bool
        if let hash, password.utf8.count <= ProtocolLimits.passwordBytesMax {
            matches = await offCooperativePool { Sodium.verifyPassword(password, hash: hash) }
        } else {
            matches = false
        }
        guard matches else {
            let lockedNow = state.withLockedValue { state -> Bool in
                var failure = state.failures[member.rawValue] ?? (0, 0)
                failure.count += 1
                if failure.count >= settings.loginFailuresMax {
                    failure = (0, now + settings.lockSeconds)
                }
                state.failures[member.rawValue] = failure
                return failure.lockedUntil > now
            }
            return .failure(ProtocolRefusal(lockedNow ? .accountLocked : .loginFailed))
        }
        state.withLockedValue { $0.failures[member.rawValue] = nil }
        let expiry = Int64(now + settings.sessionSeconds)
        let message = "lbm_\(member.rawValue)_\(expiry)"
        let tag = Sodium.authenticate(Array(message.utf8), key: secret)
        return .success((message + "_" + tag.hex, Double(expiry)))
    }
}

public struct AccessError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
