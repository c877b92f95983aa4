extension ShardState {
    mutating func payFineStep(member id: MemberID, amountCents: Int64) -> Decision {
        guard let member = member(id) else { return .refused(Refusal(.memberNotFound)) }
        guard amountCents <= member.finesOwedCents else { return .refused(Refusal(.paymentExceedsFines)) }
        let event = Event.finePaid(id, amountCents: amountCents)
        apply(event)
        return .decided(.ok(.finesOwed(id, cents: member.finesOwedCents - amountCents)), event: event)
    }
}
