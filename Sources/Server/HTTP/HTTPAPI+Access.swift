import Engine
import Foundation
import Hummingbird
import LibraProtocol

extension HTTPAPI {
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

    func addAccessRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/auth/login") { request, _ in
            let body: LoginBody
            switch await decode(LoginBody.self, request) {
            case .failure(let refusal): return error(refusal)
            case .success(let decoded): body = decoded
            }
            switch await gateway.access.login(member: MemberID(body.member), password: body.password) {
            case .failure(let refusal): return error(refusal)
            case .success(let session):
                let expires = Timestamp(millisecondsSinceEpoch: Int64(session.expiresAt * 1000)).description
                return json(.ok, JSONPayloads.encode(["token": session.token, "expires_at": expires]))
            }
        }
        router.put("/api/v1/members/{id}/password") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            let principal: Principal
            switch self.principal(request) {
            case .failure(let refusal): return error(refusal)
            case .success(let found): principal = found
            }
            guard principal.role == .admin || (principal.role == .member && principal.member == MemberID(id)) else { return error(ProtocolRefusal(.forbidden)) }
            let body: PasswordBody
            switch await decode(PasswordBody.self, request) {
            case .failure(let refusal): return error(refusal)
            case .success(let decoded): body = decoded
            }
            // The member must exist: ask the engine, through the same path as any read.
            switch await gateway.serve([EngineRequest(.getMember(MemberID(id)))], principal: principal) {
            case .failure(let refusal): return error(refusal)
            case .success(let outcomes):
                if case .refused(let refusal) = outcomes[0] { return error(ErrorJSON(refusal)) }
            }
            do {
                try await gateway.access.setPassword(member: MemberID(id), password: body.password)
            } catch let refusal as ProtocolRefusal {
                return error(refusal)
            } catch {
                return self.error(ProtocolRefusal(.internalError, "\(error)"))
            }
            return Response(status: .noContent)
        }
        let tokens = router.group("/api/v1/tokens")
        tokens.post { request, _ in
            if let denied = requireAdmin(request) { return denied }
            let body: TokenBody
            switch await decode(TokenBody.self, request) {
            case .failure(let refusal): return error(refusal)
            case .success(let decoded): body = decoded
            }
            do {
                let (token, record) = try gateway.access.createToken(role: body.role, name: body.name, member: body.member.map { MemberID($0) }, rateLimit: body.rateLimit)
                return json(.created, JSONPayloads.encode(CreatedToken(token: token, record: record)))
            } catch let refusal as ProtocolRefusal {
                return error(refusal)
            } catch {
                return self.error(ProtocolRefusal(.internalError, "\(error)"))
            }
        }
        tokens.get { request, _ in
            if let denied = requireAdmin(request) { return denied }
            return json(.ok, JSONPayloads.encode(["tokens": gateway.access.tokens()]))
        }
        tokens.delete("{id}") { request, context in
            if let denied = requireAdmin(request) { return denied }
            guard let id = context.parameters.get("id") else { return badID("token") }
            do {
                guard try gateway.access.revoke(id: id) else { return error(ProtocolRefusal(.notFound, "No token has id \(id).")) }
            } catch {
                return self.error(ProtocolRefusal(.internalError, "\(error)"))
            }
            return Response(status: .noContent)
        }
    }

    struct CreatedToken: Encodable {
        var token: String
        var record: TokenRecord

        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(token, forKey: .token)
        }

        enum CodingKeys: String, CodingKey { case token }
    }

    /// Nil when the request carries an admin token; else the error answer.
    func requireAdmin(_ request: Request) -> Response? {
        switch principal(request) {
        case .failure(let refusal): return error(refusal)
        case .success(let principal):
            guard gateway.access.isValid(principal) else { return error(ProtocolRefusal(.unauthenticated)) }
            guard principal.admit(commands: 1) else { return error(ProtocolRefusal(.rateLimited)) }
            return principal.role == .admin ? nil : error(ProtocolRefusal(.forbidden))
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async -> Result<T, ProtocolRefusal> {
        do {
            let buffer = try await request.body.collect(upTo: Self.bodyBytesMax)
            return .success(try JSONPayloads.decode(Array(buffer: buffer), what: "body"))
        } catch let refusal as ProtocolRefusal {
            return .failure(refusal)
        } catch {
            return .failure(ProtocolRefusal(.malformedRequest, "The body is over \(Self.bodyBytesMax) bytes."))
        }
    }
}
