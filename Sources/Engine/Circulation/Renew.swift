extension ShardState {
    /// Refusals in order: loan not found, not active, member suspended, card expired, blocked by a
    /// librarian, no policy, blocked by fines, too many overdue loans, item on hold (others wait
    /// for it), renewal limit. The new due date
    /// counts from the renewal and never moves earlier.
    mutating func renewLoanStep(loan id: LoanID, position: UInt32, itemOnHold: Bool, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let position = loanPosition(id, position) else { return .refused(Refusal(.loanNotFound)) }
        var loan = loans[position]
        guard loan.isActive else { return .refused(Refusal(.loanNotActive)) }
        let local = ownership.localIndex(of: loan.member)
        let member = members[local]
        guard member.status == .active else { return .refused(Refusal(.memberSuspended)) }
        guard now.day <= member.cardExpiryDay else { return .refused(Refusal(.cardExpired)) }
        guard !isBlocked(local, .renewing, at: now) else { return .refused(Refusal(.memberBlocked)) }
        guard let policy = policies.policy(tier: member.tier, itemType: loan.itemType) else { return .refused(Refusal(.noPolicy)) }
        guard member.finesOwedCents < policy.blockThresholdCents else { return .refused(Refusal(.blockedByFines)) }
        guard !hasTooManyOverdue(local, policy, at: now) else { return .refused(Refusal(.tooManyOverdueLoans)) }
        guard !itemOnHold else { return .refused(Refusal(.itemOnHold)) }
        guard loan.renewals < policy.maxRenewals else { return .refused(Refusal(.renewalLimitReached)) }
        loan.dueAt = max(loan.dueAt, Circulation.dueAt(from: now, loanDays: policy.loanDays))
        loan.renewals += 1
        let event = Event.loanRenewed(id, member: loan.member, dueAt: loan.dueAt, renewals: loan.renewals)
        apply(event, loanPosition: position)
        return .decided(.ok(.loan(loan)), event: event)
    }
}
