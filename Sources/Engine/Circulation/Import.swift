/// Importing a historical loan (`Command.importLoan`). An active import is a two-shard saga like
/// a checkout: this member step, and the checkout's item step (`checkoutItemStep`: the item
/// exists, is not withdrawn, and a copy is reserved). A returned import is history only: this
/// step decides it alone, and the item need only exist. Refusals, in order: member not found;
/// item not found; (active) item withdrawn; (returned) a given fine above the policy's cap;
/// (active) the member already holds the item; (active) no copy available. The member's
/// standing, fines and loan limit are not checked: history happened under the old system's rules.
///
/// A returned import is applied here as well, like a one-shard checkout: the loan goes into the
/// member's history within the step, and the coordinator gives it its position as the reply
/// comes back. It then needs no second round to deliver its event, and a member's returned
/// imports share a wave (`MemberStep.decidedOnMemberShard`).
extension ShardState {
    mutating func importMemberStep(member id: MemberID, item: ItemID, terms: ImportTerms, policies: PolicyTable) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        guard let itemType = terms.itemType else {
            // An active import's item step reports the missing item; a returned one has none.
            return terms.isActive ? .imported(fineCents: 0) : .refused(Refusal(.itemNotFound))
        }
        if terms.isActive {
            guard !members[local].activeLoans.contains(where: { $0.item == item }) else { return .refused(Refusal(.alreadyHoldsItem)) }
            return .imported(fineCents: 0)
        }
        let policy = policies.policy(tier: members[local].tier, itemType: itemType)
        let fine: Int64
        if let given = terms.givenFineCents {
            // No policy: no fine could have been due.
            guard given <= policy?.maxFinePerLoanCents ?? 0 else { return .refused(.invalid(.fine)) }
            fine = given
        } else {
            fine = Circulation.fine(dueAt: terms.dueAt, returnedAt: terms.returnedAt, policy: policy)
        }
        let loan = Loan(
            id: terms.loan, item: item, member: id, itemType: itemType, checkedOutAt: terms.checkedOutAt, dueAt: terms.dueAt,
            returnedAt: terms.returnedAt, fineCents: fine)
        let event = Event.loanImported(loan, fineOwed: terms.fineOwed)
        apply(event, copyReserved: true)
        return .decided(.ok(.loan(loan)), event: event)
    }
}

/// What an import's member step needs beyond its member and item. It travels beside the steps
/// (`ShardWork.importTerms`), so that the step itself stays as small as a checkout's.
struct ImportTerms: Sendable {
    /// The id planning gave the loan.
    var loan: LoanID
    /// Nil when no item had the id when the wave was built.
    var itemType: ItemType?
    var isActive: Bool
    var checkedOutAt: Timestamp
    var dueAt: Timestamp
    /// For a returned loan; ignored for an active one.
    var returnedAt: Timestamp
    var givenFineCents: Int64?
    var fineOwed: Bool

    init(_ entry: LoanImport, loan: LoanID, itemType: ItemType?) {
        self.loan = loan
        self.itemType = itemType
        isActive = entry.isActive
        checkedOutAt = entry.checkedOutAt
        dueAt = entry.dueAt
        returnedAt = entry.returnedAt ?? entry.dueAt
        givenFineCents = entry.fineCents
        fineOwed = entry.fineOwed
    }
}
