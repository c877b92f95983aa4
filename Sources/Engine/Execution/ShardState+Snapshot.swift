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
        settleMemberSlots()
        loans.reserveCapacity(loans.count + newLoans.count)
        for loan in newLoans {
            appendLoan(loan, memberIndex: ownership.localIndex(of: loan.member))
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
        // Placed straight from the shared arrays: filtering into lists first would copy every
        // record (and retain its strings) twice.
        let ownership = state.ownership
        let index = state.index
        for item in items where ownership.shard(of: item.id) == index { state.place(item) }
        // The search index is built beside the commands, once recovery has replayed the log
        // (`buildCatalogInBackground`), not before the first command: loading a snapshot and
        // replaying stay fast. A search that comes first builds it itself (see `searchStep`).
        state.catalog = nil
        state.catalogPending.removeAll()
        state.emails.reserveCapacity(members.count / ownership.shardCount + 1)
        for member in members {
            if ownership.shard(of: member.id) == index { state.place(member) }
            if ownership.shard(ofEmail: member.email) == index { state.emails[member.email] = member.id }
        }
        state.settleMemberSlots()
        state.load(items: [], members: [], loans: loans.filter { ownership.shard(of: $0.member) == index })
    }

    /// Starts building the search index in the background when there is none (after a snapshot
    /// loaded), from the items as they stand now. Commands go on meanwhile; the index is taken
    /// only if no item changed before it is ready (else the first search builds it).
    func buildCatalogInBackground() {
        guard state.catalog == nil else { return }
        // Shares the chunks with the live shard until it changes them (copy on write).
        let items = state.items
        let generation = state.itemEvents
        Task.detached(priority: .utility) { [weak self] in
            let built = CatalogIndex(items.lazy.filter { $0.id.rawValue != 0 && $0.status == .active })
            await self?.install(built, generation: generation)
        }
    }

    /// Takes a search index built in the background, unless items changed meanwhile or a search
    /// has built one since.
    private func install(_ catalog: CatalogIndex, generation: UInt64) {
        guard state.catalog == nil, state.itemEvents == generation else { return }
        state.catalog = catalog
        state.catalogPending.removeAll()
    }

    func load(items: [Item], members: [Member], loans: [Loan], emails: [(String, MemberID)]) {
        state.load(items: items, members: members, loans: loans)
        state.indexEmails(emails)
    }
}
