extension ShardState {
    func getItemStep(item id: ItemID) -> Decision {
        guard let item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        return .decided(.ok(.item(item)), event: nil)
    }

    /// A loan as reads show it: an active loan past its due time carries the fine accrued by
    /// `now` (what a return now would charge), derived from the batch's time, never stored.
    func shown(_ loan: Loan, now: Timestamp, policies: PolicyTable) -> Loan {
        guard loan.isActive, now > loan.dueAt else { return loan }
        var shown = loan
        let tier = members[ownership.localIndex(of: loan.member)].tier
        shown.fineCents = Circulation.fine(dueAt: loan.dueAt, returnedAt: now, policy: policies.policy(tier: tier, itemType: loan.itemType))
        return shown
    }

    func getMemberStep(member id: MemberID, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        let member = members[local]
        // One walk down the history, newest first, until the oldest active loan: not one walk
        // per active loan.
        var active: [Loan] = []
        active.reserveCapacity(member.activeLoans.count)
        // Active loans are listed ascending by id: the first is the oldest.
        if let oldest = member.activeLoans.first?.loan {
            var position = newestLoanOfMember[local]
            while position != Self.noLoan, active.count < member.activeLoans.count, loans[Int(position)].id >= oldest {
                if loans[Int(position)].isActive { active.append(shown(loans[Int(position)], now: now, policies: policies)) }
                position = previousLoanOfMember[Int(position)]
            }
            precondition(active.count == member.activeLoans.count, "member \(id): \(member.activeLoans.count) active loans, \(active.count) in the history")
            active.sort { $0.id < $1.id }
        }
        return .decided(.ok(.memberWithLoans(member, active)), event: nil)
    }

    /// Keyset pagination over the member's loan history, ascending by id. The history is a
    /// chain from the newest loan back, so a page walks every loan after the cursor: the cost
    /// grows with the member's loans after it (a few hundred for the heaviest borrowers of
    /// ten years), not with the library's.
    func memberLoansStep(member id: MemberID, after: LoanID?, limit: Int32, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        let cursor = after ?? LoanID(0)
        var newerFirst: [UInt32] = []
        var position = newestLoanOfMember[local]
        while position != Self.noLoan, loans[Int(position)].id > cursor {
            newerFirst.append(position)
            position = previousLoanOfMember[Int(position)]
        }
        let count = min(newerFirst.count, Int(limit))
        let page = newerFirst.reversed().prefix(count).map { shown(loans[Int($0)], now: now, policies: policies) }
        let next = newerFirst.count > count ? page.last?.id : nil
        return .decided(.ok(.loans(page, next: next)), event: nil)
    }

    /// This shard's overdue loans after the cursor, ascending, at most `limit`.
    func overdueLoansStep(after: LoanID?, limit: Int32, now: Timestamp, policies: PolicyTable) -> Decision {
        var overdue: [Loan] = []
        for loan in loans where loan.isActive && loan.dueAt < now && loan.id > (after ?? LoanID(0)) {
            overdue.append(loan)
        }
        overdue.sort { $0.id < $1.id }
        return .overdue(overdue.prefix(Int(limit)).map { shown($0, now: now, policies: policies) })
    }

    /// This shard's first `limit` items with ids above the cursor, ascending. Items sit at local
    /// index id / shardCount, so the first candidate's slot is computed, not searched for, and
    /// the walk reads only the slots it returns: item ids have no gaps (a `create_item` that
    /// takes an id always succeeds), so the cost is the same at any depth.
    func listItemsStep(after cursor: ItemID?, limit: Int32) -> Decision {
        var page: [Item] = []
        page.reserveCapacity(Int(limit))
        var local = ownership.firstLocalIndex(after: cursor?.rawValue ?? 0, onShard: index)
        while local < items.count && page.count < Int(limit) {
            // A placeholder: id 0 (local index 0 of shard 0), never an item.
            if items[local].id.rawValue != 0 { page.append(items[local]) }
            local += 1
        }
        return .items(page)
    }

    /// This shard's first `limit` members with ids above the cursor, ascending. Refused
    /// registrations leave empty slots (their id was taken), so the walk goes through the
    /// ascending list of occupied slots instead: a binary search for the cursor, then exactly
    /// the members returned.
    func listMembersStep(after cursor: MemberID?, limit: Int32) -> Decision {
        let first = ownership.firstLocalIndex(after: cursor?.rawValue ?? 0, onShard: index)
        var position = Circulation.firstIndex(in: occupiedMemberSlots, notBelow: first)
        var page: [Member] = []
        page.reserveCapacity(Int(limit))
        while position < occupiedMemberSlots.count && page.count < Int(limit) {
            page.append(members[Int(occupiedMemberSlots[position])])
            position += 1
        }
        return .members(page)
    }
}

extension Circulation {
    /// The index of the first element not below `bound`, in an ascending collection.
    static func firstIndex<Elements: RandomAccessCollection<UInt32>>(in elements: Elements, notBelow bound: Int) -> Int where Elements.Index == Int {
        var low = elements.startIndex
        var high = elements.endIndex
        while low < high {
            let middle = (low + high) / 2
            if Int(elements[middle]) < bound { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension ShardState {
    /// This shard's first `limit` hits after the cursor, with their items.
    /// Indexes the items created or changed since the last catch-up (their current state).
    mutating func catchUpCatalog() {
        guard catalog != nil, !catalogPending.isEmpty else { return }
        for id in catalogPending {
            if let local = itemIndex(id), items[local].status == .active { catalog!.upsert(items[local]) } else { catalog!.remove(id) }
        }
        catalogPending.removeAll(keepingCapacity: true)
    }

    /// Builds the index first if it is not there yet (a search right after a snapshot loaded),
    /// or brings it up to date with the items created or changed since the last search.
    mutating func searchStep(_ query: String, after: SearchCursor?, limit: Int32) -> Decision {
        if catalog == nil {
            catalog = CatalogIndex(items.lazy.filter { $0.id.rawValue != 0 && $0.status == .active })
            catalogPending.removeAll()
        } else {
            catchUpCatalog()
        }
        let hits = catalog!.search(query, after: after, limit: Int(limit))
        return .hits(hits.compactMap { hit in item(hit.item).map { ScoredItem(item: $0, score: hit.score) } })
    }
}
