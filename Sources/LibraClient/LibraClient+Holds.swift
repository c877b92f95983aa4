import Engine

/// Holds: a member's place in an item's queue for the next free copy (circulation and admin
/// tokens for any member; a member token for its own account). See docs/circulation-rules.md.
extension LibraClient {
    /// Places a hold on an item that has no copy on the shelf. The answer gives the hold's id and
    /// its position (1 = next in line). `COPY_AVAILABLE` means a copy is on the shelf: check it out.
    public func placeHold(member: MemberID, item: ItemID) async throws(LibraError) -> QueuedHold {
        try await hold(.placeHold(member: member, item: item))
    }

    /// Cancels a hold; answers the hold as it was. A ready hold's copy passes to the next in line.
    public func cancelHold(_ id: HoldID) async throws(LibraError) -> QueuedHold {
        try await hold(.cancelHold(id))
    }

    /// An item's queue: ready holds first, then waiting ones by position.
    public func itemHolds(_ item: ItemID, after: HoldID? = nil, limit: Int = 100) async throws(LibraError) -> Page<QueuedHold> {
        let command = Command.itemHolds(item, after: after, limit: Int32(clamping: limit))
        let reply = try await perform(command)
        guard case .holds(let holds, let next) = reply else { throw unexpected(reply, command) }
        return Page(elements: holds, next: next)
    }

    /// All of a member's open holds, ascending by id, each with its status and position.
    public func memberHolds(_ member: MemberID) async throws(LibraError) -> [QueuedHold] {
        let command = Command.memberHolds(member)
        let reply = try await perform(command)
        guard case .holds(let holds, _) = reply else { throw unexpected(reply, command) }
        return holds
    }

    private func hold(_ command: Command) async throws(LibraError) -> QueuedHold {
        let reply = try await perform(command)
        guard case .hold(let queued) = reply else { throw unexpected(reply, command) }
        return queued
    }
}
