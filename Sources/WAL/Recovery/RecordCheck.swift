import Engine

/// Structural checks on a decoded batch record, beyond its checksum: what a correct writer
/// never produces is reported as corruption instead of being applied (which could allocate
/// without bound or trap on an id that names nothing).
struct RecordCheck {
    private(set) var nextItemID: UInt64
    private(set) var nextMemberID: UInt64
    private(set) var nextLoanID: UInt64

    init(header: EngineHeader) {
        nextItemID = header.nextItemID
        nextMemberID = header.nextMemberID
        nextLoanID = header.nextLoanID
    }

    /// Nil when the record is consistent with those before it (and then advances); else why not.
    mutating func check(_ record: BatchRecord.Header, events: ArraySlice<Event>) -> String? {
        let commands = UInt64(record.commandCount)
        // Each command takes at most one id of one kind. (No array of the three here: this runs
        // for every record replayed.)
        func counter(_ name: String, _ before: UInt64, _ after: UInt64) -> String? {
            after >= before && after - before <= commands ? nil : "next \(name) id goes from \(before) to \(after) in a batch of \(commands) commands"
        }
        if let problem = counter("item", nextItemID, record.nextItemID) ?? counter("member", nextMemberID, record.nextMemberID)
            ?? counter("loan", nextLoanID, record.nextLoanID)
        {
            return problem
        }
        guard UInt64(events.count) <= 2 * commands else { return "\(events.count) events for \(commands) commands" }
        for event in events {
            if let problem = problem(in: event, record) { return problem }
        }
        (nextItemID, nextMemberID, nextLoanID) = (record.nextItemID, record.nextMemberID, record.nextLoanID)
        return nil
    }

    private func problem(in event: Event, _ record: BatchRecord.Header) -> String? {
        func new(_ id: UInt64, _ before: UInt64, _ after: UInt64, _ name: String) -> String? {
            (before..<after).contains(id) ? nil : "\(name) \(id) created outside this batch's ids \(before)..<\(after)"
        }
        func known(_ id: UInt64, _ after: UInt64, _ name: String) -> String? {
            id >= 1 && id < after ? nil : "\(name) \(id) does not exist"
        }
        switch event {
        case .itemCreated(let item): return new(item.id.rawValue, nextItemID, record.nextItemID, "item")
        case .itemChanged(let item): return known(item.id.rawValue, record.nextItemID, "item")
        case .memberRegistered(let member): return new(member.id.rawValue, nextMemberID, record.nextMemberID, "member")
        case .memberChanged(let profile, _): return known(profile.id.rawValue, record.nextMemberID, "member")
        case .loanCreated(let loan), .loanImported(let loan, _):
            return new(loan.id.rawValue, nextLoanID, record.nextLoanID, "loan") ?? known(loan.member.rawValue, record.nextMemberID, "member")
                ?? known(loan.item.rawValue, record.nextItemID, "item")
        case .loanReturned(let loan, let member, let item, _, _), .loanClosed(let loan, let member, let item, _, _, _):
            return known(loan.rawValue, record.nextLoanID, "loan") ?? known(member.rawValue, record.nextMemberID, "member") ?? known(item.rawValue, record.nextItemID, "item")
        case .loanRenewed(let loan, let member, _, _):
            return known(loan.rawValue, record.nextLoanID, "loan") ?? known(member.rawValue, record.nextMemberID, "member")
        case .finePaid(let member, _), .memberBlocked(let member, _), .memberUnblocked(let member, _): return known(member.rawValue, record.nextMemberID, "member")
        case .holdPlaced(let hold), .holdReady(let hold), .holdEnded(let hold, _):
            return known(hold.member.rawValue, record.nextMemberID, "member") ?? known(hold.item.rawValue, record.nextItemID, "item")
        case .policySet, .keyRemembered: return nil
        }
    }
}
