/// A shard's entities as captured for a snapshot: values whose storage is shared with the live
/// shard until it next changes them (copy on write), so capturing costs no copying.
struct ShardCapture: Sendable {
    var items: ChunkedArray<Item>
    var members: ChunkedArray<Member>
    var loans: ChunkedArray<Loan>
}

extension ShardState {
    func capture() -> ShardCapture { ShardCapture(items: items, members: members, loans: loans) }

    /// Takes in entities this shard owns. Loans must come in ascending id order, so that each
    /// member's history stays ascending; their positions are the order they arrive in.
    mutating func load(items newItems: [Item], members newMembers: [Member], loans newLoans: [Loan]) {
        for item in newItems { place(item) }
        for member in newMembers { place(member) }
        loans.reserveCapacity(loans.count + newLoans.count)
        for loan in newLoans {
            loanHistory[ownership.localIndex(of: loan.member)].append(LoanSlot(id: loan.id, position: UInt32(loans.count)))
            loans.append(loan)
        }
    }

    mutating func indexEmails(_ entries: [(String, MemberID)]) {
        emails.reserveCapacity(emails.count + entries.count)
        for (email, member) in entries { emails[email] = member }
    }
}

extension Shard {
    func capture() -> ShardCapture { state.capture() }

    /// Loads, from a whole snapshot's entities, those this shard owns (and its part of the
    /// e-mail index). Loans come in ascending id order.
    func loadOwned(items: [Item], members: [Member], loans: [Loan]) {
        let ownership = state.ownership
        let index = state.index
        state.load(
            items: items.filter { ownership.shard(of: $0.id) == index },
            members: members.filter { ownership.shard(of: $0.id) == index },
            loans: loans.filter { ownership.shard(of: $0.member) == index })
        var emails: [(String, MemberID)] = []
        for member in members where ownership.shard(ofEmail: member.email) == index { emails.append((member.email, member.id)) }
        state.indexEmails(emails)
    }

    func load(items: [Item], members: [Member], loans: [Loan], emails: [(String, MemberID)]) {
        state.load(items: items, members: members, loans: loans)
        state.indexEmails(emails)
    }
}
