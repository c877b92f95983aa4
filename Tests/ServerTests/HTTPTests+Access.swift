import Engine
import Foundation
import LibraClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension HTTPTests {
    @Test func malformedRequestsAreRefusedWithTheirCodes() throws {
        let fixture = try HTTPFixture.current
        let api = fixture.api
        let missing = try api.call("GET", "/api/v1/items", token: nil)
        #expect(missing.status == 401 && missing.errorName == "UNAUTHENTICATED" && missing.headers["www-authenticate"] == "Bearer")
        #expect(try api.call("GET", "/api/v1/items", token: "lbr_not-a-token").status == 401)
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let bodies: [(String, [UInt8])] = [
            ("not JSON", Array("{not json".utf8)), ("an array", Array("[1]".utf8)), ("a null field", Array(#"{"title":null}"#.utf8)),
            ("a string year", Array(#"{"year":"1984"}"#.utf8)), ("an unknown field", Array(#"{"titel":"x"}"#.utf8)),
        ]
        for (what, body) in bodies {
            let refused = try api.call("PATCH", "/api/v1/items/\(item)", rawBody: body)
            #expect(refused.status == 400 && refused.errorName == "MALFORMED_REQUEST" && refused.errorCode == 200, "\(what): \(refused.text)")
        }
        let noField = try api.call("POST", "/api/v1/items", body: ["title": "x"])
        #expect(noField.status == 400 && noField.text.contains("missing field"))
        let huge = try api.call("PATCH", "/api/v1/items/\(item)", rawBody: Array(#"{"title":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + Array(#""}"#.utf8))
        #expect(huge.status == 413 && huge.errorName == "FRAME_TOO_LARGE")
    }

    @Test func rolesDecideWhatATokenMayDo() throws {
        let api = try HTTPFixture.current.api
        let reader = try api.call("POST", "/api/v1/tokens", body: ["role": "read_only", "name": "dashboard"])
        #expect(reader.status == 201 && (reader.object["token"] as? String ?? "").hasPrefix("lbr_") && reader.object["member"] is NSNull)
        let readerToken = try #require(reader.object["token"] as? String)
        #expect(try api.call("GET", "/api/v1/items", token: readerToken).status == 200)
        let forbidden = try api.call("POST", "/api/v1/items", token: readerToken, body: HTTPSamples.item())
        #expect(forbidden.status == 403 && forbidden.errorName == "FORBIDDEN")
        #expect(try api.call("GET", "/api/v1/tokens", token: readerToken).status == 403)

        let desk = try #require(try api.call("POST", "/api/v1/tokens", body: ["role": "circulation", "name": "desk 3"]).object["token"] as? String)
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        #expect(try api.call("POST", "/api/v1/loans", token: desk, body: ["member": member, "item": item]).status == 201)
        #expect(try api.call("POST", "/api/v1/members", token: desk, body: HTTPSamples.member()).status == 403)

        let listed = try api.call("GET", "/api/v1/tokens").records("tokens")
        let readerID = try #require(reader.object["id"] as? String)
        #expect(listed.contains { $0["id"] as? String == readerID && $0["role"] as? String == "read_only" })
        #expect(try api.call("DELETE", "/api/v1/tokens/\(readerID)").status == 204)
        #expect(try api.call("GET", "/api/v1/items", token: readerToken).status == 401, "a revoked token is refused at once")
        #expect(try api.call("DELETE", "/api/v1/tokens/\(readerID)").errorName == "NOT_FOUND")
        #expect(try api.call("POST", "/api/v1/tokens", body: ["role": "member", "name": "nobody"]).status == 400)
        #expect(try api.call("POST", "/api/v1/tokens", body: ["role": "librarian", "name": "x"]).status == 400)
    }

    @Test func aTokenOverItsRateIsRefusedWithRetryAfter() throws {
        let api = try HTTPFixture.current.api
        let token = try #require(try api.call("POST", "/api/v1/tokens", body: ["role": "read_only", "name": "slow", "rate_limit": 1]).object["token"] as? String)
        let answers = try (0..<5).map { _ in try api.call("GET", "/api/v1/items?limit=1", token: token) }
        #expect(answers[0].status == 200)
        let limited = answers.filter { $0.status == 429 }
        #expect(!limited.isEmpty && limited.allSatisfy { $0.errorName == "RATE_LIMITED" && $0.headers["retry-after"] == "1" })
    }

    @Test func aMemberLogsInAndSeesOnlyTheirOwnAccount() async throws {
        let api = try HTTPFixture.current.api
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        let other = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        #expect(try api.call("PUT", "/api/v1/members/\(member)/password", body: ["password": "short"]).errorName == "INVALID_FIELD")
        #expect(try api.call("PUT", "/api/v1/members/\(member)/password", body: ["password": "correct horse"]).status == 204)
        #expect(try api.call("PUT", "/api/v1/members/999999/password", body: ["password": "correct horse"]).errorName == "MEMBER_NOT_FOUND")
        let session = try api.call("POST", "/api/v1/auth/login", token: nil, body: ["member": member, "password": "correct horse"])
        let token = try #require(session.object["token"] as? String)
        #expect(session.status == 200 && token.hasPrefix("lbm_\(member)_"))
        let wrong = try api.call("POST", "/api/v1/auth/login", token: nil, body: ["member": other, "password": "correct horse"])
        #expect(wrong.status == 401 && wrong.errorName == "LOGIN_FAILED")

        let items = (0..<2).map { _ in (try? api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 1)).id("item")) ?? 0 }
        let own = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": items[0]]).id("loan")
        let theirs = try api.call("POST", "/api/v1/loans", body: ["member": other, "item": items[1]]).id("loan")
        #expect(try api.call("GET", "/api/v1/members/\(member)", token: token).status == 200)
        #expect(try api.call("GET", "/api/v1/members/\(member)/loans", token: token).records("loans").count == 1)
        #expect(try api.call("GET", "/api/v1/items", token: token).status == 200)
        #expect(try api.call("POST", "/api/v1/loans/\(own)/renew", token: token).status == 200)
        // Holds: a member places and cancels its own, and sees only its own.
        let placed = try api.call("POST", "/api/v1/holds", token: token, body: ["member": member, "item": items[1]])
        #expect(placed.status == 201)
        let hold = try placed.id("hold")
        let theirHold = try api.call("POST", "/api/v1/holds", body: ["member": other, "item": items[0]]).id("hold")
        #expect(try api.call("GET", "/api/v1/members/\(member)/holds", token: token).records("holds").count == 1)
        #expect(try api.call("POST", "/api/v1/holds", token: token, body: ["member": other, "item": items[0]]).errorName == "FORBIDDEN")
        #expect(try api.call("POST", "/api/v1/holds/\(theirHold)/cancel", token: token).errorName == "FORBIDDEN")
        #expect(try api.call("POST", "/api/v1/holds/\(hold)/cancel", token: token).status == 200)
        #expect(try api.call("POST", "/api/v1/holds/\(hold)/cancel", token: token).errorName == "FORBIDDEN")
        // A librarian's block stops what it names, with its reason on the record; lifting it ends it.
        let blocked = try api.call("POST", "/api/v1/members/\(member)/blocks", body: ["reason": "lost card", "blocks": ["renewing"]])
        #expect(blocked.status == 200)
        #expect(try api.call("POST", "/api/v1/loans/\(own)/renew", token: token).errorName == "MEMBER_BLOCKED")
        #expect(try api.call("POST", "/api/v1/members/\(member)/blocks", token: token, body: ["reason": "self"]).errorName == "FORBIDDEN")
        #expect(try api.call("POST", "/api/v1/members/\(member)/blocks", body: ["reason": "x", "blocks": ["flying"]]).errorName == "INVALID_FIELD")
        let block = try #require(((blocked.object["member"] as? [String: Any])?["blocks"] as? [[String: Any]])?.first?["id"] as? Int)
        #expect(try api.call("POST", "/api/v1/members/\(member)/unblock", body: ["block": block]).status == 200)
        #expect(try api.call("POST", "/api/v1/members/\(member)/unblock", body: ["block": block]).errorName == "BLOCK_NOT_FOUND")
        for (method, path) in [
            ("GET", "/api/v1/members/\(other)/holds"), ("GET", "/api/v1/items/\(items[0])/holds"),
            ("GET", "/api/v1/members/\(other)"), ("GET", "/api/v1/members"), ("GET", "/api/v1/members/\(other)/loans"),
            ("POST", "/api/v1/loans/\(theirs)/renew"), ("POST", "/api/v1/loans/\(own)/return"), ("GET", "/api/v1/loans/overdue"),
        ] {
            let refused = try api.call(method, path, token: token)
            #expect(refused.status == 403 && refused.errorName == "FORBIDDEN", "\(method) \(path)")
        }
        // The same rules over the binary protocol, where a renewal by a member first looks up the
        // member's loans (a submission of its own) and then submits the renewal from that answer.
        let client = try await LibraClient.connect(port: HTTPFixture.current.server.protocolPort, token: token)
        // Past the ownership check, the rules answer: another member waits for this item.
        await #expect(throws: LibraError.refused(Refusal(.itemOnHold))) { try await client.renew(LoanID(UInt64(own))) }
        await #expect(throws: LibraError.refused(Refusal(.forbidden))) { try await client.renew(LoanID(UInt64(theirs))) }
        await client.close()
        #expect(try api.call("PUT", "/api/v1/members/\(member)/password", token: token, body: ["password": "battery staple"]).status == 204)
        #expect(try api.call("PUT", "/api/v1/members/\(other)/password", token: token, body: ["password": "battery staple"]).status == 403)
    }

    @Test func fiveFailedLoginsLockTheAccount() throws {
        let api = try HTTPFixture.current.api
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        try api.call("PUT", "/api/v1/members/\(member)/password", body: ["password": "correct horse"])
        let failures = try (0..<5).map { _ in try api.call("POST", "/api/v1/auth/login", token: nil, body: ["member": member, "password": "wrong horse"]) }
        #expect(failures.prefix(4).allSatisfy { $0.status == 401 && $0.errorName == "LOGIN_FAILED" })
        #expect(failures[4].status == 429 && failures[4].errorName == "ACCOUNT_LOCKED")
        let locked = try api.call("POST", "/api/v1/auth/login", token: nil, body: ["member": member, "password": "correct horse"])
        #expect(locked.status == 429 && locked.errorName == "ACCOUNT_LOCKED", "even the right password, while locked")
        usleep(UInt32((HTTPServerScope.lockSeconds + 0.3) * 1_000_000))
        #expect(try api.call("POST", "/api/v1/auth/login", token: nil, body: ["member": member, "password": "correct horse"]).status == 200)
    }
}
