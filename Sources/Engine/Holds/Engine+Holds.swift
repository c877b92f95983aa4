/// The coordinator's side of holds: setting freed copies aside for waiting members, and
/// expiring pickups by the batch clock. Every decision here becomes an event, applied to the
/// hold book at once and to the item's shard with the next hop, and logged with the batch.
extension Engine {
    /// Sets aside up to `copies` freed copies of `item` for its first waiting holds.
    func serveWaitingHolds(of item: ItemID, copies: Int32, now: Timestamp) -> [Event] {
        var events: [Event] = []
        var left = copies
        while left > 0, let next = holdBook.firstWaiting(of: item) {
            let event = Event.holdReady(next.madeReady(at: now))
            applyToCoordinator(event)
            events.append(event)
            left -= 1
        }
        return events
    }

    /// Ends the ready holds whose copy waited past its pickup deadline, passing each copy to
    /// the next member in line (or back to the shelf). Runs at the start of every batch, by the
    /// batch's time: replay reads the outcome from the log.
    func expirePickups(_ batch: inout BatchRun) {
        guard holdBook.anyReady else { return }
        for hold in holdBook.expired(at: batch.now) {
            let ended = Event.holdEnded(hold, .expired)
            applyToCoordinator(ended)
            batch.preamble.append(ended)
            batch.preamble += serveWaitingHolds(of: hold.item, copies: 1, now: batch.now)
        }
    }

    /// Logs `events` after the command in `slot` and sends them to their shards with the next hop.
    func follow(_ batch: inout BatchRun, _ slot: Int32, _ events: [Event], forward: inout Forwarding) {
        for event in events {
            batch.extraEvents.append((slot, event))
            ownership.forEachOwner(of: event) { forward.events[$0].append(event) }
        }
    }
}
