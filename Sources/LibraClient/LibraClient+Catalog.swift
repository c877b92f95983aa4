import Engine

/// Catalog commands (admin tokens). Each returns the item as it is after the command.
extension LibraClient {
    public func createItem(_ draft: ItemDraft) async throws(LibraError) -> Item {
        try await item(.createItem(draft))
    }

    public func updateItem(_ id: ItemID, _ changes: ItemChanges) async throws(LibraError) -> Item {
        try await item(.updateItem(id, changes))
    }

    /// Takes the item out of circulation; refused while copies are on loan.
    public func withdrawItem(_ id: ItemID) async throws(LibraError) -> Item {
        try await item(.withdrawItem(id))
    }

    public func addCopies(_ id: ItemID, count: Int32) async throws(LibraError) -> Item {
        try await item(.addCopies(id, count: count))
    }

    /// Removes copies from the shelf; refused with `COPIES_ON_LOAN` if fewer are on the shelf.
    public func removeCopies(_ id: ItemID, count: Int32) async throws(LibraError) -> Item {
        try await item(.removeCopies(id, count: count))
    }

    /// Shelf copies that cannot be found; refused with `COPIES_ON_LOAN` beyond those on the shelf.
    public func markMissing(_ id: ItemID, count: Int32) async throws(LibraError) -> Item {
        try await item(.markMissing(id, count: count))
    }

    /// A lost, missing or claimed-returned copy is back on the shelf (or goes to the first hold).
    public func markFound(_ id: ItemID, from state: CopyState) async throws(LibraError) -> Item {
        try await item(.markFound(id, from: state))
    }

    private func item(_ command: Command) async throws(LibraError) -> Item {
        let reply = try await perform(command)
        guard case .item(let item) = reply else { throw unexpected(reply, command) }
        return item
    }
}

func unexpected(_ reply: Reply, _ command: Command) -> LibraError {
    .protocolViolation("\(command.name) was answered with \(reply)")
}
