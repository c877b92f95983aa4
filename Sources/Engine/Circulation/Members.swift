extension ShardState {
    /// On the shard owning the address. Refusals in order: unknown tier, e-mail taken.
    mutating func registerMemberStep(_ member: Member, policies: PolicyTable) -> Decision {
        guard policies.hasTier(member.tier) else { return .refused(Refusal(.unknownTier)) }
        guard emails[member.email] == nil else { return .refused(Refusal(.emailTaken)) }
        let event = Event.memberRegistered(member)
        apply(event)
        return .decided(.ok(.member(member)), event: event)
    }

    /// Refusals in order: member not found, then for an update unknown tier (and, on the
    /// address's shard, e-mail taken); for suspend and reinstate, the current status.
    mutating func changeMemberStep(member id: MemberID, change: MemberChange, policies: PolicyTable) -> Decision {
        guard let member = member(id) else { return .refused(Refusal(.memberNotFound)) }
        var profile = MemberProfile(member)
        switch change {
        case .update(let changes):
            if let tier = changes.tier {
                guard policies.hasTier(tier) else { return .refused(Refusal(.unknownTier)) }
                profile.tier = tier
            }
            if let name = changes.name { profile.name = name }
            if let day = changes.cardExpiryDay { profile.cardExpiryDay = day }
            if let email = changes.email, email != member.email {
                var changed = member
                changed.email = email
                changed.name = profile.name
                changed.tier = profile.tier
                changed.cardExpiryDay = profile.cardExpiryDay
                return .profileCleared(changed, previousEmail: member.email)
            }
        case .suspend:
            guard member.status == .active else { return .refused(Refusal(.memberAlreadySuspended)) }
            profile.status = .suspended
        case .reinstate:
            guard member.status == .suspended else { return .refused(Refusal(.memberAlreadyActive)) }
            profile.status = .active
        }
        let event = Event.memberChanged(profile, previousEmail: nil)
        apply(event)
        return .decided(.ok(.member(self.member(id)!)), event: event)
    }

    /// Refusals in order: member not found; already `Limits.blocksPerMemberMax` blocks.
    mutating func blockMemberStep(member id: MemberID, block: MemberBlock) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        guard members[local].blocks.count < Limits.blocksPerMemberMax else { return .refused(.invalid(.effects)) }
        let event = Event.memberBlocked(id, block)
        apply(event)
        return .decided(.ok(.member(members[local])), event: event)
    }

    /// Refusals in order: member not found, no block with this id.
    mutating func unblockMemberStep(member id: MemberID, block: UInt64) -> Decision {
        guard let local = memberIndex(id) else { return .refused(Refusal(.memberNotFound)) }
        guard members[local].blocks.contains(where: { $0.id == block }) else { return .refused(Refusal(.blockNotFound)) }
        let event = Event.memberUnblocked(id, block: block)
        apply(event)
        return .decided(.ok(.member(members[local])), event: event)
    }

    func claimEmailStep(email: String, member: MemberID) -> Decision {
        if let owner = emails[email], owner != member { return .refused(Refusal(.emailTaken)) }
        return .cleared(dueAt: .zero)
    }
}
