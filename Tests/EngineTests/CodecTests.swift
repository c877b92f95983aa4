import Engine
import Testing

@Suite struct CodecTests {
    static let item = Item(id: 7, isbn: "9780306406157", title: "Ünïcode títle", author: "A", publisher: "P", year: 1999, type: .media, status: .withdrawn, totalCopies: 3, availableCopies: 1)
    static let member = Member(id: 9, email: "ada@example.org", name: "Ada", tier: "premium", status: .suspended, cardExpiryDay: 21_000, finesOwedCents: 325, activeLoans: [ActiveLoan(loan: 4, item: 7, dueAt: Timestamp(rawValue: 1_701_000_000_000))], blocks: [MemberBlock(id: 12, reason: "card reported stolen", effects: [.borrowing, .holds], placedAt: Timestamp(rawValue: 1_700_000_000_000), expiresAt: nil), MemberBlock(id: 13, reason: "", effects: .renewing, placedAt: Timestamp(rawValue: 5), expiresAt: Timestamp(rawValue: 9))])
    static let loan = Loan(id: 4, item: 7, member: 9, itemType: .media, checkedOutAt: Timestamp(rawValue: 1_700_000_000_000), dueAt: Timestamp(rawValue: 1_701_000_000_000), renewals: 2, returnedAt: Timestamp(rawValue: 1_702_000_000_000), fineCents: 75)
    static let hold = Hold(id: 31, item: 7, member: 9, placedAt: Timestamp(rawValue: 1_700_000_000_000), pickupDays: 7)
    static let readyHold = hold.madeReady(at: Timestamp(rawValue: 1_700_100_000_000))
    static let events: [Event] = [
        .memberBlocked(9, MemberBlock(id: 12, reason: "r", effects: .all, placedAt: Timestamp(rawValue: 3), expiresAt: Timestamp(rawValue: 4))),
        .memberUnblocked(9, block: 12), .holdPlaced(hold),
        .loanClosed(4, member: 9, item: 7, at: Timestamp(rawValue: 77), feeCents: 2500, end: .lost),
        .loanCreated(Loan(id: 4, item: 7, member: 9, itemType: .book, checkedOutAt: Timestamp(rawValue: 1), dueAt: Timestamp(rawValue: 2), returnedAt: Timestamp(rawValue: 3), end: .claimedReturned)), .holdReady(readyHold), .holdEnded(readyHold, .filled), .holdEnded(hold, .cancelled), .holdEnded(readyHold, .expired),
        .keyRemembered(IdempotencyRecord(key: "h", fingerprint: 45, sequence: 20, rememberedAt: Timestamp(rawValue: 8), outcome: .ok(.hold(QueuedHold(hold: hold, position: 3))))),
        .itemCreated(item), .itemChanged(item), .memberRegistered(member),
        .memberChanged(MemberProfile(member), previousEmail: "old@example.org"), .memberChanged(MemberProfile(member), previousEmail: nil),
        .policySet(PolicyKey(tier: "standard", itemType: .book), .premium), .loanCreated(loan),
        .loanCreated(Loan(id: 5, item: 7, member: 9, itemType: .book, checkedOutAt: Timestamp(rawValue: 1), dueAt: Timestamp(rawValue: 2))),
        .loanReturned(4, member: 9, item: 7, returnedAt: Timestamp(rawValue: 99), fineCents: 25),
        .loanRenewed(4, member: 9, dueAt: Timestamp(rawValue: 123), renewals: 1), .finePaid(9, amountCents: 100),
        .loanImported(loan, fineOwed: true),
        .loanImported(Loan(id: 6, item: 7, member: 9, itemType: .periodical, checkedOutAt: Timestamp(rawValue: 1), dueAt: Timestamp(rawValue: 2)), fineOwed: false),
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

    static let pages: [Outcome] = [
        .ok(.items([], next: nil)), .ok(.items([item], next: 7)),
        .ok(.items([Item(id: 8, isbn: "", title: "", author: "", publisher: "", year: 0, type: .book, status: .active, totalCopies: 0, availableCopies: 0), item], next: nil)),
        .ok(.members([], next: nil)), .ok(.members([member], next: 9)),
        .ok(.members([Member(id: 10, email: "", name: "", tier: "", status: .active, cardExpiryDay: 0, finesOwedCents: 0, activeLoans: []), member], next: nil)),
        .ok(.holds([], next: nil)), .ok(.holds([QueuedHold(hold: readyHold, position: 0), QueuedHold(hold: hold, position: 1)], next: 31)),
        .ok(.hold(QueuedHold(hold: hold, position: 2))),
        .ok(.summary(CirculationSummary(items: 1, activeItems: 2, copies: 3, members: 4, activeLoans: 5, overdueLoans: 6, loansEver: 7, openHolds: 8, utilizationPermille: 9))),
        .ok(.searchResults([], next: nil)), .ok(.searchResults([ScoredItem(item: item, score: 105)], next: SearchCursor(score: 105, item: 7))),
        .ok(.ranking([])), .ok(.ranking([RankedCount(id: 3, count: 9), RankedCount(id: 1, count: 2)])), .ok(.dailyCounts([DayCount(day: 20_000, count: 4)])),
        .ok(.inventory(InventoryHealth(neverBorrowed: 2, neverBorrowedSample: [1, 5], allCopiesOut: 0, allCopiesOutSample: []))),
    ]

    /// Pages of items and members (tags 8 and 9), including the shortest encodings at the end.
    @Test func listPagesRoundTrip() throws {
        for outcome in Self.pages {
            var reader = ByteReader(outcome.canonicalBytes)
            #expect(try Outcome(from: &reader) == outcome)
            #expect(reader.isAtEnd)
            let bytes = outcome.canonicalBytes
            for length in 0..<bytes.count {
                var truncated = ByteReader(Array(bytes[0..<length]))
                #expect(throws: DecodingError.self) { try Outcome(from: &truncated) }
            }
        }
        #expect(Outcome.ok(.items([], next: 3)).canonicalBytes == [1, 8, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0])
        #expect(Outcome.ok(.members([], next: nil)).canonicalBytes == [1, 9, 0, 0, 0, 0, 0])
    }

    @Test func eventsRoundTrip() throws {
        for event in Self.events {
            var reader = ByteReader(event.canonicalBytes)
            #expect(try Event(from: &reader) == event)
            #expect(reader.isAtEnd)
        }
    }

    @Test func batchRecordsRoundTrip() throws {
        let record = BatchRecord(
            firstSequence: 100, commandCount: UInt32(Self.events.count), timestamp: Timestamp(rawValue: 77), nextItemID: 8, nextMemberID: 10, nextLoanID: 6,
            events: Self.events, actors: ["a1b2c3d4e5f6", "member-17"],
            sources: [.batchTime(eventCount: 2), EventSource(command: 3, actor: 1, eventCount: 1), EventSource(command: 4, actor: 0, eventCount: UInt32(Self.events.count - 3))])
        #expect(record.sourcesProblem == nil)
        var reader = ByteReader(record.canonicalBytes)
        #expect(try BatchRecord(from: &reader) == record)
        var replaying = ByteReader(record.canonicalBytes)
        let replayed = try BatchRecord(from: &replaying, keepingSources: false)
        #expect(replaying.isAtEnd && replayed.events == record.events && replayed.actors.isEmpty && replayed.sources.isEmpty)
        let attributed = record.attributedEvents()
        #expect(attributed.map(\.event) == Self.events)
        #expect(attributed[0].sequence == nil && attributed[0].actor == nil)
        #expect(attributed[2].sequence == 103 && attributed[2].actor == "member-17")
        #expect(attributed.last!.sequence == 104 && attributed.last!.actor == "a1b2c3d4e5f6")
    }

    /// Sources that do not describe the events are refused on decoding, like any other damage.
    @Test func inconsistentSourcesAreRejected() {
        let cases: [[EventSource]] = [
            EventSource.onePerCommand(Self.events.count - 1),
            [EventSource(command: 0, actor: 0, eventCount: UInt32(Self.events.count - 1)), EventSource(command: 0, actor: 0, eventCount: 1)],
            [EventSource(command: UInt32(Self.events.count + 1), actor: 0, eventCount: UInt32(Self.events.count))],
            [EventSource(command: 0, actor: 1, eventCount: UInt32(Self.events.count))],
            [EventSource(command: 0, actor: 0, eventCount: 1), .batchTime(eventCount: UInt32(Self.events.count - 1))],
            [EventSource(command: 0, actor: 0, eventCount: 0), EventSource(command: 1, actor: 0, eventCount: UInt32(Self.events.count))],
        ]
        for sources in cases {
            let record = BatchRecord(
                firstSequence: 1, commandCount: UInt32(Self.events.count + 1), timestamp: .zero, nextItemID: 8, nextMemberID: 10, nextLoanID: 6, events: Self.events,
                actors: [""], sources: sources)
            #expect(record.sourcesProblem != nil)
            var reader = ByteReader(record.canonicalBytes)
            #expect(throws: DecodingError.self) { try BatchRecord(from: &reader) }
            var replaying = ByteReader(record.canonicalBytes)
            #expect(throws: DecodingError.self) { try BatchRecord(from: &replaying, keepingSources: false) }
        }
    }

    @Test func everyTruncationFailsCleanly() {
        let bytes = BatchRecord(
            firstSequence: 1, commandCount: UInt32(Self.events.count), timestamp: .zero, nextItemID: 8, nextMemberID: 10, nextLoanID: 6, events: Self.events,
            actors: ["token"], sources: EventSource.onePerCommand(Self.events.count)).canonicalBytes
        for length in 0..<bytes.count {
            var reader = ByteReader(Array(bytes[0..<length]))
            #expect(throws: DecodingError.self) { try BatchRecord(from: &reader) }
        }
    }

    /// Replay decodes records into one chunk: the same headers and events as decoding them one
    /// by one, and a record that does not decode leaves the chunk as it was.
    @Test func replayChunksHoldWhatTheRecordsHold() throws {
        let records = (0..<5).map { index in
            let events = Array(Self.events.prefix(index * 3))
            return BatchRecord(
                firstSequence: SequenceNumber(1 + index * 40), commandCount: UInt32(max(1, events.count)), timestamp: Timestamp(rawValue: Int64(index)),
                nextItemID: 8, nextMemberID: 10, nextLoanID: 6, events: events, actors: ["token"],
                sources: events.isEmpty ? [] : EventSource.onePerCommand(events.count))
        }
        var chunk = ReplayChunk()
        for record in records {
            var reader = ByteReader(record.canonicalBytes)
            try chunk.decode(from: &reader)
            #expect(reader.isAtEnd)
        }
        #expect(chunk.count == records.count && chunk.headers == records.map(\.header))
        for (index, record) in records.enumerated() { #expect(Array(chunk.events(of: index)) == record.events) }
        #expect(chunk.events == records.flatMap(\.events))

        // Every truncation of a further record throws and leaves the chunk unchanged.
        let bytes = records[4].canonicalBytes
        for length in 0..<bytes.count {
            var reader = ByteReader(Array(bytes[0..<length]))
            #expect(throws: DecodingError.self) { try chunk.decode(from: &reader) }
            #expect(chunk.count == records.count && chunk.events.count == records.reduce(0) { $0 + $1.events.count })
        }
        chunk.removeLast()
        #expect(chunk.headers == records.dropLast().map(\.header) && chunk.events == records.dropLast().flatMap(\.events))
        #expect(ReplayChunk(records.dropLast()).events == chunk.events)
    }

    @Test func corruptTagsAreRejected() {
        var bytes = Event.finePaid(1, amountCents: 2).canonicalBytes
        bytes[0] = 200
        var reader = ByteReader(bytes)
        #expect(throws: DecodingError.self) { try Event(from: &reader) }
    }
}

/// Decoding of commands and requests (the network's input): exactly what encoding writes, with
/// every string bounded by its field's limit and every malformed input a `DecodingError`.
@Suite struct CommandCodecTests {
    static let policy = Policy(loanDays: 7, maxLoans: 3, maxRenewals: 1, finePerDayCents: 10, maxFinePerLoanCents: 500, blockThresholdCents: 300, maxHolds: 4, pickupDays: 3)

    /// Every command case, with optionals both present and absent.
    static let commands: [Command] = [
        .createItem(ItemDraft(isbn: "978-0-306-40615-7", title: "Ünïcode títle", author: "A", publisher: "", year: 1999, type: .periodical, copies: 3)),
        .updateItem(7, ItemChanges(isbn: "0306406152", title: "T", author: "", publisher: "P", year: -1, type: .media)),
        .updateItem(7, ItemChanges()),
        .withdrawItem(7),
        .addCopies(7, count: 2),
        .removeCopies(7, count: -5),
        .registerMember(MemberDraft(email: "Ada@Example.org", name: "Ada", tier: "premium", cardExpiryDay: 21_000)),
        .updateMember(9, MemberChanges(email: "b@example.org", name: "B", tier: "gold", cardExpiryDay: Int32.min)),
        .updateMember(9, MemberChanges()),
        .suspendMember(9),
        .reinstateMember(9),
        .setPolicy(PolicyKey(tier: "standard", itemType: .book), policy),
        .checkout(member: 9, item: 7),
        .returnLoan(4),
        .renewLoan(4),
        .payFine(9, amountCents: 125),
        .importLoan(LoanImport(member: 9, item: 7, checkedOutAt: Timestamp(rawValue: 1_700_000_000_000), dueAt: Timestamp(rawValue: 1_701_000_000_000))),
        .importLoan(
            LoanImport(
                member: 9, item: 7, checkedOutAt: Timestamp(rawValue: -1), dueAt: Timestamp(rawValue: 5), returnedAt: Timestamp(rawValue: 1_702_000_000_000),
                fineCents: 75, fineOwed: true)),
        .getItem(ItemID(UInt64.max)),
        .getMember(0),
        .memberLoans(9, after: 3, limit: 10),
        .memberLoans(9, after: nil, limit: 0),
        .overdueLoans(after: 12, limit: 1000),
        .overdueLoans(after: nil, limit: -1),
        .listItems(after: 6, limit: 50),
        .listItems(after: nil, limit: 1),
        .listMembers(after: MemberID(UInt64.max), limit: 1000),
        .listMembers(after: nil, limit: 0),
        .placeHold(member: 9, item: 7),
        .cancelHold(31),
        .itemHolds(7, after: 31, limit: 10),
        .itemHolds(7, after: nil, limit: 0),
        .memberHolds(9),
        .blockMember(9, MemberBlockDraft(reason: "card reported stolen", effects: [.borrowing, .holds], expiresAt: Timestamp(rawValue: 1_800_000_000_000))),
        .blockMember(9, MemberBlockDraft(reason: "")),
        .unblockMember(9, block: 12),
        .declareLost(4),
        .claimReturned(4),
        .markMissing(7, count: 2),
        .markFound(7, from: .claimedReturned),
        .analytics(.summary), .analytics(.topItems(limit: 10)), .analytics(.topMembers(limit: 3)),
        .analytics(.dailyCheckouts(fromDay: 20_000, toDay: 20_030)), .analytics(.inventory(limit: 0)),
        .searchCatalog("sïgnals", after: nil, limit: 20), .searchCatalog("", after: SearchCursor(score: -3, item: 9), limit: 0),
    ]

    static let commandTagsKnown: ClosedRange<UInt8> = 1...33

    static func requests(_ command: Command) -> [Request] {
        [Request(command), Request(command, idempotencyKey: ""), Request(command, idempotencyKey: String(repeating: "k", count: Limits.idempotencyKeyBytesMax))]
    }

    static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Request {
        var reader = ByteReader(bytes)
        let request = try Request(from: &reader)
        #expect(reader.isAtEnd)
        return request
    }

    static func decodingError(_ bytes: [UInt8]) -> DecodingError? {
        var reader = ByteReader(bytes)
        do throws(DecodingError) {
            _ = try Command(from: &reader)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyCommandRoundTrips() throws {
        #expect(Set(Self.commands.map(\.name)).count == 33, "a command case is missing from the list")
        for command in Self.commands {
            var reader = ByteReader(command.canonicalBytes)
            #expect(try Command(from: &reader) == command)
            #expect(reader.isAtEnd)
            for request in Self.requests(command) {
                #expect(try Self.decode(request.canonicalBytes) == request)
            }
        }
    }

    /// The admission bound counts a command's bytes without encoding it: the count must be exact.
    @Test func canonicalByteCountsAreExact() {
        for command in Self.commands {
            #expect(command.canonicalByteCount == command.canonicalBytes.count, "\(command.name)")
        }
    }

    /// The request layout: the key as an optional string, then the command's canonical bytes.
    @Test func requestLayoutIsKeyThenCommand() {
        let command = Command.getItem(5)
        #expect(Request(command).canonicalBytes == [0] + command.canonicalBytes)
        #expect(Request(command, idempotencyKey: "ab").canonicalBytes == [1, 2, 0, 0, 0, 0x61, 0x62] + command.canonicalBytes)
    }

    /// The property tests' generated requests: those whose strings are within their bounds
    /// round-trip; the others (the generator sends over-long keys, tiers, ISBNs and
    /// publishers on purpose) fail to decode as invalid.
    @Test(arguments: [UInt64](1...8))
    func generatedRequestsRoundTripOrAreRejected(_ seed: UInt64) throws {
        var scenario = ScenarioGenerator(seed: seed, commandBudget: 400)
        var model = ReferenceModel(configuration: scenario.configuration)
        var rejected = 0
        var total = 0
        while let batch = scenario.nextBatch(model: model) {
            for request in batch.requests {
                total += 1
                #expect(request.command.canonicalByteCount == request.command.canonicalBytes.count)
                if Self.withinBounds(request) {
                    #expect(try Self.decode(request.canonicalBytes) == request)
                } else {
                    rejected += 1
                    #expect(throws: DecodingError.self) { try Self.decode(request.canonicalBytes) }
                }
            }
            _ = model.execute(batch.requests, now: batch.now)
        }
        #expect(rejected < total)
    }

    @Test func everyTruncationFailsCleanly() {
        for command in Self.commands {
            for request in Self.requests(command) {
                let bytes = request.canonicalBytes
                for length in 0..<bytes.count {
                    #expect(throws: DecodingError.self) { try Self.decode(Array(bytes[0..<length])) }
                }
            }
        }
    }

    @Test func unknownTagsAreRejected() {
        for tag in UInt8.min...UInt8.max where !Self.commandTagsKnown.contains(tag) {
            // Followed by enough bytes for any command, so that only the tag is wrong.
            var reader = ByteReader([tag] + [UInt8](repeating: 0, count: 64))
            #expect(throws: DecodingError.invalid("command tag \(tag)", offset: 0)) { try Command(from: &reader) }
        }
    }

    @Test func invalidEnumsAndBooleansAreRejected() {
        // An item type of 4.
        var bytes = Command.createItem(ItemDraft(isbn: "", title: "", author: "", publisher: "", year: 0, type: .book, copies: 0)).canonicalBytes
        bytes[bytes.count - 5] = 4
        var reader = ByteReader(bytes)
        #expect(throws: DecodingError.self) { try Command(from: &reader) }
        // A presence byte of 2 for the cursor.
        bytes = Command.overdueLoans(after: nil, limit: 1).canonicalBytes
        bytes[1] = 2
        reader = ByteReader(bytes)
        #expect(throws: DecodingError.self) { try Command(from: &reader) }
    }

    /// At its limit a string decodes; one byte more is invalid, whatever follows.
    @Test func overLongStringsAreRejected() throws {
        func text(_ bytes: Int) -> String { String(repeating: "x", count: bytes) }
        func draft(isbn: String = "", title: String = "", author: String = "", publisher: String = "") -> Command {
            .createItem(ItemDraft(isbn: isbn, title: title, author: author, publisher: publisher, year: 2000, type: .book, copies: 1))
        }
        func member(email: String = "", name: String = "", tier: String = "") -> Command {
            .registerMember(MemberDraft(email: email, name: name, tier: tier, cardExpiryDay: 0))
        }
        let cases: [(Int, (Int) -> Command)] = [
            (Limits.isbnBytesMax, { draft(isbn: text($0)) }),
            (Limits.titleBytesMax, { draft(title: text($0)) }),
            (Limits.authorBytesMax, { draft(author: text($0)) }),
            (Limits.publisherBytesMax, { draft(publisher: text($0)) }),
            (Limits.isbnBytesMax, { .updateItem(1, ItemChanges(isbn: text($0))) }),
            (Limits.titleBytesMax, { .updateItem(1, ItemChanges(title: text($0))) }),
            (Limits.authorBytesMax, { .updateItem(1, ItemChanges(author: text($0))) }),
            (Limits.publisherBytesMax, { .updateItem(1, ItemChanges(publisher: text($0))) }),
            (Limits.emailBytesMax, { member(email: text($0)) }),
            (Limits.nameBytesMax, { member(name: text($0)) }),
            (Limits.tierBytesMax, { member(tier: text($0)) }),
            (Limits.emailBytesMax, { .updateMember(1, MemberChanges(email: text($0))) }),
            (Limits.nameBytesMax, { .updateMember(1, MemberChanges(name: text($0))) }),
            (Limits.tierBytesMax, { .updateMember(1, MemberChanges(tier: text($0))) }),
            (Limits.tierBytesMax, { .setPolicy(PolicyKey(tier: text($0), itemType: .book), Self.policy) }),
        ]
        for (limit, make) in cases {
            let atLimit = make(limit)
            #expect(try Self.decode(Request(atLimit).canonicalBytes) == Request(atLimit))
            let overLong = make(limit + 1)
            guard case .invalid(let what, _)? = Self.decodingError(overLong.canonicalBytes) else {
                Issue.record("\(overLong.name): a \(limit + 1)-byte string was not refused")
                continue
            }
            #expect(what == "string of \(limit + 1) bytes")
        }
        let keyed = Request(.getItem(1), idempotencyKey: text(Limits.idempotencyKeyBytesMax + 1))
        #expect(throws: DecodingError.invalid("string of 65 bytes", offset: 1)) { try Self.decode(keyed.canonicalBytes) }
        // A declared length far beyond the input is refused by the bound, before anything is read.
        var reader = ByteReader([6, 0xff, 0xff, 0xff, 0xff])
        #expect(throws: DecodingError.invalid("string of 4294967295 bytes", offset: 1)) { try Command(from: &reader) }
    }

    /// Test-side statement of the bounds (independent of the decoder).
    static func withinBounds(_ request: Request) -> Bool {
        func fits(_ text: String?, _ limit: Int) -> Bool { (text?.utf8.count ?? 0) <= limit }
        guard fits(request.idempotencyKey, 64) else { return false }
        switch request.command {
        case .createItem(let draft):
            return fits(draft.isbn, 32) && fits(draft.title, 512) && fits(draft.author, 256) && fits(draft.publisher, 256)
        case .updateItem(_, let changes):
            return fits(changes.isbn, 32) && fits(changes.title, 512) && fits(changes.author, 256) && fits(changes.publisher, 256)
        case .registerMember(let draft):
            return fits(draft.email, 254) && fits(draft.name, 256) && fits(draft.tier, 32)
        case .updateMember(_, let changes):
            return fits(changes.email, 254) && fits(changes.name, 256) && fits(changes.tier, 32)
        case .setPolicy(let key, _):
            return fits(key.tier, 32)
        default:
            return true
        }
    }
}

