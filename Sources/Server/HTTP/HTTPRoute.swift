import Engine
import Hummingbird
import LibraProtocol

/// One endpoint of the HTTP API: what the router matches, what /openapi.json says about it, and
/// its handler. Routes are declared only in `HTTPAPI.routes`; the router and the document are
/// both built from that list, and the server checks at start that they agree.
struct HTTPRoute: Sendable {
    typealias Handler = @Sendable (Request, BasicRequestContext) async -> Response

    var method: HTTPRequest.Method
    var path: String
    var operation: HTTPOperation
    var handler: Handler

    /// The path's segments; `{name}` segments are parameters.
    var segments: [Substring] { path.split(separator: "/") }

    /// Whether a request path falls on this route's template (whatever the method).
    func matches(_ requestPath: some StringProtocol) -> Bool {
        let parts = requestPath.split(separator: "/")
        let template = segments
        guard parts.count == template.count else { return false }
        return zip(parts, template).allSatisfy { part, pattern in pattern.first == "{" || part == pattern }
    }
}

/// What /openapi.json says about one route.
struct HTTPOperation: Sendable {
    enum Tag: String, Sendable, CaseIterable {
        case catalog, members, circulation, analytics, events, access, operations
    }

    /// Who may call an operation.
    enum Access: Sendable {
        /// No token needed.
        case open
        /// Whoever the gateway lets run this command (a sample of it, naming member 1 and loan 1).
        case command(Command)
        /// Admin tokens only.
        case admin
        /// Admin tokens, and member tokens for their own account.
        case adminOrOwnAccount
        /// Every role but member (the event stream shows every member's activity).
        case staff
    }

    struct Parameter: Sendable {
        enum Location: String, Sendable { case path, query, header }
        var name: String
        var location: Location
        var required: Bool
        var description: String
        var schema: Schema

        static func path(_ name: String, _ description: String, _ schema: Schema = OpenAPISchemas.id) -> Parameter {
            Parameter(name: name, location: .path, required: true, description: description, schema: schema)
        }

        static let after = Parameter(
            name: "after", location: .query, required: false, description: "The cursor: list ids greater than this (the `next` of the previous page).",
            schema: .integer(minimum: 0))
        static let limit = Parameter(
            name: "limit", location: .query, required: false, description: "Records per page, 1 to \(Limits.pageSizeMax); default \(HTTPAPI.pageSizeDefault).",
            schema: .integer(nil, 1...Int32(Limits.pageSizeMax)))
        static let idempotencyKey = Parameter(
            name: "Idempotency-Key", location: .header, required: false,
            description: "Makes a retry safe: a repeat with the same key and the same request returns the first outcome (kept 24 hours); "
                + "the same key with a different request is refused IDEMPOTENCY_KEY_REUSED.",
            schema: .string(minLength: 1, maxLength: Limits.idempotencyKeyBytesMax))
    }

    struct Success: Sendable {
        var status: Int
        var description: String
        /// The body's schema (usually a reference to a component); nil when there is no body (204).
        var schema: Schema?
        var contentType = "application/json"
        /// Whether the answer names the new record in a Location header.
        var location = false

        static func json(_ status: Int, _ description: String, _ component: String, location: Bool = false) -> Success {
            Success(status: status, description: description, schema: .ref(component), location: location)
        }

        static func empty(_ description: String) -> Success { Success(status: 204, description: description, schema: nil) }
    }

    var id: String
    var tag: Tag
    var summary: String
    var description: String?
    var access: Access
    var parameters: [Parameter] = []
    /// The component schema of the JSON body; nil when the route takes none.
    var body: String?
    var success: Success
    /// Answers other than the success and the errors (the 503 of /health/ready).
    var alternatives: [Success] = []
    /// The refusals specific to this operation; the document adds those every route of its kind
    /// can answer (authentication, rate limit, malformed request, storage, shutdown).
    var refusals: [ErrorCode] = []

    var bodySchema: Schema? { body.map(OpenAPISchemas.component) }

    /// Mutating engine commands accept an Idempotency-Key.
    var isIdempotent: Bool {
        if case .command(let command) = access { return !command.isRead }
        return false
    }
}
