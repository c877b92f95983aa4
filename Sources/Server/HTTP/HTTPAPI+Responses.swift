import Engine
import Foundation
import Hummingbird
import LibraProtocol
import NIOCore

extension HTTPAPI {
    func json(_ status: HTTPResponse.Status, _ bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func error(_ refusal: ProtocolRefusal) -> Response { error(ErrorJSON(refusal)) }

    /// `{"error": {...}}` with the status of its code (`ErrorCode.httpStatus`), or `status`
    /// when given (405 for a path that exists under other methods).
    func error(_ body: ErrorJSON, status: Int? = nil) -> Response {
        let status = status ?? ErrorCode(rawValue: body.code)?.httpStatus ?? 500
        var headers: HTTPFields = [:]
        if status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        if status == 429 || status == 503 { headers[.retryAfter] = "1" }
        return json(HTTPResponse.Status(code: status), JSONPayloads.encode(ErrorEnvelope(body)), headers: headers)
    }

    /// The principal of a request's `Authorization: Bearer <token>` header.
    func principal(_ request: Request) -> Result<Principal, ProtocolRefusal> {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return .failure(ProtocolRefusal(.unauthenticated, "Send the header 'Authorization: Bearer <token>'."))
        }
        guard let principal = gateway.access.authenticate(token: String(header.dropFirst(7))) else {
            return .failure(ProtocolRefusal(.unauthenticated, "The token is not known, was revoked, or has expired."))
        }
        return .success(principal)
    }

    /// The `{id}` of the path, when it is a positive integer.
    func pathID(_ context: BasicRequestContext) -> Result<UInt64, ProtocolRefusal> {
        guard let text = context.parameters.get("id"), let id = UInt64(text), id > 0 else {
            return .failure(ProtocolRefusal(.malformedRequest, "The id in the path must be a positive integer."))
        }
        return .success(id)
    }

    /// `?after=<id>&limit=<n>` for keyset pagination; any other query parameter is refused, so
    /// that a misspelt one is not silently ignored.
    func page(_ request: Request) -> Result<(after: UInt64?, limit: Int32), ProtocolRefusal> {
        var after: UInt64?
        var limit = Self.pageSizeDefault
        for (name, value) in request.uri.queryParameters {
            switch name {
            case "after":
                guard let cursor = UInt64(value) else { return .failure(ProtocolRefusal(.malformedRequest, "'after' must be a non-negative integer.")) }
                after = cursor
            case "limit":
                guard let count = Int32(value) else { return .failure(ProtocolRefusal(.malformedRequest, "'limit' must be an integer, 1 to \(Limits.pageSizeMax).")) }
                limit = count
            default:
                return .failure(ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes 'after' and 'limit'."))
            }
        }
        return .success((after, limit))
    }

    /// Refuses any query string on routes that take none.
    func noQuery(_ request: Request) -> ProtocolRefusal? {
        guard let name = request.uri.queryParameters.first?.key else { return nil }
        return ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes none.")
    }
}
