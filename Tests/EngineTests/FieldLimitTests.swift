import Engine
import Testing

/// Every row of the field table in docs/circulation-rules.md: at the limit accepted, one past
/// refused with the field named.
@Suite struct FieldLimitTests {
    static func text(_ bytes: Int) -> String { String(repeating: "x", count: bytes) }
    static func draft(isbn: String = "9780306406157", title: String = "T", author: String = "", publisher: String = "", year: Int32 = 2000, copies: Int32 = 1) -> Command {
        .createItem(ItemDraft(isbn: isbn, title: title, author: author, publisher: publisher, year: year, type: .book, copies: copies))
    }
    static func member(email: String = "a@example.org", name: String = "N", tier: String = "standard", expiry: Int32 = 20_000) -> Command {
        .registerMember(MemberDraft(email: email, name: name, tier: tier, cardExpiryDay: expiry))
    }

    static func accepted(_ command: Command) -> Bool {
        if case .failure = Validation.validate(command) { return false }
        return true
    }

    static func refusedField(_ command: Command) -> Field? {
        if case .failure(let refusal) = Validation.validate(command), refusal.code == .invalidField { return refusal.field }
        return nil
    }

    @Test func itemFields() {
        #expect(Self.accepted(Self.draft(title: Self.text(512))))
        #expect(Self.refusedField(Self.draft(title: Self.text(513))) == .title)
        #expect(Self.refusedField(Self.draft(title: "")) == .title)
        #expect(Self.accepted(Self.draft(author: Self.text(256), publisher: Self.text(256))))
        #expect(Self.refusedField(Self.draft(author: Self.text(257))) == .author)
        #expect(Self.refusedField(Self.draft(publisher: Self.text(257))) == .publisher)
        #expect(Self.accepted(Self.draft(year: 2200)) && Self.accepted(Self.draft(year: 0)))
        #expect(Self.refusedField(Self.draft(year: 2201)) == .year && Self.refusedField(Self.draft(year: -1)) == .year)
        #expect(Self.accepted(Self.draft(copies: 10_000)) && Self.accepted(Self.draft(copies: 0)))
        #expect(Self.refusedField(Self.draft(copies: 10_001)) == .copies && Self.refusedField(Self.draft(copies: -1)) == .copies)
        #expect(Self.refusedField(Self.draft(isbn: "978-0-306-40615-7" + Self.text(20))) == .isbn)
        #expect(Self.accepted(.addCopies(1, count: 10_000)) && Self.refusedField(.addCopies(1, count: 0)) == .count)
        #expect(Self.refusedField(.removeCopies(1, count: 10_001)) == .count)
    }

    @Test func memberFields() {
        let local = Self.text(64)
        let longDomain = Self.text(63) + "." + Self.text(63) + "." + Self.text(57) + ".org"
        #expect(Self.accepted(Self.member(email: "\(local)@\(longDomain)")))
        #expect((local + "@" + longDomain).utf8.count == 254)
        #expect(Self.refusedField(Self.member(email: "\(local)@x\(longDomain)")) == .email)
        #expect(Self.refusedField(Self.member(email: "\u{212A}@example.org")) == .email)
        #expect(Self.accepted(Self.member(name: Self.text(256))) && Self.refusedField(Self.member(name: Self.text(257))) == .name)
        #expect(Self.refusedField(Self.member(name: "")) == .name)
        #expect(Self.accepted(Self.member(tier: Self.text(32))) && Self.refusedField(Self.member(tier: Self.text(33))) == .tier)
        #expect(Self.accepted(Self.member(expiry: 84_005)) && Self.refusedField(Self.member(expiry: 84_006)) == .cardExpiry)
        #expect(Self.refusedField(Self.member(expiry: -1)) == .cardExpiry)
        #expect(Self.accepted(.payFine(1, amountCents: 100_000_000)) && Self.refusedField(.payFine(1, amountCents: 100_000_001)) == .amount)
        #expect(Self.accepted(.memberLoans(1, after: nil, limit: 1000)) && Self.refusedField(.memberLoans(1, after: nil, limit: 1001)) == .pageSize)
    }

    @Test func policyFields() {
        func policy(_ change: (inout Policy) -> Void) -> Command {
            var policy = Policy.standard
            change(&policy)
            return .setPolicy(PolicyKey(tier: "t", itemType: .book), policy)
        }
        #expect(Self.accepted(policy { $0.loanDays = 3650 }) && Self.refusedField(policy { $0.loanDays = 3651 }) == .loanDays)
        #expect(Self.refusedField(policy { $0.loanDays = 0 }) == .loanDays)
        #expect(Self.accepted(policy { $0.maxLoans = 1000 }) && Self.refusedField(policy { $0.maxLoans = 1001 }) == .maxLoans)
        #expect(Self.accepted(policy { $0.maxRenewals = 100 }) && Self.refusedField(policy { $0.maxRenewals = 101 }) == .maxRenewals)
        #expect(Self.refusedField(policy { $0.finePerDayCents = 100_000_001 }) == .finePerDay)
        #expect(Self.refusedField(policy { $0.maxFinePerLoanCents = -1 }) == .maxFinePerLoan)
        #expect(Self.refusedField(policy { $0.blockThresholdCents = 100_000_001 }) == .blockThreshold)
        #expect(Self.refusedField(.setPolicy(PolicyKey(tier: "", itemType: .book), .standard)) == .tier)
    }

    @Test func idempotencyKeyLength() {
        #expect(Validation.isValidIdempotencyKey(Self.text(64)))
        #expect(!Validation.isValidIdempotencyKey(Self.text(65)) && !Validation.isValidIdempotencyKey(""))
    }
}
