extension ShardState {
    mutating func createItemStep(_ item: Item) -> Decision {
        let event = Event.itemCreated(item)
        apply(event)
        return .decided(.ok(.item(item)), event: event)
    }

    /// Descriptive changes; a withdrawn item's record can still be corrected.
    mutating func updateItemStep(item id: ItemID, changes: ItemChanges) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        if let isbn = changes.isbn { item.isbn = isbn }
        if let title = changes.title { item.title = title }
        if let author = changes.author { item.author = author }
        if let publisher = changes.publisher { item.publisher = publisher }
        if let year = changes.year { item.year = year }
        if let type = changes.type { item.type = type }
        return changed(item)
    }

    mutating func withdrawItemStep(item id: ItemID) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        guard item.status == .active else { return .refused(Refusal(.itemAlreadyWithdrawn)) }
        guard item.copiesOnLoan == 0 && item.awaitingPickup == 0 else { return .refused(Refusal(.itemHasActiveLoans)) }
        item.status = .withdrawn
        return changed(item)
    }

    mutating func addCopiesStep(item id: ItemID, count: Int32) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        guard item.status == .active else { return .refused(Refusal(.itemWithdrawn)) }
        guard item.totalCopies + count <= Limits.copiesPerItemMax else { return .refused(.invalid(.count)) }
        item.totalCopies += count
        item.availableCopies += count
        return changed(item)
    }

    /// Only copies on the shelf can be removed.
    mutating func removeCopiesStep(item id: ItemID, count: Int32) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        guard count <= item.availableCopies else { return .refused(Refusal(.copiesOnLoan)) }
        item.totalCopies -= count
        item.availableCopies -= count
        return changed(item)
    }

    /// Shelf copies that cannot be found. Refused beyond the copies on the shelf.
    mutating func markMissingStep(item id: ItemID, count: Int32) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        guard count <= item.availableCopies else { return .refused(Refusal(.copiesOnLoan)) }
        item.availableCopies -= count
        item.missingCopies += count
        return changed(item)
    }

    /// One lost, missing or claimed-returned copy is back on the shelf (and, through the
    /// coordinator, goes to the item's first waiting hold). A lost copy's fee is not refunded.
    mutating func markFoundStep(item id: ItemID, from state: CopyState) -> Decision {
        guard var item = item(id) else { return .refused(Refusal(.itemNotFound)) }
        switch state {
        case .lost:
            guard item.lostCopies > 0 else { return .refused(Refusal(.noCopyInState)) }
            item.lostCopies -= 1
        case .missing:
            guard item.missingCopies > 0 else { return .refused(Refusal(.noCopyInState)) }
            item.missingCopies -= 1
        case .claimedReturned:
            guard item.claimedReturnedCopies > 0 else { return .refused(Refusal(.noCopyInState)) }
            item.claimedReturnedCopies -= 1
        }
        item.availableCopies += 1
        return changed(item)
    }

    private mutating func changed(_ item: Item) -> Decision {
        let event = Event.itemChanged(item)
        apply(event)
        return .decided(.ok(.item(item)), event: event)
    }
}
