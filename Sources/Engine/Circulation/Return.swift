extension ShardState {
    /// Decided on the member's shard, which holds the loan; the item's shard gets the event.
    /// Returns are accepted from any member in any standing: the copy is back either way.
    mutating func returnLoanStep(loan id: LoanID, position: UInt32, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let position = loanPosition(id, position) else { return .refused(Refusal(.loanNotFound)) }
        var loan = loans[position]
        guard loan.isActive else { return .refused(Refusal(.loanNotActive)) }
        let tier = members[ownership.localIndex(of: loan.member)].tier
        let fine = Circulation.fine(dueAt: loan.dueAt, returnedAt: now, policy: policies.policy(tier: tier, itemType: loan.itemType))
        let event = Event.loanReturned(id, member: loan.member, item: loan.item, returnedAt: now, fineCents: fine)
        apply(event, loanPosition: position)
        loan.returnedAt = now
        loan.fineCents = fine
        return .decided(.ok(.loan(loan)), event: event)
    }
}

extension ShardState {
    /// A loan ended as lost or claimed returned: decided on the member's shard, like a return.
    /// A lost loan charges the policy's lost-item fee (policy for the member's tier now and the
    /// loan's item type; none means no fee) instead of an overdue fine; a claim charges nothing.
    mutating func closeLoanStep(loan id: LoanID, position: UInt32, end: LoanEnd, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let position = loanPosition(id, position) else { return .refused(Refusal(.loanNotFound)) }
        var loan = loans[position]
        guard loan.isActive else { return .refused(Refusal(.loanNotActive)) }
        let tier = members[ownership.localIndex(of: loan.member)].tier
        let fee = end == .lost ? policies.policy(tier: tier, itemType: loan.itemType)?.lostItemFeeCents ?? 0 : 0
        let event = Event.loanClosed(id, member: loan.member, item: loan.item, at: now, feeCents: fee, end: end)
        apply(event, loanPosition: position)
        loan.returnedAt = now
        loan.end = end
        loan.fineCents = fee
        return .decided(.ok(.loan(loan)), event: event)
    }
}
