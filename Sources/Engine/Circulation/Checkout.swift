/// Checkout: a two-shard saga (member step, item step, loan event) when the member and the item
/// live on different shards, else one `checkoutStep` on their shard. Refusals are checked in
/// this order, whichever path and shard finds them:
/// member not found, suspended, card expired, blocked by a librarian; item not found, withdrawn;
/// no policy, blocked by fines, too many overdue loans, loan limit reached, already holds the
/// item; no copy available.
extension ShardState {
    /// Step 1, on the member's shard. `itemType` is nil when the item does not exist, and then
    /// only the member's own standing is checked (the item's refusal outranks the rest).
    func checkoutMemberStep(member id: MemberID, item: ItemID, itemType: ItemType?, now: Timestamp, policies: PolicyTable) -> Decision {
        // Fields are read in place (members[local].x): binding the record would copy it.
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        guard members[local].status == .active else { return .refused(Refusal(.memberSuspended)) }
        guard now.day <= members[local].cardExpiryDay else { return .refused(Refusal(.cardExpired)) }
        guard !isBlocked(local, .borrowing, at: now) else { return .refused(Refusal(.memberBlocked)) }
        guard let itemType else { return .cleared(dueAt: now) }
        guard let policy = policies.policy(tier: members[local].tier, itemType: itemType) else { return .refused(Refusal(.noPolicy)) }
        guard members[local].finesOwedCents < policy.blockThresholdCents else { return .refused(Refusal(.blockedByFines)) }
        guard !hasTooManyOverdue(local, policy, at: now) else { return .refused(Refusal(.tooManyOverdueLoans)) }
        guard members[local].activeLoans.count < Int(policy.maxLoans) else { return .refused(Refusal(.loanLimitReached)) }
        guard !members[local].activeLoans.contains(where: { $0.item == item }) else { return .refused(Refusal(.alreadyHoldsItem)) }
        return .cleared(dueAt: Circulation.dueAt(from: now, loanDays: policy.loanDays))
    }

    /// Step 2, on the item's shard: reserve a copy by taking it off the shelf now. The copy is
    /// the item's part of the loan event (step 3), so that event need not visit this shard
    /// again; if step 1 refuses, the coordinator sends a release (`ShardWork.releases`) that
    /// puts it back before anything else can see the item (the wave schedule gives this command
    /// the item to itself until its next wave). Replay applies the loan event's item part
    /// instead, so both paths end in the same state.
    ///
    /// `fromHoldShelf`: the member collects the copy set aside for their ready hold (the
    /// coordinator knows the hold); it comes off the hold shelf instead of the shelf.
    mutating func checkoutItemStep(item id: ItemID, fromHoldShelf: Bool = false) -> Decision {
        guard let local = itemIndex(id) else { return .refused(Refusal(.itemNotFound)) }
        if let refusal = checkoutItemRefusal(local, fromHoldShelf: fromHoldShelf) { return .refused(refusal) }
        takeCopy(local, fromHoldShelf: fromHoldShelf)
        return .cleared(dueAt: .zero)
    }

    /// The item's refusals of a checkout, for an item in this slot: withdrawn, then no copy on
    /// the shelf (a ready hold's copy waits on the hold shelf, so it needs none). Shared by the
    /// two-shard saga's step 2 and the one-shard `checkoutStep`, so the two cannot drift.
    @inline(__always) func checkoutItemRefusal(_ local: Int, fromHoldShelf: Bool) -> Refusal? {
        guard items[local].status == .active else { return Refusal(.itemWithdrawn) }
        guard fromHoldShelf || items[local].availableCopies > 0 else { return Refusal(.noCopyAvailable) }
        return nil
    }

    /// Takes the checkout's copy: off the hold shelf for a ready hold, else off the shelf.
    @inline(__always) mutating func takeCopy(_ local: Int, fromHoldShelf: Bool) {
        if fromHoldShelf {
            precondition(items[local].awaitingPickup > 0, "item \(items[local].id): a ready hold without a copy on the hold shelf")
            items[local].awaitingPickup -= 1
        } else {
            items[local].availableCopies -= 1
        }
    }

    /// The whole saga in one step, when the member and the item live on this shard (with two
    /// shards, half of all checkouts): both checks, the refusal order of `combineCheckout`, and
    /// on success the loan event applied here. The coordinator only records the loan; nothing
    /// is forwarded, and no copy is reserved and then released.
    mutating func checkoutStep(loan id: LoanID, member: MemberID, item: ItemID, fromHoldShelf: Bool, now: Timestamp, policies: PolicyTable) -> Decision {
        let itemLocal = itemIndex(item)
        let itemType = itemLocal.map { items[$0].type }
        let memberDecision = checkoutMemberStep(member: member, item: item, itemType: itemType, now: now, policies: policies)
        let memberRefusal: Refusal? = if case .refused(let refusal) = memberDecision { refusal } else { nil }
        let itemRefusal = if let itemLocal { checkoutItemRefusal(itemLocal, fromHoldShelf: fromHoldShelf) } else { Refusal(.itemNotFound) }
        if let refusal = Circulation.combineCheckout(memberRefusal: memberRefusal, itemRefusal: itemRefusal) { return .refused(refusal) }
        guard case .cleared(let dueAt) = memberDecision, let itemLocal, let itemType else { preconditionFailure("cleared checkout without due date or item") }
        // The copy, then the loan: the same state as the two-shard saga's reservation and event.
        takeCopy(itemLocal, fromHoldShelf: fromHoldShelf)
        let loan = Loan(id: id, item: item, member: member, itemType: itemType, checkedOutAt: now, dueAt: dueAt)
        let event = Event.loanCreated(loan)
        apply(event, copyReserved: true)
        return .decided(.ok(.loan(loan)), event: event)
    }

    /// Undoes a reservation whose checkout was refused by the member's step.
    mutating func releaseCopy(item id: ItemID, toHoldShelf: Bool = false) {
        if toHoldShelf {
            items[ownership.localIndex(of: id)].awaitingPickup += 1
        } else {
            items[ownership.localIndex(of: id)].availableCopies += 1
        }
    }
}

extension ShardState {
    /// Whether a librarian's block in force stops `effect` for the member in this slot.
    @inline(__always) func isBlocked(_ local: Int, _ effect: BlockEffects, at now: Timestamp) -> Bool {
        members[local].blocks.isEmpty ? false : members[local].blocks.contains { $0.stops(effect, at: now) }
    }

    /// Whether the member has the policy's number of overdue loans or more (never, at 0).
    @inline(__always) func hasTooManyOverdue(_ local: Int, _ policy: Policy, at now: Timestamp) -> Bool {
        guard policy.overdueBlockLoans > 0 else { return false }
        var overdue: Int32 = 0
        for active in members[local].activeLoans where active.dueAt < now { overdue += 1 }
        return overdue >= policy.overdueBlockLoans
    }
}

enum Circulation {
    /// Loans fall due at the end of the UTC day `loanDays` after the day they start.
    static func dueAt(from start: Timestamp, loanDays: Int32) -> Timestamp {
        Timestamp.endOfDay(start.day + loanDays)
    }

    /// Whole days late x the daily fine, capped per loan. Returning on the due day costs nothing.
    static func fine(dueAt: Timestamp, returnedAt: Timestamp, policy: Policy?) -> Int64 {
        guard let policy, returnedAt > dueAt else { return 0 }
        let daysLate = Int64(returnedAt.day - dueAt.day)
        return min(daysLate * policy.finePerDayCents, policy.maxFinePerLoanCents)
    }

    /// Combines the two steps of a checkout (or of placing a hold) by the refusal order above:
    /// the member's standing, the item's existence and status, the member's limits, and last
    /// the copy (none free for a checkout; one free, for a hold).
    static func combineCheckout(member: StepVerdict, item: StepVerdict) -> Refusal? {
        let memberRefusal: Refusal? = if case .refused(let refusal) = member { refusal } else { nil }
        let itemRefusal: Refusal? = if case .refused(let refusal) = item { refusal } else { nil }
        return combineCheckout(memberRefusal: memberRefusal, itemRefusal: itemRefusal)
    }

    static func combineCheckout(memberRefusal: Refusal?, itemRefusal: Refusal?) -> Refusal? {
        if let memberRefusal {
            switch memberRefusal.code {
            case .memberNotFound, .memberSuspended, .cardExpired, .memberBlocked: return memberRefusal
            default: break
            }
        }
        if let itemRefusal, itemRefusal.code != .noCopyAvailable && itemRefusal.code != .copyAvailable { return itemRefusal }
        return memberRefusal ?? itemRefusal
    }
}
