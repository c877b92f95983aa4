import Foundation
import Testing

extension HTTPTests {
    @Test func catalogSearchFindsByWordsPrefixesTyposAndISBN() throws {
        let api = try HTTPFixture.current.api
        let title = "Quixotic Zephyrs \(UInt32.random(in: 0...UInt32.max))"
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 1, title: title)).id("item")
        for query in ["quixotic", "quixo", "qiuxotic zephyr", title] {
            let found = try api.call("GET", "/api/v1/search?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&limit=100")
            #expect(found.records("results").contains { ($0["item"] as? [String: Any])?["id"] as? Int == Int(item) }, "\(query)")
        }
        let first = try api.call("GET", "/api/v1/search?q=signals&limit=1")
        if let next = first.object["next"] as? String {
            #expect(try api.call("GET", "/api/v1/search?q=signals&limit=1&after=\(next)").status == 200)
        }
        #expect(try api.call("GET", "/api/v1/search?q=signals&after=nonsense").errorName == "MALFORMED_REQUEST")
        #expect(try api.call("GET", "/api/v1/search?q=signals&limit=101").errorName == "INVALID_FIELD")
        _ = try api.call("POST", "/api/v1/items/\(item)/withdraw")
        #expect(try api.call("GET", "/api/v1/search?q=quixotic").records("results").allSatisfy { ($0["item"] as? [String: Any])?["id"] as? Int != Int(item) })
    }

    /// The analytics answer from the same counters the commands just moved (the shared fixture
    /// has other tests' records too, so the checks are on differences and on this test's ids).
    @Test func analyticsFollowTheCommands() throws {
        let api = try HTTPFixture.current.api
        let before = try api.call("GET", "/api/v1/analytics/summary").record("summary")
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 2)).id("item")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        #expect(try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item]).status == 201)
        let after = try api.call("GET", "/api/v1/analytics/summary").record("summary")
        for (key, delta) in [("items", 1), ("copies", 2), ("members", 1), ("active_loans", 1), ("loans_ever", 1)] {
            #expect((after[key] as? Int ?? 0) - (before[key] as? Int ?? 0) == delta, "\(key)")
        }
        let top = try api.call("GET", "/api/v1/analytics/top-members?limit=100").records("ranking")
        #expect(top.contains { $0["id"] as? Int == Int(member) && $0["count"] as? Int == 1 })
        let inventory = try api.call("GET", "/api/v1/analytics/inventory?limit=1000").record("inventory")
        #expect(!((inventory["never_borrowed_sample"] as? [Int]) ?? []).contains(Int(item)))
        let days = try api.call("GET", "/api/v1/analytics/daily-checkouts?from=2026-01-01&to=2026-01-02").records("days")
        #expect(days.map { $0["day"] as? String } == ["2026-01-01", "2026-01-02"])
        #expect(try api.call("GET", "/api/v1/analytics/daily-checkouts?from=2026-01-01&to=2027-12-31").errorName == "INVALID_FIELD")
        #expect(try api.call("GET", "/api/v1/analytics/top-items?limit=0").errorName == "INVALID_FIELD")
        #expect(try api.call("GET", "/api/v1/analytics/summary?limit=3").errorName == "MALFORMED_REQUEST")
    }

    @Test func checkoutRenewAndReturn() throws {
        let api = try HTTPFixture.current.api
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 1)).id("item")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        let other = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        let checkout = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item])
        let loan = checkout.record("loan")
        let id = checkout.id("loan")
        #expect(checkout.status == 201 && loan["member"] as? Int == Int(member) && loan["returned_at"] is NSNull)
        let twice = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item])
        #expect(twice.status == 409 && twice.errorName == "ALREADY_HOLDS_ITEM")
        let none = try api.call("POST", "/api/v1/loans", body: ["member": other, "item": item])
        #expect(none.status == 409 && none.errorName == "NO_COPY_AVAILABLE" && none.errorCode == 108)
        #expect(try api.call("POST", "/api/v1/loans/\(id)/renew").record("loan")["renewals"] as? Int == 1)
        #expect(try api.call("GET", "/api/v1/members/\(member)/loans").records("loans").map { $0["id"] as? Int } == [Int(id)])
        #expect(try api.call("GET", "/api/v1/members/\(member)").records("loans").count == 1)
        let returned = try api.call("POST", "/api/v1/loans/\(id)/return")
        #expect(returned.status == 200 && returned.record("loan")["returned_at"] is String && returned.record("loan")["fine_cents"] as? Int == 0)
        let again = try api.call("POST", "/api/v1/loans/\(id)/return")
        #expect(again.status == 409 && again.errorName == "LOAN_NOT_ACTIVE")
        #expect(try api.call("POST", "/api/v1/loans/999999/renew").errorName == "LOAN_NOT_FOUND")
        let stranger = try api.call("POST", "/api/v1/loans", body: ["member": 999_999, "item": item])
        #expect(stranger.status == 404 && stranger.errorName == "MEMBER_NOT_FOUND")
    }

    @Test func policyLimitsAreUnprocessable() throws {
        let api = try HTTPFixture.current.api
        let terms = ["loan_days": 7, "max_loans": 1, "max_renewals": 0, "fine_per_day_cents": 10, "max_fine_per_loan_cents": 100, "block_threshold_cents": 100]
        let policy = try api.call("PUT", "/api/v1/policies/tiny/book", body: terms)
        #expect(policy.status == 200 && policy.record("policy")["tier"] as? String == "tiny" && policy.record("policy")["max_loans"] as? Int == 1)
        #expect(try api.call("PUT", "/api/v1/policies/tiny/vinyl", body: terms).errorName == "MALFORMED_REQUEST")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member(tier: "tiny")).id("member")
        let first = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let second = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let loan = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": first]).id("loan")
        let renewal = try api.call("POST", "/api/v1/loans/\(loan)/renew")
        #expect(renewal.status == 422 && renewal.errorName == "RENEWAL_LIMIT_REACHED")
        let limit = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": second])
        #expect(limit.status == 422 && limit.errorName == "LOAN_LIMIT_REACHED" && limit.errorCode == 106)
    }

    @Test func anIdempotencyKeyRepeatReturnsTheSameLoan() throws {
        let api = try HTTPFixture.current.api
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 2)).id("item")
        let other = try api.call("POST", "/api/v1/items", body: HTTPSamples.item(copies: 2)).id("item")
        let member = try api.call("POST", "/api/v1/members", body: HTTPSamples.member()).id("member")
        let key = ["Idempotency-Key": "desk-3/\(UInt32.random(in: 0...UInt32.max))"]
        let first = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item], headers: key)
        let repeated = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item], headers: key)
        #expect(first.status == 201 && repeated.status == 201 && first.id("loan") == repeated.id("loan") && first.text == repeated.text)
        #expect(try api.call("GET", "/api/v1/items/\(item)").record("item")["available_copies"] as? Int == 1, "one copy lent, not two")
        let reused = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": other], headers: key)
        #expect(reused.status == 409 && reused.errorName == "IDEMPOTENCY_KEY_REUSED")
        let tooLong = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": other], headers: ["Idempotency-Key": String(repeating: "k", count: 65)])
        #expect(tooLong.status == 400 && tooLong.errorField == "idempotency_key")
    }

    /// The seed's loans fell due 26 days ago: they are listed overdue, a return charges the
    /// fine, the fine blocks borrowing, and payments bring it down.
    @Test func overdueLoansFinesAndPayments() throws {
        let fixture = try HTTPFixture.current
        let api = fixture.api
        var overdue: [Int] = []
        var cursor: UInt64?
        repeat {
            let page = try api.call("GET", "/api/v1/loans/overdue?limit=2" + (cursor.map { "&after=\($0)" } ?? ""))
            #expect(page.status == 200 && page.records("loans").count <= 2)
            overdue += page.records("loans").map { $0["id"] as? Int ?? 0 }
            cursor = page.next
        } while cursor != nil
        let seeded = (fixture.seeded.lateLoans + [fixture.seeded.otherLoan]).map { Int($0) }
        #expect(overdue == overdue.sorted() && Set(seeded).isSubset(of: overdue), "\(overdue)")

        let member = fixture.seeded.lateMember
        let returned = try api.call("POST", "/api/v1/loans/\(fixture.seeded.lateLoans[0])/return").record("loan")
        let fine = returned["fine_cents"] as? Int ?? 0
        #expect(fine == 26 * 25, "26 days late at 25 cents a day")
        #expect(try api.call("GET", "/api/v1/members/\(member)").record("member")["fines_owed_cents"] as? Int == fine)
        let item = try api.call("POST", "/api/v1/items", body: HTTPSamples.item()).id("item")
        let blocked = try api.call("POST", "/api/v1/loans", body: ["member": member, "item": item])
        #expect(blocked.status == 422 && blocked.errorName == "BLOCKED_BY_FINES")
        #expect(try api.call("POST", "/api/v1/loans/\(fixture.seeded.lateLoans[1])/renew").errorName == "BLOCKED_BY_FINES")
        let tooMuch = try api.call("POST", "/api/v1/members/\(member)/payments", body: ["amount_cents": fine + 1])
        #expect(tooMuch.status == 422 && tooMuch.errorName == "PAYMENT_EXCEEDS_FINES")
        #expect(try api.call("POST", "/api/v1/members/\(member)/payments", body: ["amount_cents": 0]).errorField == "amount_cents")
        let paid = try api.call("POST", "/api/v1/members/\(member)/payments", body: ["amount_cents": fine - 100])
        #expect(paid.status == 200 && paid.record("fines")["fines_owed_cents"] as? Int == 100)
        #expect(try api.call("POST", "/api/v1/loans/\(fixture.seeded.lateLoans[1])/renew").status == 200, "below the block threshold again")
    }
}
