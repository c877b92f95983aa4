/// Which shard owns what. Items and members are placed by id; the e-mail index by a stable
/// hash of the address. Placement is a pure function of the shard count, so a restart with
/// another shard count simply places everything anew on load.
struct Ownership: Sendable {
    let shardCount: Int

    @inline(__always) func shard(of item: ItemID) -> Int { Int(item.rawValue % UInt64(shardCount)) }
    @inline(__always) func shard(of member: MemberID) -> Int { Int(member.rawValue % UInt64(shardCount)) }
    func shard(ofEmail email: String) -> Int { Int(StableHash.hash(Array(email.utf8)) % UInt64(shardCount)) }

    @inline(__always) func localIndex(of item: ItemID) -> Int { Int(item.rawValue / UInt64(shardCount)) }
    @inline(__always) func localIndex(of member: MemberID) -> Int { Int(member.rawValue / UInt64(shardCount)) }

    /// Every shard that holds a part of what the event changes.
    func owners(of event: Event) -> [Int] {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            return [shard(of: item.id)]
        case .memberRegistered(let member):
            return distinct(shard(of: member.id), shard(ofEmail: member.email))
        case .memberChanged(let profile, let previousEmail):
            guard let previousEmail else { return [shard(of: profile.id)] }
            return distinct(shard(of: profile.id), shard(ofEmail: profile.email), shard(ofEmail: previousEmail))
        case .loanCreated(let loan):
            return distinct(shard(of: loan.member), shard(of: loan.item))
        case .loanReturned(_, let member, let item, _, _):
            return distinct(shard(of: member), shard(of: item))
        case .loanRenewed(_, let member, _, _), .finePaid(let member, _):
            return [shard(of: member)]
        case .policySet, .keyRemembered:
            return []
        }
    }

    private func distinct(_ shards: Int...) -> [Int] {
        var result: [Int] = []
        for shard in shards where !result.contains(shard) { result.append(shard) }
        return result
    }
}
