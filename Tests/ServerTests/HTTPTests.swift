import Engine
import Foundation
import LibraProtocol
import Testing

/// The HTTP API end to end, against one real server for the whole suite (HTTPServerScope).
/// Every call through `APIClient` is also checked against /openapi.json: documented status,
/// exact body schema, listed error name.
@Suite(.serialized, HTTPServerScope()) struct HTTPTests {
    static let expectedRoutes: Set<String> = [
        "POST /api/v1/items", "GET /api/v1/items", "GET /api/v1/items/{id}", "PATCH /api/v1/items/{id}", "POST /api/v1/items/{id}/withdraw",
        "POST /api/v1/items/{id}/copies/add", "POST /api/v1/items/{id}/copies/remove", "PUT /api/v1/policies/{tier}/{item_type}",
        "POST /api/v1/members", "GET /api/v1/members", "GET /api/v1/members/{id}", "PATCH /api/v1/members/{id}", "POST /api/v1/members/{id}/suspend",
        "POST /api/v1/members/{id}/reinstate", "GET /api/v1/members/{id}/loans", "POST /api/v1/members/{id}/payments",
        "PUT /api/v1/members/{id}/password", "POST /api/v1/loans", "GET /api/v1/loans/overdue", "POST /api/v1/loans/{id}/return",
        "POST /api/v1/loans/{id}/renew", "POST /api/v1/auth/login", "POST /api/v1/tokens", "GET /api/v1/tokens", "DELETE /api/v1/tokens/{id}",
        "GET /health", "GET /health/ready", "GET /metrics", "GET /openapi.json", "POST /api/v1/holds", "POST /api/v1/holds/{id}/cancel",
        "GET /api/v1/items/{id}/holds", "GET /api/v1/members/{id}/holds", "POST /api/v1/members/{id}/blocks", "POST /api/v1/members/{id}/unblock",
        "POST /api/v1/loans/{id}/lost", "POST /api/v1/loans/{id}/claim-returned", "POST /api/v1/items/{id}/copies/missing",
        "POST /api/v1/items/{id}/copies/found", "GET /api/v1/analytics/summary", "GET /api/v1/analytics/top-items", "GET /api/v1/analytics/top-members",
        "GET /api/v1/analytics/daily-checkouts", "GET /api/v1/analytics/inventory", "GET /api/v1/search", "GET /api/v1/events",
    ]

    /// The document lists exactly the routes the router serves: each documented operation is
    /// answered by its handler (never the router's 404 or 405), and every other method on a
    /// documented path is 405 with the documented methods in Allow.
    @Test func theDocumentAndTheRouterAgree() throws {
        let fixture = try HTTPFixture.current
        let paths = try #require(fixture.api.document["paths"] as? [String: [String: Any]])
        #expect(Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } }) == Self.expectedRoutes)
        #expect(fixture.api.document["openapi"] as? String == "3.1.0")
        for (template, operations) in paths {
            let path = template.replacingOccurrences(of: "{id}", with: "999999").replacingOccurrences(of: "{tier}", with: "staff")
                .replacingOccurrences(of: "{item_type}", with: "book")
            for method in operations.keys.map({ $0.uppercased() }) {
                let body: Any? = ["POST", "PUT", "PATCH"].contains(method) ? [String: Any]() : nil
                // The event stream never ends by itself: probe it with a position it refuses.
                let probe = path == "/api/v1/events" ? path + "?from=999999999" : path
                let result = try fixture.api.call(method, probe, body: body)
                #expect(result.status != 405 && !(result.status == 404 && result.text.contains("No route")), "\(method) \(path): \(result.text)")
            }
            let allowed = operations.keys.map { $0.uppercased() }.sorted().joined(separator: ", ")
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] where operations[method.lowercased()] == nil {
                let result = try http(method, port: fixture.server.httpPort, path, token: ServerProcess.adminToken)
                #expect(result.status == 405 && result.errorName == "NOT_FOUND" && result.headers["allow"] == allowed, "\(method) \(path)")
            }
        }
        let unknown = try http("GET", port: fixture.server.httpPort, "/api/v1/nothing-here", token: ServerProcess.adminToken)
        #expect(unknown.status == 404 && unknown.errorName == "NOT_FOUND" && unknown.headers["content-type"] == "application/json")
    }

    @Test func itemsAreCreatedReadUpdatedAndWithdrawn() throws {
        let api = try HTTPFixture.current.api
        let created = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 2))
        let id = created.id("item")
        #expect(created.status == 201 && created.headers["location"] == "/api/v1/items/\(id)")
        #expect(created.record("item")["isbn"] as? String == "9780306406157" && created.record("item")["available_copies"] as? Int == 2)
        #expect(try api.call("GET", "/api/v1/items/\(id)").record("item")["title"] as? String == "Signals")
        let updated = try api.call("PATCH", "/api/v1/items/\(id)", body: ["title": "Signals, second edition", "year": 1990]).record("item")
        #expect(updated["title"] as? String == "Signals, second edition" && updated["year"] as? Int == 1990 && updated["author"] as? String == "A. Author")
        #expect(try api.call("POST", "/api/v1/items/\(id)/copies/add", body: ["count": 3]).record("item")["total_copies"] as? Int == 5)
        #expect(try api.call("POST", "/api/v1/items/\(id)/copies/remove", body: ["count": 1]).record("item")["available_copies"] as? Int == 4)
        let withdrawn = try api.call("POST", "/api/v1/items/\(id)/withdraw")
        #expect(withdrawn.status == 200 && withdrawn.record("item")["status"] as? String == "withdrawn")
        let again = try api.call("POST", "/api/v1/items/\(id)/withdraw")
        #expect(again.status == 409 && again.errorName == "ITEM_ALREADY_WITHDRAWN")
        let missing = try api.call("GET", "/api/v1/items/999999")
        #expect(missing.status == 404 && missing.errorName == "ITEM_NOT_FOUND" && missing.errorCode == 103)
        var badISBN = HTTPSamples.item()
        badISBN["isbn"] = "978-0-306-40615-8"
        let invalid = try api.call("POST", "/api/v1/items", body: badISBN)
        #expect(invalid.status == 400 && invalid.errorName == "INVALID_FIELD" && invalid.errorField == "isbn")
        #expect(try api.call("GET", "/api/v1/items/abc").errorName == "MALFORMED_REQUEST")
    }

    @Test func listsPageThroughEveryRecordExactlyOnce() throws {
        let api = try HTTPFixture.current.api
        for index in 0..<7 { try api.call("POST", "/api/v1/items", body: HTTPSamples.item(title: "Paged \(index)")) }
        for index in 0..<5 { try api.call("POST", "/api/v1/members", body: HTTPSamples.member(name: "Paged \(index)")) }
        for (path, key) in [("/api/v1/items", "items"), ("/api/v1/members", "members")] {
            let all = try api.call("GET", "\(path)?limit=1000")
            let ids = all.records(key).map { ($0["id"] as? NSNumber)?.uint64Value ?? 0 }
            #expect(all.next == nil && ids.count >= 5 && ids == ids.sorted())
            #expect(try api.call("GET", path).records(key).count == min(ids.count, 100))
            var seen: [UInt64] = []
            var cursor: UInt64?
            for _ in 0..<100 {
                let page = try api.call("GET", "\(path)?limit=3" + (cursor.map { "&after=\($0)" } ?? ""))
                let pageIDs = page.records(key).map { ($0["id"] as? NSNumber)?.uint64Value ?? 0 }
                if let next = page.next { #expect(pageIDs.count == 3 && next == pageIDs.last) } else { #expect(pageIDs.count <= 3) }
                seen += pageIDs
                cursor = page.next
                if cursor == nil { break }
            }
            #expect(seen == ids, "\(path): every record exactly once, in order")
        }
        for (query, name) in [("limit=0", "INVALID_FIELD"), ("limit=1001", "INVALID_FIELD"), ("limit=ten", "MALFORMED_REQUEST"), ("colour=red", "MALFORMED_REQUEST")] {
            let refused = try api.call("GET", "/api/v1/items?\(query)")
            #expect(refused.status == 400 && refused.errorName == name, "\(query)")
        }
        #expect(try api.call("GET", "/api/v1/items?limit=0").errorField == "limit")
    }

    @Test func membersAreRegisteredReadUpdatedSuspendedAndReinstated() throws {
        let api = try HTTPFixture.current.api
        let body = HTTPSamples.member()
        let created = try api.call("POST", "/api/v1/members", body: body)
        let id = created.id("member")
        #expect(created.status == 201 && created.headers["location"] == "/api/v1/members/\(id)")
        let read = try api.call("GET", "/api/v1/members/\(id)")
        #expect(read.record("member")["status"] as? String == "active" && read.records("loans").isEmpty)
        let updated = try api.call("PATCH", "/api/v1/members/\(id)", body: ["name": "Ada Lovelace", "card_expiry": "2098-01-01"]).record("member")
        #expect(updated["name"] as? String == "Ada Lovelace" && updated["card_expiry"] as? String == "2098-01-01")
        #expect(try api.call("POST", "/api/v1/members/\(id)/suspend").record("member")["status"] as? String == "suspended")
        #expect(try api.call("POST", "/api/v1/members/\(id)/suspend").errorName == "MEMBER_ALREADY_SUSPENDED")
        #expect(try api.call("POST", "/api/v1/members/\(id)/reinstate").record("member")["status"] as? String == "active")
        let again = try api.call("POST", "/api/v1/members/\(id)/reinstate")
        #expect(again.status == 409 && again.errorName == "MEMBER_ALREADY_ACTIVE")
        let taken = try api.call("POST", "/api/v1/members", body: body)
        #expect(taken.status == 409 && taken.errorName == "EMAIL_TAKEN")
        let unknownTier = try api.call("POST", "/api/v1/members", body: HTTPSamples.member(tier: "gold"))
        #expect(unknownTier.status == 422 && unknownTier.errorName == "UNKNOWN_TIER")
        let badDay = try api.call("PATCH", "/api/v1/members/\(id)", body: ["card_expiry": "2099-13-01"])
        #expect(badDay.status == 400 && badDay.errorField == "card_expiry")
        #expect(try api.call("GET", "/api/v1/members/999999").status == 404)
    }

    @Test func healthReportsReadinessTheLogPathAndTheDurableLSN() throws {
        let api = try HTTPFixture.current.api
        let health = try api.call("GET", "/health", token: nil)
        #expect(health.status == 200 && health.object["status"] as? String == "ok" && health.object["ready"] as? Bool == true)
        #expect(["io_uring", "posix"].contains(health.object["io"] as? String ?? "") && health.object["fsync"] as? String == "always")
        #expect((health.object["durable_lsn"] as? NSNumber)?.intValue ?? 0 > 0, "the seed's records are durable")
        #expect(try api.call("GET", "/health/ready", token: nil).status == 200)
        #expect(try api.call("GET", "/health?verbose=1", token: nil).status == 400)
    }

    @Test func metricsExposeEveryFamilyAfterTraffic() throws {
        let api = try HTTPFixture.current.api
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item])
        // Refused: counted under its error's name, beside the successes of the same command.
        #expect(try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item]).status == 409)
        let metrics = try api.call("GET", "/metrics", token: nil)
        #expect(metrics.status == 200)
        let families = [
            "libra_commands_total", "libra_request_duration_seconds", "libra_batch_commands", "libra_batch_frames", "libra_group_commit_records",
            "libra_log_write_duration_seconds", "libra_log_bytes_total", "libra_log_writes_total", "libra_snapshots_taken", "libra_durable_lsn",
            "libra_connections_open", "libra_http_requests_total", "libra_log_info", "libra_resident_memory_bytes", "libra_event_subscriptions_open",
        ]
        for family in families { #expect(metrics.text.contains("# TYPE \(family) "), "\(family)") }
        #expect(metrics.text.contains(#"libra_commands_total{command="checkout",outcome="ok"}"#))
        #expect(metrics.text.contains(#"libra_commands_total{command="checkout",outcome="ALREADY_HOLDS_ITEM"}"#))
        #expect(metrics.text.contains(#"libra_http_requests_total{status="201"}"#))
    }
}

extension HTTPTests {
    /// docs/http-api.md documents every route and gives each error code the status the server answers.
    @Test func theGuideCoversEveryRouteAndEveryErrorStatus() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("docs/http-api.md"), encoding: .utf8)
        for route in Self.expectedRoutes { #expect(guide.contains("`\(route)`"), "\(route) has no section") }
        for code in ErrorCode.allCases {
            #expect(guide.contains("| \(code.rawValue) | \(code.name) | \(code.httpStatus)"), "\(code.name) missing from the errors table")
        }
    }
}
