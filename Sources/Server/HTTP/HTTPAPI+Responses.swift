import Engine
import Foundation
import Hummingbird
import LibraProtocol
import NIOCore

extension HTTPAPI {
    /// Runs a handler's steps; a refusal thrown by any of them becomes its error answer.
    func respond(_ steps: () async throws -> Response) async -> Response {
        do {
            return try await steps()
        } catch let refusal as ProtocolRefusal {
            return error(refusal)
        } catch {
            return self.error(ProtocolRefusal(.internalError, "\(error)"))
        }
    }

    func json(_ status: HTTPResponse.Status, _ bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func error(_ refusal: ProtocolRefusal) -> Response { error(ErrorJSON(refusal)) }

    /// `{"error": {...}}` with the status of its code (`ErrorCode.httpStatus`), or `status`
    /// when given (405 for a path that exists under other methods).
    func error(_ body: ErrorJSON, status: Int? = nil, headers: HTTPFields = [:]) -> Response {
        let status = status ?? ErrorCode(rawValue: body.code)?.httpStatus ?? 500
        var headers = headers
        if status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        if status == 429 || status == 503 { headers[.retryAfter] = "1" }
        return json(HTTPResponse.Status(code: status), JSONPayloads.encode(ErrorEnvelope(body)), headers: headers)
    }

    /// The principal of a request's `Authorization: Bearer <token>` header.
    func principal(_ request: Request) throws(ProtocolRefusal) -> Principal {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw ProtocolRefusal(.unauthenticated, "Send the header 'Authorization: Bearer <token>'.")
        }
        guard let principal = gateway.access.authenticate(token: String(header.dropFirst(7))) else {
            throw ProtocolRefusal(.unauthenticated, "The token is not known, was revoked, or has expired.")
        }
        return principal
    }

    /// The `{id}` of the path, when it is a positive integer.
    func pathID(_ context: BasicRequestContext) throws(ProtocolRefusal) -> UInt64 {
        guard let text = context.parameters.get("id"), let id = UInt64(text), id > 0 else {
            throw ProtocolRefusal(.malformedRequest, "The id in the path must be a positive integer.")
        }
        return id
    }

    /// `?after=<id>&limit=<n>` for keyset pagination; any other query parameter is refused, so
    /// that a misspelt one is not silently ignored.
    func page(_ request: Request) throws(ProtocolRefusal) -> (after: UInt64?, limit: Int32) {
        var after: UInt64?
        var limit = Self.pageSizeDefault
        for (name, value) in request.uri.queryParameters {
            switch name {
            case "after":
                guard let cursor = UInt64(value) else { throw ProtocolRefusal(.malformedRequest, "'after' must be a non-negative integer.") }
                after = cursor
            case "limit":
                guard let count = Int32(value) else { throw ProtocolRefusal(.malformedRequest, "'limit' must be an integer, 1 to \(Limits.pageSizeMax).") }
                limit = count
            default:
                throw ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes 'after' and 'limit'.")
            }
        }
        return (after, limit)
    }

    /// Refuses a query string on routes that take none.
    func requireNoQuery(_ request: Request) throws(ProtocolRefusal) {
        guard let name = request.uri.queryParameters.first?.key else { return }
        throw ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes none.")
    }

    /// The JSON body as an object with only the fields `schema` names (an empty body is `{}`):
    /// a misspelt field is refused rather than ignored.
    func bodyObject(_ request: Request, schema: Schema?) async throws(ProtocolRefusal) -> [String: Any] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.bodyBytesMax)
        } catch is NIOTooManyBytesError {
            throw ProtocolRefusal(.frameTooLarge, "The body is over \(Self.bodyBytesMax) bytes.")
        } catch {
            throw ProtocolRefusal(.malformedRequest, "The body could not be read.")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) else {
            throw ProtocolRefusal(.malformedRequest, "The body is not valid JSON.")
        }
        guard let object = parsed as? [String: Any] else { throw ProtocolRefusal(.malformedRequest, "The body must be a JSON object.") }
        let allowed = schema?.propertyNames ?? []
        for key in object.keys.sorted() {
            guard allowed.contains(key) else {
                let expected = allowed.isEmpty ? "this route takes no body fields" : "this route takes \(allowed.joined(separator: ", "))"
                throw ProtocolRefusal(.malformedRequest, "Unknown field '\(key)'; \(expected).")
            }
            if object[key] is NSNull { throw ProtocolRefusal(.malformedRequest, "Field '\(key)' is null; leave it out instead.") }
        }
        return object
    }

    /// Decodes a body into a typed value (for the routes that are not engine commands).
    func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, schema: Schema?) async throws(ProtocolRefusal) -> T {
        let object = try await bodyObject(request, schema: schema)
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { throw ProtocolRefusal(.malformedRequest, "The body is not valid JSON.") }
        return try JSONPayloads.decode(Array(data), what: "body")
    }
}
