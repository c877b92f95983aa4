import Engine
import Foundation
import LibraProtocol

/// The OpenAPI 3.1 description served at /openapi.json, rendered from the route table: paths,
/// parameters, bodies, answers, roles and every error an operation can answer.
enum OpenAPIDocument {
    static let path = "/openapi.json"

    static func render(_ routes: [HTTPRoute]) -> [UInt8] {
        var paths: [(String, [(String, JSONValue)])] = []
        for route in routes {
            let entry = (route.method.rawValue.lowercased(), operation(route.operation))
            if let index = paths.firstIndex(where: { $0.0 == route.path }) { paths[index].1.append(entry) } else { paths.append((route.path, [entry])) }
        }
        let document: JSONValue = .object([
            ("openapi", "3.1.0"),
            ("info", .object([("title", "Libra HTTP API"), ("version", .string(LibraServer.version)), ("description", .string(introduction))])),
            ("tags", .array(HTTPOperation.Tag.allCases.map { .object([("name", .string($0.rawValue)), ("description", .string(describe($0)))]) })),
            ("security", .array([.object([("bearer", .array([]))])])),
            ("paths", .object(paths.map { ($0.0, .object($0.1)) })),
            (
                "components",
                .object([
                    (
                        "securitySchemes",
                        .object([
                            (
                                "bearer",
                                .object([
                                    ("type", "http"), ("scheme", "bearer"),
                                    ("description", "An access token (lbr_..., from POST /api/v1/tokens or printed at first start) or a member session (lbm_..., from POST /api/v1/auth/login)."),
                                ])
                            )
                        ])
                    ),
                    ("schemas", .object(OpenAPISchemas.all.map { ($0.0, $0.1.json) })),
                ])
            ),
        ])
        return document.bytes
    }

    /// "METHOD /path" for every operation of a rendered document.
    static func operations(_ document: [UInt8]) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(document)) as? [String: Any], let paths = object["paths"] as? [String: [String: Any]] else {
            return []
        }
        return paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } }
    }

    static let introduction = """
        REST/JSON over the same engine, roles, rate limits, error codes and durability as the binary protocol: every answer leaves \
        only once the log holds what it depends on. Authenticate with 'Authorization: Bearer <token>'. Lists are pages ascending by \
        id: pass a page's `next` as `after` to get the following one; `next` is null on the last page. Mutations accept an \
        Idempotency-Key header. Every error is {"error": {"code", "name", "message", "field"?}} with the status of its code. \
        Request bodies may name only the fields their schema lists. An unknown path answers 404 NOT_FOUND; a known path under \
        another method answers 405 NOT_FOUND with an Allow header.
        """

    static func describe(_ tag: HTTPOperation.Tag) -> String {
        switch tag {
        case .catalog: "Items, their copies, and loan policies."
        case .members: "Members, their loans and fines."
        case .circulation: "Checkouts, returns, renewals, holds, lost and claimed copies, and overdue loans."
        case .analytics: "Circulation figures kept up to date as commands run: none scans the loans."
        case .events: "The event stream: every committed change, in log order, with the token that made it (Server-Sent Events)."
        case .access: "Tokens, member passwords and logins."
        case .operations: "Health, metrics and this document."
        }
    }

    static func operation(_ operation: HTTPOperation) -> JSONValue {
        let roles = roles(operation.access)
        var description = operation.description.map { $0 + " " } ?? ""
        description += roles.isEmpty ? "No token needed." : "Roles: \(roles.joined(separator: ", "))."
        var fields: [(String, JSONValue)] = [
            ("operationId", .string(operation.id)), ("tags", .array([.string(operation.tag.rawValue)])), ("summary", .string(operation.summary)),
            ("description", .string(description)), ("x-roles", .array(roles.map(JSONValue.string))),
        ]
        if case .open = operation.access { fields.append(("security", .array([]))) }
        let parameters = operation.parameters + (operation.isIdempotent ? [.idempotencyKey] : [])
        if !parameters.isEmpty {
            fields.append(
                (
                    "parameters",
                    .array(
                        parameters.map { parameter in
                            .object([
                                ("name", .string(parameter.name)), ("in", .string(parameter.location.rawValue)), ("required", .bool(parameter.required)),
                                ("description", .string(parameter.description)), ("schema", parameter.schema.json),
                            ])
                        })
                ))
        }
        if let name = operation.body, let schema = operation.bodySchema {
            fields.append(
                (
                    "requestBody",
                    .object([
                        ("required", .bool(!schema.required.isEmpty)),
                        ("content", .object([("application/json", .object([("schema", Schema.ref(name).json)]))])),
                    ])
                ))
        }
        fields.append(("responses", .object(responses(operation))))
        return .object(fields)
    }

    static func responses(_ operation: HTTPOperation) -> [(String, JSONValue)] {
        var answers: [(String, JSONValue)] = ([operation.success] + operation.alternatives).map { success in
            var fields: [(String, JSONValue)] = [("description", .string(success.description))]
            if success.location {
                fields.append(("headers", .object([("Location", .object([("description", "The path of the new record."), ("schema", Schema.string().json)]))])))
            }
            if let schema = success.schema { fields.append(("content", .object([(success.contentType, .object([("schema", schema.json)]))]))) }
            return (String(success.status), .object(fields))
        }
        let byStatus = Dictionary(grouping: errorCodes(operation), by: \.httpStatus)
        for status in byStatus.keys.sorted() {
            let codes = byStatus[status]!.sorted { $0.rawValue < $1.rawValue }
            var fields: [(String, JSONValue)] = [
                ("description", .string(codes.map { "\($0.name) (\($0.rawValue)): \($0.message)" }.joined(separator: "\n"))),
                ("x-error-codes", .array(codes.map { .string($0.name) })),
            ]
            let header: String? = status == 401 ? "WWW-Authenticate" : status == 429 || status == 503 ? "Retry-After" : nil
            if let header { fields.append(("headers", .object([(header, .object([("schema", Schema.string().json)]))]))) }
            fields.append(("content", .object([("application/json", .object([("schema", Schema.ref("ErrorEnvelope").json)]))])))
            answers.append((String(status), .object(fields)))
        }
        return answers
    }

    /// Every error an operation can answer: its own refusals and those of its kind of route.
    static func errorCodes(_ operation: HTTPOperation) -> [ErrorCode] {
        // Every route refuses a query string it does not take, and any route may fail.
        var codes: Set<ErrorCode> = Set(operation.refusals).union([.malformedRequest, .internalError])
        if operation.body != nil { codes.insert(.frameTooLarge) }
        switch operation.access {
        case .open: break
        case .admin, .adminOrOwnAccount: codes.formUnion([.unauthenticated, .rateLimited, .forbidden])
        case .staff: codes.formUnion([.unauthenticated, .forbidden, .shuttingDown])
        case .command(let command):
            codes.formUnion([.unauthenticated, .rateLimited, .shuttingDown])
            if roles(operation.access).count < Role.allCases.count || roles(operation.access).contains(where: { $0.contains("(") }) { codes.insert(.forbidden) }
            if !command.isRead { codes.formUnion([.storageFull, .invalidField, .idempotencyKeyReused]) }
        }
        if case .adminOrOwnAccount = operation.access { codes.insert(.shuttingDown) }
        return codes.sorted { $0.rawValue < $1.rawValue }
    }

    /// The roles that may call an operation, as the gateway decides them.
    static func roles(_ access: HTTPOperation.Access) -> [String] {
        switch access {
        case .open: return []
        case .admin: return [Role.admin.name]
        case .adminOrOwnAccount: return [Role.admin.name, "\(Role.member.name) (own account only)"]
        case .staff: return Role.allCases.filter { $0 != .member }.map(\.name)
        case .command(let command):
            return Role.allCases.compactMap { role in
                // The sample command names member 1 and loan 1: a member token for member 1 owns them, one for member 2 does not.
                let owner = Principal(tokenID: "", role: role, member: 1, limiter: nil, expiresAt: nil)
                let stranger = Principal(tokenID: "", role: role, member: 2, limiter: nil, expiresAt: nil)
                switch (owner.permission(for: command), stranger.permission(for: command)) {
                case (.allowed, .allowed): return role.name
                case (.allowed, _): return "\(role.name) (own account only)"
                case (.ownLoan, _): return "\(role.name) (own loans only)"
                case (.ownHold, _): return "\(role.name) (own holds only)"
                default: return nil
                }
            }
        }
    }
}
