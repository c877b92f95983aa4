import Engine
import Foundation
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// One server for the whole HTTP suite: its data directory is seeded first with loans checked
/// out 40 days ago (so that overdue lists and fines have something to show), then the real
/// `libra serve` runs on it until the suite's last test ends.
struct HTTPServerScope: SuiteTrait, TestScoping {
    static let lockSeconds = 1.0

    @TaskLocal static var current: HTTPFixture?

    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try ServerProcess(arguments: ["--login-lock-seconds", String(Self.lockSeconds)])
        defer {
            server.stop()
            server.removeDirectory()
        }
        let seeded = try await HTTPFixture.seed(directory: server.directory)
        try server.start()
        let document = try #require(try http("GET", port: server.httpPort, "/openapi.json").json as? [String: Any])
        let fixture = HTTPFixture(server: server, api: APIClient(port: server.httpPort, document: document), seeded: seeded)
        try await Self.$current.withValue(fixture) { try await function() }
    }
}

struct HTTPFixture: @unchecked Sendable {
    /// What the seed left: two members with loans 40 days old, due 26 days ago.
    struct Seeded {
        var lateMember: UInt64
        var lateLoans: [UInt64]
        var otherLoan: UInt64
    }

    let server: ServerProcess
    let api: APIClient
    let seeded: Seeded

    static var current: HTTPFixture {
        get throws { try #require(HTTPServerScope.current, "HTTPTests run inside HTTPServerScope") }
    }

    /// Writes the seed through the durable engine with a clock 40 days back, as if the library
    /// had been running: the server recovers it at start.
    static func seed(directory: String) async throws -> Seeded {
        let now = SystemClock().now()
        let clock = ManualClock(now.adding(milliseconds: -40 * Timestamp.millisecondsPerDay))
        let database = try await Database.open(
            DatabaseConfiguration(directory: directory, snapshotIntervalSeconds: nil, snapshotLogBytes: nil), storage: FileSystemStorage(ioPath: .posix),
            clock: clock, log: { _ in })
        let expiry = CivilDate(year: 2099, month: 12, day: 31).daysSinceEpoch
        let outcomes = try await database.execute([
            Request(.createItem(ItemDraft(isbn: "978-0-306-40615-7", title: "Late One", author: "A", publisher: "", year: 1990, type: .book, copies: 2))),
            Request(.createItem(ItemDraft(isbn: "0-306-40615-2", title: "Late Two", author: "B", publisher: "", year: 1991, type: .book, copies: 2))),
            Request(.registerMember(MemberDraft(email: "late@example.org", name: "Late", tier: "standard", cardExpiryDay: expiry))),
            Request(.registerMember(MemberDraft(email: "other@example.org", name: "Other", tier: "standard", cardExpiryDay: expiry))),
        ])
        guard case .ok(.item(let first)) = outcomes[0], case .ok(.item(let second)) = outcomes[1], case .ok(.member(let late)) = outcomes[2],
            case .ok(.member(let other)) = outcomes[3]
        else { throw ServerProcessError("seed refused: \(outcomes)") }
        let loans = try await database.execute([
            Request(.checkout(member: late.id, item: first.id)), Request(.checkout(member: late.id, item: second.id)),
            Request(.checkout(member: other.id, item: first.id)),
        ]).map { outcome -> UInt64 in
            guard case .ok(.loan(let loan)) = outcome else { throw ServerProcessError("seed checkout refused: \(outcome)") }
            return loan.id.rawValue
        }
        await database.close()
        return Seeded(lateMember: late.id.rawValue, lateLoans: [loans[0], loans[1]], otherLoan: loans[2])
    }
}

/// The HTTP API as a client sees it. Every answer is checked against /openapi.json: its status
/// must be documented for the operation, its body must match the documented schema exactly, and
/// an error's name must be one the document lists under that status.
struct APIClient: @unchecked Sendable {
    let port: Int
    let document: [String: Any]

    @discardableResult
    func call(
        _ method: String, _ path: String, token: String? = ServerProcess.adminToken, body: Any? = nil, rawBody: [UInt8]? = nil, headers: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> HTTPResult {
        let result = try http(method, port: port, path, token: token, body: body, rawBody: rawBody, headers: headers)
        let problems = check(method, path, result)
        #expect(problems.isEmpty, "\(method) \(path) -> \(result.status) \(result.text.prefix(300)): \(problems)", sourceLocation: sourceLocation)
        return result
    }

    /// The documented path template a request path falls on, if any.
    func template(of path: String) -> String? {
        let parts = path.split(separator: "?")[0].split(separator: "/")
        let paths = (document["paths"] as? [String: Any] ?? [:]).keys.sorted()
        // Literal segments win over parameters, as in the router.
        let matching = paths.filter { template in
            let segments = template.split(separator: "/")
            return segments.count == parts.count && zip(segments, parts).allSatisfy { $0.first == "{" || $0 == $1 }
        }
        return matching.max { $0.filter { $0 == "{" }.count > $1.filter { $0 == "{" }.count }
    }

    func check(_ method: String, _ path: String, _ result: HTTPResult) -> [String] {
        guard let template = template(of: path), let item = (document["paths"] as? [String: Any])?[template] as? [String: Any],
            let operation = item[method.lowercased()] as? [String: Any]
        else { return ["no documented operation"] }
        guard let response = (operation["responses"] as? [String: Any])?[String(result.status)] as? [String: Any] else {
            return ["status \(result.status) is not documented for \(operation["operationId"] ?? "?")"]
        }
        var problems: [String] = []
        for name in (response["headers"] as? [String: Any] ?? [:]).keys where result.headers[name.lowercased()] == nil {
            problems.append("header \(name) missing")
        }
        guard let content = response["content"] as? [String: Any], let (mediaType, media) = content.first else {
            if !result.body.isEmpty { problems.append("a body where none is documented") }
            return problems
        }
        let contentType = result.headers["content-type"] ?? ""
        if contentType != mediaType { problems.append("content-type \(contentType), documented \(mediaType)") }
        guard mediaType == "application/json", let schema = (media as? [String: Any])?["schema"] as? [String: Any] else { return problems }
        guard let json = result.json else { return problems + ["body is not JSON"] }
        problems += SchemaValidator(document: document).validate(json, schema, at: "$")
        if result.status >= 400, let codes = response["x-error-codes"] as? [String], let name = result.errorName, !codes.contains(name) {
            problems.append("error \(name) is not listed under \(result.status): \(codes)")
        }
        return problems
    }
}

/// JSON Schema, the subset /openapi.json uses: $ref, oneOf, type (with null), enum, integer
/// bounds, string lengths and patterns, arrays, and closed objects.
struct SchemaValidator {
    let document: [String: Any]

    func validate(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last!)
            guard let target = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name] as? [String: Any] else {
                return ["\(path): unresolved \(reference)"]
            }
            return validate(value, target, at: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let passing = choices.filter { validate(value, $0, at: path).isEmpty }.count
            return passing == 1 ? [] : ["\(path): matches \(passing) of the oneOf schemas"]
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if value is NSNull { return types.contains("null") ? [] : ["\(path): null"] }
        var problems: [String] = []
        if let values = schema["enum"] as? [Any], !values.contains(where: { "\($0)" == "\(value)" }) { problems.append("\(path): \(value) not in enum") }
        switch types.first(where: { $0 != "null" }) {
        case "string":
            guard let text = value as? String else { return ["\(path): not a string"] }
            if let minimum = schema["minLength"] as? Int, text.count < minimum { problems.append("\(path): shorter than \(minimum)") }
            if let maximum = schema["maxLength"] as? Int, text.count > maximum { problems.append("\(path): longer than \(maximum)") }
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil { problems.append("\(path): '\(text)' !~ \(pattern)") }
        case "integer":
            guard let number = value as? NSNumber, !["c", "d", "f"].contains(String(cString: number.objCType)) else { return ["\(path): not an integer"] }
            if let minimum = schema["minimum"] as? Int64, number.int64Value < minimum { problems.append("\(path): below \(minimum)") }
            if let maximum = schema["maximum"] as? Int64, number.int64Value > maximum { problems.append("\(path): above \(maximum)") }
        case "boolean":
            guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return ["\(path): not a boolean"] }
        case "array":
            guard let elements = value as? [Any] else { return ["\(path): not an array"] }
            if let element = schema["items"] as? [String: Any] {
                for (index, item) in elements.enumerated() { problems += validate(item, element, at: "\(path)[\(index)]") }
            }
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil { problems.append("\(path).\(name): missing") }
            let closed = (schema["additionalProperties"] as? NSNumber)?.boolValue == false
            for (name, field) in object {
                guard let property = properties[name] else {
                    if closed { problems.append("\(path).\(name): not in the schema") }
                    continue
                }
                problems += validate(field, property, at: "\(path).\(name)")
            }
        default:
            break
        }
        return problems
    }
}

extension HTTPResult {
    var errorCode: Int? { (object["error"] as? [String: Any])?["code"] as? Int }
    var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }
    func record(_ key: String) -> [String: Any] { object[key] as? [String: Any] ?? [:] }
    func id(_ key: String) -> UInt64 { (record(key)["id"] as? NSNumber)?.uint64Value ?? 0 }
    func records(_ key: String) -> [[String: Any]] { object[key] as? [[String: Any]] ?? [] }
    var next: UInt64? { (object["next"] as? NSNumber)?.uint64Value }
}

/// Bodies the tests send.
enum HTTPSamples {
    static func item(copies: Int = 2, title: String = "Signals") -> [String: Any] {
        ["isbn": "978-0-306-40615-7", "title": title, "author": "A. Author", "year": 1984, "type": "book", "copies": copies]
    }

    static func member(tier: String = "standard", name: String = "Ada") -> [String: Any] {
        ["email": "http-\(UInt32.random(in: 0...UInt32.max))@example.org", "name": name, "tier": tier, "card_expiry": "2099-12-31"]
    }
}
