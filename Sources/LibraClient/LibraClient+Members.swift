import Engine

/// Member and policy commands (admin tokens). Member commands return the member as it is after
/// the command.
extension LibraClient {
    public func registerMember(_ draft: MemberDraft) async throws(LibraError) -> Member {
        try await member(.registerMember(draft))
    }

    public func updateMember(_ id: MemberID, _ changes: MemberChanges) async throws(LibraError) -> Member {
        try await member(.updateMember(id, changes))
    }

    public func suspendMember(_ id: MemberID) async throws(LibraError) -> Member {
        try await member(.suspendMember(id))
    }

    public func reinstateMember(_ id: MemberID) async throws(LibraError) -> Member {
        try await member(.reinstateMember(id))
    }

    /// Blocks the member's borrowing, renewing or holds (all three by default) with a reason,
    /// until lifted or until `expiresAt`. The answer lists the member's blocks, the new one last.
    public func blockMember(_ id: MemberID, _ block: MemberBlockDraft) async throws(LibraError) -> Member {
        try await member(.blockMember(id, block))
    }

    /// Lifts a block (its id is in `Member.blocks`).
    public func unblockMember(_ id: MemberID, block: UInt64) async throws(LibraError) -> Member {
        try await member(.unblockMember(id, block: block))
    }

    /// Sets the loan rules for one tier and item type; a new tier comes into being with its
    /// first policy. Returns the policy in force.
    @discardableResult
    public func setPolicy(_ key: PolicyKey, _ policy: Policy) async throws(LibraError) -> Policy {
        let command = Command.setPolicy(key, policy)
        let reply = try await perform(command)
        guard case .policy(_, let set) = reply else { throw unexpected(reply, command) }
        return set
    }

    private func member(_ command: Command) async throws(LibraError) -> Member {
        let reply = try await perform(command)
        guard case .member(let member) = reply else { throw unexpected(reply, command) }
        return member
    }
}
