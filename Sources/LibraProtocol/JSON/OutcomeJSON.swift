import Engine

/// An outcome in JSON: `{"ok": true, ...reply}` or `{"ok": false, "error": {...}}`.
/// The reply's keys depend on its kind: `item`, `member` (+ `loans`), `loan`, `loans` + `next`,
/// `items` + `next`, `members` + `next`, `policy`, `fines`, `hold`, `holds` + `next`, `summary`,
/// `ranking`, `days`, `inventory`.
public struct OutcomeJSON: Encodable, Sendable {
    public var outcome: Outcome

    public init(_ outcome: Outcome) { self.outcome = outcome }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: RequestJSON.Key.self)
        switch outcome {
        case .refused(let refusal):
            try fields.encode(false, forKey: .init("ok"))
            try fields.encode(ErrorJSON(refusal), forKey: .init("error"))
        case .ok(let reply):
            try fields.encode(true, forKey: .init("ok"))
            try ReplyJSON(reply).encode(into: &fields)
        }
    }
}

/// A reply's fields, also the body of a successful HTTP answer.
public struct ReplyJSON: Encodable, Sendable {
    public var reply: Reply

    public init(_ reply: Reply) { self.reply = reply }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: RequestJSON.Key.self)
        try encode(into: &fields)
    }

    func encode(into fields: inout KeyedEncodingContainer<RequestJSON.Key>) throws {
        switch reply {
        case .item(let item): try fields.encode(ItemJSON(item), forKey: .init("item"))
        case .member(let member): try fields.encode(MemberJSON(member), forKey: .init("member"))
        case .memberWithLoans(let member, let loans):
            try fields.encode(MemberJSON(member), forKey: .init("member"))
            try fields.encode(loans.map(LoanJSON.init), forKey: .init("loans"))
        case .loan(let loan): try fields.encode(LoanJSON(loan), forKey: .init("loan"))
        case .loans(let loans, let next):
            try fields.encode(loans.map(LoanJSON.init), forKey: .init("loans"))
            try fields.encode(next?.rawValue, forKey: .init("next"))
        case .items(let items, let next):
            try fields.encode(items.map(ItemJSON.init), forKey: .init("items"))
            try fields.encode(next?.rawValue, forKey: .init("next"))
        case .members(let members, let next):
            try fields.encode(members.map(MemberJSON.init), forKey: .init("members"))
            try fields.encode(next?.rawValue, forKey: .init("next"))
        case .policy(let key, let policy): try fields.encode(PolicyJSON(key, policy), forKey: .init("policy"))
        case .finesOwed(let member, let cents): try fields.encode(FinesJSON(member: member.rawValue, finesOwedCents: cents), forKey: .init("fines"))
        case .hold(let queued): try fields.encode(HoldJSON(queued), forKey: .init("hold"))
        case .summary(let summary): try fields.encode(SummaryJSON(summary), forKey: .init("summary"))
        case .ranking(let ranking): try fields.encode(ranking.map { RankedJSON(id: $0.id, count: $0.count) }, forKey: .init("ranking"))
        case .dailyCounts(let days): try fields.encode(days.map { DayCountJSON(day: CivilDate(day: $0.day).description, count: $0.count) }, forKey: .init("days"))
        case .inventory(let health): try fields.encode(InventoryJSON(health), forKey: .init("inventory"))
        case .searchResults(let hits, let next):
            try fields.encode(hits.map { ScoredItemJSON(score: $0.score, item: ItemJSON($0.item)) }, forKey: .init("results"))
            try fields.encode(next.map(SearchCursorText.text), forKey: .init("next"))
        case .holds(let holds, let next):
            try fields.encode(holds.map(HoldJSON.init), forKey: .init("holds"))
            try fields.encode(next?.rawValue, forKey: .init("next"))
        }
    }
}

public struct FinesJSON: Codable, Sendable, Hashable {
    public var member: UInt64
    public var finesOwedCents: Int64

    enum CodingKeys: String, CodingKey {
        case member
        case finesOwedCents = "fines_owed_cents"
    }
}

/// The JSON payloads of the frame opcodes.
public struct HelloJSON: Codable, Sendable, Hashable {
    public var token: String
    public init(token: String) { self.token = token }
}

public struct BatchJSON: Codable, Sendable, Hashable {
    public var commands: [RequestJSON]
    public init(commands: [RequestJSON]) { self.commands = commands }
}

public struct ResultsJSON: Encodable, Sendable {
    public var results: [OutcomeJSON]
    public init(results: [OutcomeJSON]) { self.results = results }
}

public struct PongJSON: Codable, Sendable, Hashable {
    public var durableLSN: UInt64
    public init(durableLSN: UInt64) { self.durableLSN = durableLSN }
    enum CodingKeys: String, CodingKey { case durableLSN = "durable_lsn" }
}
