/// A partition of items, members, loans and the e-mail index. The coordinator visits a shard
/// once per wave with all of that wave's work for it, never once per command.
actor Shard {
    var state: ShardState

    init(index: Int, ownership: Ownership) {
        state = ShardState(index: index, ownership: ownership)
    }

    func run(_ work: ShardWork) -> ShardReply {
        // Work on a local: mutations of a stored property would each pay a dynamic
        // exclusivity check. Swapping moves the storage without copying it.
        var state = ShardState(index: self.state.index, ownership: self.state.ownership)
        swap(&state, &self.state)
        defer { swap(&state, &self.state) }
        for item in work.releases { state.releaseCopy(item: item) }
        for item in work.holdShelfReleases { state.releaseCopy(item: item, toHoldShelf: true) }
        let events = work.events
        let copiesReserved = work.copiesReserved
        for start in stride(from: 0, to: events.count, by: ShardState.warmRun) {
            let run = start..<min(start + ShardState.warmRun, events.count)
            state.warm(events: events, run, copiesReserved: copiesReserved)
            for index in run {
                let known = index < work.eventLoanPositions.count && work.eventLoanPositions[index] != .max ? Int(work.eventLoanPositions[index]) : nil
                state.apply(events[index], loanPosition: known, copyReserved: copiesReserved)
            }
        }
        // Before any step lists members; and again after the steps, which may register some.
        state.settleMemberSlots()
        var reply = ShardReply()
        // One result per step, and at most one outcome and one event.
        reply.results.reserveCapacity(work.steps.count)
        reply.outcomes.reserveCapacity(work.steps.count)
        reply.events.reserveCapacity(work.steps.count)
        let now = work.now
        let policies = work.policies
        let steps = work.steps
        let importTerms = work.importTerms
        for start in stride(from: 0, to: steps.count, by: ShardState.warmRun) {
            let run = start..<min(start + ShardState.warmRun, steps.count)
            state.warm(steps: steps, run)
            for index in run { perform(steps[index], on: &state, now: now, policies: policies, importTerms: importTerms, into: &reply) }
        }
        state.settleMemberSlots()
        return reply
    }

    @inline(__always) private func perform(
        _ step: ShardStep, on state: inout ShardState, now: Timestamp, policies: PolicyTable, importTerms: [ImportTerms], into reply: inout ShardReply
    ) {
        switch step {
        case .importMember(let slot, let member, let item, let terms):
            reply.record(slot, .primary, state.importMemberStep(member: member, item: item, terms: importTerms[Int(terms)], policies: policies))
        case .checkoutMember(let slot, let member, let item, let itemType):
            reply.record(slot, .primary, state.checkoutMemberStep(member: member, item: item, itemType: itemType, now: now, policies: policies))
        case .checkout(let slot, let loan, let member, let item, let fromHoldShelf):
            reply.record(slot, .primary, state.checkoutStep(loan: loan, member: member, item: item, fromHoldShelf: fromHoldShelf, now: now, policies: policies))
        case .checkoutItem(let slot, let item, let fromHoldShelf):
            reply.record(slot, .secondary, state.checkoutItemStep(item: item, fromHoldShelf: fromHoldShelf))
        case .holdMember(let slot, let request):
            reply.record(slot, .primary, state.holdMemberStep(request, now: now, policies: policies))
        case .holdItem(let slot, let item):
            reply.record(slot, .secondary, state.holdItemStep(item: item))
        case .returnLoan(let slot, let loan, let index):
            reply.record(slot, .primary, state.returnLoanStep(loan: loan, position: index, now: now, policies: policies))
        case .renewLoan(let slot, let loan, let index, let itemOnHold):
            reply.record(slot, .primary, state.renewLoanStep(loan: loan, position: index, itemOnHold: itemOnHold, now: now, policies: policies))
        case .closeLoan(let slot, let loan, let index, let end):
            reply.record(slot, .primary, state.closeLoanStep(loan: loan, position: index, end: end, now: now, policies: policies))
        case .markMissing(let slot, let item, let count):
            reply.record(slot, .primary, state.markMissingStep(item: item, count: count))
        case .markFound(let slot, let item, let from):
            reply.record(slot, .primary, state.markFoundStep(item: item, from: from))
        case .payFine(let slot, let member, let amount):
            reply.record(slot, .primary, state.payFineStep(member: member, amountCents: amount))
        case .createItem(let slot, let item):
            reply.record(slot, .primary, state.createItemStep(item))
        case .updateItem(let slot, let item, let changes):
            reply.record(slot, .primary, state.updateItemStep(item: item, changes: changes))
        case .withdrawItem(let slot, let item):
            reply.record(slot, .primary, state.withdrawItemStep(item: item))
        case .addCopies(let slot, let item, let count):
            reply.record(slot, .primary, state.addCopiesStep(item: item, count: count))
        case .removeCopies(let slot, let item, let count):
            reply.record(slot, .primary, state.removeCopiesStep(item: item, count: count))
        case .registerMember(let slot, let member):
            reply.record(slot, .primary, state.registerMemberStep(member, policies: policies))
        case .changeMember(let slot, let member, let change):
            reply.record(slot, .primary, state.changeMemberStep(member: member, change: change, policies: policies))
        case .claimEmail(let slot, let email, let member):
            reply.record(slot, .secondary, state.claimEmailStep(email: email, member: member))
        case .blockMember(let slot, let member, let block):
            reply.record(slot, .primary, state.blockMemberStep(member: member, block: block))
        case .unblockMember(let slot, let member, let block):
            reply.record(slot, .primary, state.unblockMemberStep(member: member, block: block))
        case .getItem(let slot, let item):
            reply.record(slot, .primary, state.getItemStep(item: item))
        case .getMember(let slot, let member):
            reply.record(slot, .primary, state.getMemberStep(member: member, now: now, policies: policies))
        case .memberLoans(let slot, let member, let after, let limit):
            reply.record(slot, .primary, state.memberLoansStep(member: member, after: after, limit: limit, now: now, policies: policies))
        case .overdueLoans(let slot, let after, let limit):
            reply.record(slot, .primary, state.overdueLoansStep(after: after, limit: limit, now: now, policies: policies))
        case .listItems(let slot, let after, let limit):
            reply.record(slot, .primary, state.listItemsStep(after: after, limit: limit))
        case .searchCatalog(let slot, let query, let after, let limit):
            reply.record(slot, .primary, state.searchStep(query, after: after, limit: limit))
        case .listMembers(let slot, let after, let limit):
            reply.record(slot, .primary, state.listMembersStep(after: after, limit: limit))
        }
    }

    var hasSearchIndex: Bool { state.catalog != nil }

    func digest() -> StateDigester { state.digest() }

    func invariantReport() -> ShardInvariantReport { state.invariantReport() }

    func counts() -> EngineCounts { state.counts() }
}
