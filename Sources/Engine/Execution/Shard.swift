/// A partition of items, members, loans and the e-mail index. The coordinator visits a shard
/// once per wave with all of that wave's work for it, never once per command.
actor Shard {
    private var state: ShardState

    init(index: Int, ownership: Ownership) {
        state = ShardState(index: index, ownership: ownership)
    }

    func run(_ work: ShardWork) -> [StepResult] {
        for event in work.events { state.apply(event) }
        var results: [StepResult] = []
        results.reserveCapacity(work.steps.count)
        let now = work.now
        let policies = work.policies
        for step in work.steps {
            switch step {
            case .checkoutMember(let slot, let member, let item, let itemType):
                results.append(StepResult(slot: slot, role: .primary, verdict: state.checkoutMemberStep(member: member, item: item, itemType: itemType, now: now, policies: policies)))
            case .checkoutItem(let slot, let item):
                results.append(StepResult(slot: slot, role: .secondary, verdict: state.checkoutItemStep(item: item)))
            case .returnLoan(let slot, let loan, _):
                results.append(StepResult(slot: slot, verdict: state.returnLoanStep(loan: loan, now: now, policies: policies)))
            case .renewLoan(let slot, let loan, _):
                results.append(StepResult(slot: slot, verdict: state.renewLoanStep(loan: loan, now: now, policies: policies)))
            case .payFine(let slot, let member, let amount):
                results.append(StepResult(slot: slot, verdict: state.payFineStep(member: member, amountCents: amount)))
            case .createItem(let slot, let item):
                results.append(StepResult(slot: slot, verdict: state.createItemStep(item)))
            case .updateItem(let slot, let item, let changes):
                results.append(StepResult(slot: slot, verdict: state.updateItemStep(item: item, changes: changes)))
            case .withdrawItem(let slot, let item):
                results.append(StepResult(slot: slot, verdict: state.withdrawItemStep(item: item)))
            case .addCopies(let slot, let item, let count):
                results.append(StepResult(slot: slot, verdict: state.addCopiesStep(item: item, count: count)))
            case .removeCopies(let slot, let item, let count):
                results.append(StepResult(slot: slot, verdict: state.removeCopiesStep(item: item, count: count)))
            case .registerMember(let slot, let member):
                results.append(StepResult(slot: slot, verdict: state.registerMemberStep(member, policies: policies)))
            case .changeMember(let slot, let member, let change):
                results.append(StepResult(slot: slot, role: .primary, verdict: state.changeMemberStep(member: member, change: change, policies: policies)))
            case .claimEmail(let slot, let email, let member):
                results.append(StepResult(slot: slot, role: .secondary, verdict: state.claimEmailStep(email: email, member: member)))
            case .getItem(let slot, let item):
                results.append(StepResult(slot: slot, verdict: state.getItemStep(item: item)))
            case .getMember(let slot, let member):
                results.append(StepResult(slot: slot, verdict: state.getMemberStep(member: member)))
            case .memberLoans(let slot, let member, let after, let limit):
                results.append(StepResult(slot: slot, verdict: state.memberLoansStep(member: member, after: after, limit: limit)))
            case .overdueLoans(let slot, let after, let limit):
                results.append(StepResult(slot: slot, verdict: state.overdueLoansStep(after: after, limit: limit, now: now)))
            }
        }
        return results
    }

    func digest() -> StateDigester { state.digest() }

    func invariantReport() -> ShardInvariantReport { state.invariantReport() }

    func counts() -> EngineCounts { state.counts() }
}
