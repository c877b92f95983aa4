extension ShardState {
    func getItemStep(item id: ItemID) -> Decision {
        guard let item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        return .decided(.ok(.item(item)), event: nil)
    }

    func getMemberStep(member id: MemberID) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        let member = members[local]
        let active = member.activeLoans.map { loans[loanPosition(member: local, loan: $0.loan)!] }
        return .decided(.ok(.memberWithLoans(member, active)), event: nil)
    }

    /// Keyset pagination over the member's loan history, which is kept in ascending id order.
    func memberLoansStep(member id: MemberID, after: LoanID?, limit: Int32) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        let history = loanHistory[local]
        let start = after.map { cursor in Circulation.firstIndex(in: history, after: cursor) { $0.id } } ?? 0
        let end = min(history.count, start + Int(limit))
        let page = history[start..<end].map { loans[Int($0.position)] }
        let next = end < history.count ? page.last?.id : nil
        return .decided(.ok(.loans(page, next: next)), event: nil)
    }

    /// This shard's overdue loans after the cursor, ascending, at most `limit`.
    func overdueLoansStep(after: LoanID?, limit: Int32, now: Timestamp) -> Decision {
        var overdue: [Loan] = []
        for loan in loans where loan.isActive && loan.dueAt < now && loan.id > (after ?? LoanID(0)) {
            overdue.append(loan)
        }
        overdue.sort { $0.id < $1.id }
        return .overdue(Array(overdue.prefix(Int(limit))))
    }
}

extension Circulation {
    /// The index of the first element whose id is greater than `cursor`, in an array ascending by id.
    static func firstIndex<Element>(in elements: [Element], after cursor: LoanID, id: (Element) -> LoanID) -> Int {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if id(elements[middle]) <= cursor { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
