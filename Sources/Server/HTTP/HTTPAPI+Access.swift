import Engine
import Foundation
import Hummingbird
import LibraProtocol

extension HTTPAPI {
    var accessRoutes: [HTTPRoute] {
        [
            HTTPRoute(
                method: .post, path: "/api/v1/auth/login",
                operation: HTTPOperation(
                    id: "login", tag: .access, summary: "Log a member in with their password",
                    description: "Answers a session token for the member's own account (role member). "
                        + "\(AccessControl.Settings().loginFailuresMax) failed logins in a row lock the account for a while "
                        + "(`libra serve --login-lock-seconds`); while locked even the right password is refused ACCOUNT_LOCKED.",
                    access: .open, body: "Login", success: .json(200, "A session.", "Session"), refusals: [.loginFailed, .accountLocked])
            ) { request, _ in await login(request) },
            HTTPRoute(
                method: .put, path: "/api/v1/members/{id}/password",
                operation: HTTPOperation(
                    id: "setPassword", tag: .access, summary: "Set a member's password (stored as an Argon2id hash)",
                    description: "Clears the member's failed-login count.", access: .adminOrOwnAccount,
                    parameters: [.path("id", "The member's id.")], body: "Password", success: .empty("The password is set."),
                    refusals: [.memberNotFound, .invalidField])
            ) { request, context in await setPassword(request, context) },
            HTTPRoute(
                method: .post, path: "/api/v1/tokens",
                operation: HTTPOperation(
                    id: "createToken", tag: .access, summary: "Create an access token", access: .admin, body: "NewToken",
                    success: .json(201, "The token, shown this once.", "CreatedToken"), refusals: [.invalidField])
            ) { request, _ in await createToken(request) },
            HTTPRoute(
                method: .get, path: "/api/v1/tokens",
                operation: HTTPOperation(
                    id: "listTokens", tag: .access, summary: "List access tokens (never the tokens themselves)", access: .admin,
                    success: .json(200, "Every token.", "TokenList"))
            ) { request, _ in
                await respond {
                    try requireAdmin(request)
                    try requireNoQuery(request)
                    return json(.ok, JSONPayloads.encode(["tokens": gateway.access.tokens().map(TokenJSON.init)]))
                }
            },
            HTTPRoute(
                method: .delete, path: "/api/v1/tokens/{id}",
                operation: HTTPOperation(
                    id: "revokeToken", tag: .access, summary: "Revoke an access token",
                    description: "Connections and requests using the token are refused from now on.", access: .admin,
                    parameters: [.path("id", "The token's id (from the list).", .string(pattern: "^[0-9a-f]{12}$"))],
                    success: .empty("The token is revoked."), refusals: [.notFound])
            ) { request, context in
                await respond {
                    try requireAdmin(request)
                    try requireNoQuery(request)
                    let id = context.parameters.get("id") ?? ""
                    guard try gateway.access.revoke(id: id) else { throw ProtocolRefusal(.notFound, "No token has id '\(id)'.") }
                    return Response(status: .noContent)
                }
            },
        ]
    }

    struct LoginBody: Decodable {
        var member: UInt64
        var password: String
    }

    struct PasswordBody: Decodable {
        var password: String
    }

    struct TokenBody: Decodable {
        var role: Role
        var name: String
        var member: UInt64?
        var rateLimit: Int?

        enum CodingKeys: String, CodingKey {
            case role, name, member
            case rateLimit = "rate_limit"
        }
    }

    func login(_ request: Request) async -> Response {
        await respond {
            try requireNoQuery(request)
            let body = try await decodeBody(LoginBody.self, request, schema: OpenAPISchemas.component("Login"))
            let session = try await gateway.access.login(member: MemberID(body.member), password: body.password).get()
            let expires = Timestamp(millisecondsSinceEpoch: Int64(session.expiresAt * 1000)).description
            return json(.ok, JSONPayloads.encode(["token": session.token, "expires_at": expires]))
        }
    }

    func setPassword(_ request: Request, _ context: BasicRequestContext) async -> Response {
        await respond {
            let principal = try principal(request)
            try requireNoQuery(request)
            let id = MemberID(try pathID(context))
            guard principal.role == .admin || (principal.role == .member && principal.member == id) else {
                throw ProtocolRefusal(.forbidden, "Only an admin, or the member themselves, sets a password.")
            }
            let body = try await decodeBody(PasswordBody.self, request, schema: OpenAPISchemas.component("Password"))
            // The member must exist: asked through the gateway like any read (validity, rate limit).
            let outcomes = try await gateway.serve([EngineRequest(.getMember(id))], principal: principal).get()
            if case .refused(let refusal) = outcomes[0] { return error(ErrorJSON(refusal)) }
            try await gateway.access.setPassword(member: id, password: body.password)
            return Response(status: .noContent)
        }
    }

    func createToken(_ request: Request) async -> Response {
        await respond {
            try requireAdmin(request)
            try requireNoQuery(request)
            let body = try await decodeBody(TokenBody.self, request, schema: OpenAPISchemas.component("NewToken"))
            let (token, record) = try gateway.access.createToken(role: body.role, name: body.name, member: body.member.map { MemberID($0) }, rateLimit: body.rateLimit)
            return json(.created, JSONPayloads.encode(TokenJSON(record, token: token)))
        }
    }

    /// Passes for a valid admin token within its rate; else throws the refusal to answer.
    func requireAdmin(_ request: Request) throws(ProtocolRefusal) {
        let principal = try principal(request)
        guard gateway.access.isValid(principal) else { throw ProtocolRefusal(.unauthenticated) }
        guard principal.admit(commands: 1) else { throw ProtocolRefusal(.rateLimited) }
        guard principal.role == .admin else { throw ProtocolRefusal(.forbidden, "Only admin tokens manage tokens.") }
    }
}

/// A token as the API shows it: every field of its record but the hash, and the token itself
/// only in the answer that creates it.
struct TokenJSON: Encodable {
    var record: TokenRecord
    var token: String?

    init(_ record: TokenRecord) { self.init(record, token: nil) }

    init(_ record: TokenRecord, token: String?) {
        self.record = record
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, role, name, member, token
        case rateLimit = "rate_limit"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.role, forKey: .role)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.member, forKey: .member)  // null for roles other than member
        try container.encode(record.rateLimit, forKey: .rateLimit)  // null: the server's default
        try container.encode(record.createdAt, forKey: .createdAt)
        try container.encodeIfPresent(token, forKey: .token)
    }
}
