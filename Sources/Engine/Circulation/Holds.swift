/// Placing a hold, as a two-shard saga like checkout. Refusals in order: member not found,
/// suspended, card expired, blocked by a librarian; item not found, withdrawn; no policy, blocked
/// by fines, too many overdue loans, already has the item on loan, already has a hold on it, hold
/// limit reached; a copy is on the shelf.
/// The hold book itself (queues, readiness, pickup deadlines) is the coordinator's.
extension ShardState {
    /// Step 1, on the member's shard. `request.itemType` is nil when the item does not exist,
    /// and then only the member's own standing is checked (the item's refusal outranks the rest).
    func holdMemberStep(_ request: HoldRequest, now: Timestamp, policies: PolicyTable) -> Decision {
        guard let local = memberIndex(request.member) else { return .refused(Refusal(.memberNotFound)) }
        guard members[local].status == .active else { return .refused(Refusal(.memberSuspended)) }
        guard now.day <= members[local].cardExpiryDay else { return .refused(Refusal(.cardExpired)) }
        guard !isBlocked(local, .holds, at: now) else { return .refused(Refusal(.memberBlocked)) }
        guard let itemType = request.itemType else { return .holdCleared(pickupDays: 0) }
        guard let policy = policies.policy(tier: members[local].tier, itemType: itemType) else { return .refused(Refusal(.noPolicy)) }
        guard members[local].finesOwedCents < policy.blockThresholdCents else { return .refused(Refusal(.blockedByFines)) }
        guard !hasTooManyOverdue(local, policy, at: now) else { return .refused(Refusal(.tooManyOverdueLoans)) }
        guard !members[local].activeLoans.contains(where: { $0.item == request.item }) else { return .refused(Refusal(.alreadyHoldsItem)) }
        guard !request.hasHold else { return .refused(Refusal(.holdExists)) }
        guard request.openHolds < policy.maxHolds else { return .refused(Refusal(.holdLimitReached)) }
        return .holdCleared(pickupDays: policy.pickupDays)
    }

    /// Step 2, on the item's shard. Changes nothing: a waiting hold holds no copy.
    func holdItemStep(item id: ItemID) -> Decision {
        guard let local = itemIndex(id) else { return .refused(Refusal(.itemNotFound)) }
        guard items[local].status == .active else { return .refused(Refusal(.itemWithdrawn)) }
        guard items[local].availableCopies == 0 else { return .refused(Refusal(.copyAvailable)) }
        return .cleared(dueAt: .zero)
    }
}
