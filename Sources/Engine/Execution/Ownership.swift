/// Which shard owns what. Items and members are placed by id; the e-mail index by a stable
/// hash of the address. Placement is a pure function of the shard count, so a restart with
/// another shard count simply places everything anew on load.
struct Ownership: Sendable {
    let shardCount: Int

    @inline(__always) func shard(of item: ItemID) -> Int { Int(item.rawValue % UInt64(shardCount)) }
    @inline(__always) func shard(of member: MemberID) -> Int { Int(member.rawValue % UInt64(shardCount)) }
    func shard(ofEmail email: String) -> Int { Int(StableHash.hash(Array(email.utf8)) % UInt64(shardCount)) }

    /// Ids beyond any array (hostile input) map to `Int.max`, which every bounds check refuses.
    @inline(__always) func localIndex(of item: ItemID) -> Int { Int(exactly: item.rawValue / UInt64(shardCount)) ?? Int.max }
    @inline(__always) func localIndex(of member: MemberID) -> Int { Int(exactly: member.rawValue / UInt64(shardCount)) ?? Int.max }

    /// The smallest local index on `shard` whose id is above `cursor`: ids there are
    /// local * shardCount + shard. Cursors beyond any array (hostile input) map to `Int.max`.
    @inline(__always) func firstLocalIndex(after cursor: UInt64, onShard shard: Int) -> Int {
        let count = UInt64(shardCount)
        // local * count + shard > cursor exactly when shard > cursor % count, for local = cursor / count.
        let (local, overflow) = (cursor / count).addingReportingOverflow(UInt64(shard) > cursor % count ? 0 : 1)
        return overflow ? Int.max : Int(exactly: local) ?? Int.max
    }

    /// Calls `body` once for every shard that holds a part of what the event changes.
    @inline(__always) func forEachOwner(of event: Event, _ body: (Int) -> Void) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            body(shard(of: item.id))
        case .memberRegistered(let member):
            distinct(shard(of: member.id), shard(ofEmail: member.email), body)
        case .memberChanged(let profile, let previousEmail):
            guard let previousEmail else { return body(shard(of: profile.id)) }
            let member = shard(of: profile.id)
            let target = shard(ofEmail: profile.email)
            let source = shard(ofEmail: previousEmail)
            distinct(member, target, body)
            if source != member && source != target { body(source) }
        case .loanCreated(let loan):
            distinct(shard(of: loan.member), shard(of: loan.item), body)
        case .loanImported(let loan, _):
            // A returned import is history on the member's shard; only an active one holds a copy.
            if loan.isActive { distinct(shard(of: loan.member), shard(of: loan.item), body) } else { body(shard(of: loan.member)) }
        case .loanReturned(_, let member, let item, _, _), .loanClosed(_, let member, let item, _, _, _):
            distinct(shard(of: member), shard(of: item), body)
        case .loanRenewed(_, let member, _, _), .finePaid(let member, _), .memberBlocked(let member, _), .memberUnblocked(let member, _):
            body(shard(of: member))
        case .holdReady(let hold), .holdEnded(let hold, _):
            body(shard(of: hold.item))
        case .policySet, .keyRemembered, .holdPlaced:
            return
        }
    }

    @inline(__always) private func distinct(_ first: Int, _ second: Int, _ body: (Int) -> Void) {
        body(first)
        if second != first { body(second) }
    }
}
