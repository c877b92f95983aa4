import Engine
import Foundation
import Hummingbird
import LibraProtocol

/// The two shapes most routes share: a mutation built from the JSON body and the path, and a
/// read built from the path and the query. Both run one engine command through the gateway.
extension HTTPAPI {
    typealias PathFields = @Sendable (BasicRequestContext) throws(ProtocolRefusal) -> [String: any Sendable]

    /// `{id}` of the path as the command's field `name`.
    static func idField(_ name: String) -> PathFields {
        { context throws(ProtocolRefusal) in
            guard let text = context.parameters.get("id"), let id = UInt64(text), id > 0 else {
                throw ProtocolRefusal(.malformedRequest, "The id in the path must be a positive integer.")
            }
            return [name: id]
        }
    }

    /// A route that runs the mutation `op`: its fields come from the JSON body (only those the
    /// operation's schema names), from the path, and the Idempotency-Key header.
    func command(
        _ method: HTTPRequest.Method, _ path: String, op: String, status: HTTPResponse.Status = .ok, pathFields: PathFields? = nil,
        _ operation: HTTPOperation
    ) -> HTTPRoute {
        HTTPRoute(method: method, path: path, operation: operation) { request, context in
            await respond {
                let principal = try principal(request)
                try requireNoQuery(request)
                var object: [String: Any] = [:]
                if let pathFields { for (key, value) in try pathFields(context) { object[key] = value } }
                for (key, value) in try await bodyObject(request, schema: operation.bodySchema) { object[key] = value }
                object["op"] = op
                if let key = request.headers[.init("Idempotency-Key")!] { object["idempotency_key"] = key }
                let decoded: RequestJSON = try JSONPayloads.decode(Array(try JSONSerialization.data(withJSONObject: object)), what: "body")
                return try await execute(decoded.request, as: principal, status: status)
            }
        }
    }

    /// A GET route that runs the read `make(id, page)`; `id` is the path's `{id}` (0 when the
    /// path has none), `page` the query's cursor and limit (refused on routes without paging).
    func read(_ path: String, _ operation: HTTPOperation, _ make: @escaping @Sendable (_ id: UInt64, _ page: (after: UInt64?, limit: Int32)) -> Command) -> HTTPRoute {
        let takesID = path.contains("{id}")
        let paged = operation.parameters.contains { $0.name == "after" }
        return HTTPRoute(method: .get, path: path, operation: operation) { request, context in
            await respond {
                let principal = try principal(request)
                let id = takesID ? try pathID(context) : 0
                let page = paged ? try page(request) : (nil, Self.pageSizeDefault)
                if !paged { try requireNoQuery(request) }
                return try await execute(EngineRequest(make(id, page)), as: principal)
            }
        }
    }

    /// Runs one command for `principal`; answers with its reply (and for a created item or
    /// member, its Location) or its refusal.
    func execute(_ request: EngineRequest, as principal: Principal, status: HTTPResponse.Status = .ok) async throws(ProtocolRefusal) -> Response {
        let outcomes = try await gateway.serve([request], principal: principal).get()
        assert(outcomes.count == 1, "one command, one outcome")
        switch outcomes[0] {
        case .refused(let refusal): return error(ErrorJSON(refusal))
        case .ok(let reply):
            var headers: HTTPFields = [:]
            if status == .created, let location = Self.location(of: reply) { headers[.location] = location }
            return json(status, JSONPayloads.encode(ReplyJSON(reply)), headers: headers)
        }
    }

    static func location(of reply: Reply) -> String? {
        switch reply {
        case .item(let item): "/api/v1/items/\(item.id.rawValue)"
        case .member(let member): "/api/v1/members/\(member.id.rawValue)"
        default: nil
        }
    }

    /// A GET route whose command is built from its query string; parameters the operation does
    /// not name are refused.
    func queryRead(_ path: String, _ operation: HTTPOperation, _ make: @escaping @Sendable ([String: String]) throws(ProtocolRefusal) -> Command) -> HTTPRoute {
        let names = Set(operation.parameters.filter { $0.location == .query }.map(\.name))
        return HTTPRoute(method: .get, path: path, operation: operation) { request, _ in
            await respond {
                let principal = try principal(request)
                var query: [String: String] = [:]
                for (name, value) in request.uri.queryParameters {
                    guard names.contains(String(name)) else {
                        throw ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes \(names.isEmpty ? "none" : names.sorted().joined(separator: ", ")).")
                    }
                    query[String(name)] = String(value)
                }
                return try await execute(EngineRequest(try make(query)), as: principal)
            }
        }
    }

    /// An integer query parameter, or `value` when it is left out.
    static func queryNumber(_ query: [String: String], _ name: String, default value: Int32) throws(ProtocolRefusal) -> Int32 {
        guard let text = query[name] else { return value }
        guard let number = Int32(text) else { throw ProtocolRefusal(.malformedRequest, "'\(name)' must be an integer.") }
        return number
    }
}
