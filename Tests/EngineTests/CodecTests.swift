import Engine
import Testing

@Suite struct CodecTests {
    static let item = Item(id: 7, isbn: "9780306406157", title: "Ünïcode títle", author: "A", publisher: "P", year: 1999, type: .media, status: .withdrawn, totalCopies: 3, availableCopies: 1)
    static let member = Member(id: 9, email: "ada@example.org", name: "Ada", tier: "premium", status: .suspended, cardExpiryDay: 21_000, finesOwedCents: 325, activeLoans: [ActiveLoan(loan: 4, item: 7)])
    static let loan = Loan(id: 4, item: 7, member: 9, itemType: .media, checkedOutAt: Timestamp(rawValue: 1_700_000_000_000), dueAt: Timestamp(rawValue: 1_701_000_000_000), renewals: 2, returnedAt: Timestamp(rawValue: 1_702_000_000_000), fineCents: 75)
    static let events: [Event] = [
        .itemCreated(item), .itemChanged(item), .memberRegistered(member),
        .memberChanged(MemberProfile(member), previousEmail: "old@example.org"), .memberChanged(MemberProfile(member), previousEmail: nil),
        .policySet(PolicyKey(tier: "standard", itemType: .book), .premium), .loanCreated(loan),
        .loanCreated(Loan(id: 5, item: 7, member: 9, itemType: .book, checkedOutAt: Timestamp(rawValue: 1), dueAt: Timestamp(rawValue: 2))),
        .loanReturned(4, member: 9, item: 7, returnedAt: Timestamp(rawValue: 99), fineCents: 25),
        .loanRenewed(4, member: 9, dueAt: Timestamp(rawValue: 123), renewals: 1), .finePaid(9, amountCents: 100),
        .keyRemembered(IdempotencyRecord(key: "k", fingerprint: 42, sequence: 17, rememberedAt: Timestamp(rawValue: 5), outcome: .ok(.loans([loan], next: 4)))),
        .keyRemembered(IdempotencyRecord(key: "k2", fingerprint: 43, sequence: 18, rememberedAt: Timestamp(rawValue: 6), outcome: .refused(.invalid(.isbn)))),
        .keyRemembered(IdempotencyRecord(key: "k3", fingerprint: 44, sequence: 19, rememberedAt: Timestamp(rawValue: 7), outcome: .ok(.memberWithLoans(member, [loan])))),
    ]

    /// Replies listing active loans (the shortest loan encoding) at the very end of the input.
    @Test func repliesWithActiveLoansRoundTrip() throws {
        let active = Loan(id: 8, item: 7, member: 9, itemType: .book, checkedOutAt: Timestamp(rawValue: 1), dueAt: Timestamp(rawValue: 2))
        for outcome: Outcome in [.ok(.loans([active], next: nil)), .ok(.memberWithLoans(Self.member, [active])), .ok(.loans([active, Self.loan], next: 4))] {
            var reader = ByteReader(outcome.canonicalBytes)
            #expect(try Outcome(from: &reader) == outcome)
            #expect(reader.isAtEnd)
        }
    }

    @Test func eventsRoundTrip() throws {
        for event in Self.events {
            var reader = ByteReader(event.canonicalBytes)
            #expect(try Event(from: &reader) == event)
            #expect(reader.isAtEnd)
        }
    }

    @Test func batchRecordsRoundTrip() throws {
        let record = BatchRecord(firstSequence: 100, commandCount: 20, timestamp: Timestamp(rawValue: 77), nextItemID: 8, nextMemberID: 10, nextLoanID: 6, events: Self.events)
        var reader = ByteReader(record.canonicalBytes)
        #expect(try BatchRecord(from: &reader) == record)
    }

    @Test func everyTruncationFailsCleanly() {
        let bytes = BatchRecord(firstSequence: 1, commandCount: 3, timestamp: .zero, nextItemID: 8, nextMemberID: 10, nextLoanID: 6, events: Self.events).canonicalBytes
        for length in 0..<bytes.count {
            var reader = ByteReader(Array(bytes[0..<length]))
            #expect(throws: DecodingError.self) { try BatchRecord(from: &reader) }
        }
    }

    @Test func corruptTagsAreRejected() {
        var bytes = Event.finePaid(1, amountCents: 2).canonicalBytes
        bytes[0] = 200
        var reader = ByteReader(bytes)
        #expect(throws: DecodingError.self) { try Event(from: &reader) }
    }
}
