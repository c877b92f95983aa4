extension ShardState {
    func getItemStep(item id: ItemID) -> StepVerdict {
        guard let item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        return .decided(.ok(.item(item)), event: nil)
    }

    func getMemberStep(member id: MemberID) -> StepVerdict {
        guard let member = member(id) else { return .refused(Refusal(.memberNotFound)) }
        let active = member.activeLoans.map { loans[$0.loan]! }
        return .decided(.ok(.memberWithLoans(member, active)), event: nil)
    }

    /// Keyset pagination over the member's loan history, which is kept in ascending id order.
    func memberLoansStep(member id: MemberID, after: LoanID?, limit: Int32) -> StepVerdict {
        guard let member = member(id) else { return .refused(Refusal(.memberNotFound)) }
        let history = loanHistory[ownership.localIndex(of: member.id)]
        let start = after.map { cursor in Circulation.firstIndex(in: history, after: cursor) } ?? 0
        let end = min(history.count, start + Int(limit))
        let page = history[start..<end].map { loans[$0]! }
        let next = end < history.count ? page.last?.id : nil
        return .decided(.ok(.loans(page, next: next)), event: nil)
    }

    /// This shard's overdue loans after the cursor, ascending, at most `limit`.
    func overdueLoansStep(after: LoanID?, limit: Int32, now: Timestamp) -> StepVerdict {
        var overdue: [Loan] = []
        for loan in loans.values where loan.isActive && loan.dueAt < now && loan.id > (after ?? LoanID(0)) {
            overdue.append(loan)
        }
        overdue.sort { $0.id < $1.id }
        return .overdue(Array(overdue.prefix(Int(limit))))
    }
}

extension Circulation {
    /// The index of the first id greater than `cursor` in an ascending array.
    static func firstIndex(in ids: [LoanID], after cursor: LoanID) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] <= cursor { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
