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
