/// Reading the engine between batches: header, digest, counts, invariants.
extension Engine {
    /// The header as of the last finished batch. Waits its turn behind running batches, so it
    /// never shows a batch half done.
    public func currentHeader() async -> EngineHeader {
        await enterGate()
        defer { leaveGate() }
        return header
    }

    /// Unguarded: for callers that hold the gate.
    var header: EngineHeader {
        EngineHeader(
            nextSequence: nextSequence, lastTimestamp: lastTimestamp, nextItemID: nextItemID, nextMemberID: nextMemberID, nextLoanID: nextLoanID,
            policies: policies, rememberedKeys: Array(keys.live), holds: holdBook.sorted)
    }

    /// A digest of all state, independent of the shard count.
    public func digest() async -> StateDigest {
        await enterGate()
        defer { leaveGate() }
        var digester = StateDigester()
        for shard in shards { digester.combine(await shard.digest()) }
        return digester.finish(header: header)
    }

    public func counts() async -> EngineCounts {
        await enterGate()
        defer { leaveGate() }
        var counts = EngineCounts()
        for shard in shards { counts.add(await shard.counts()) }
        return counts
    }

    /// How many shards hold a search index now (after a snapshot loads, none until the
    /// background builds finish or a search builds them).
    public func shardsWithSearchIndex() async -> Int {
        await enterGate()
        defer { leaveGate() }
        var count = 0
        for shard in shards where await shard.hasSearchIndex { count += 1 }
        return count
    }

    /// Every broken invariant, described; empty when all hold.
    public func invariantViolations() async -> [String] {
        await enterGate()
        defer { leaveGate() }
        var violations: [String] = []
        var copiesOut: [ItemID: Int32] = [:]
        var activeLoans: [ItemID: Int32] = [:]
        var emailIndex: [String: MemberID] = [:]
        var memberEmails: [String: MemberID] = [:]
        var awaitingPickup: [ItemID: Int32] = [:]
        var withCopyAvailable: Set<ItemID> = []
        for (shardIndex, shard) in shards.enumerated() {
            let report = await shard.invariantReport()
            violations += report.violations
            violations += loanRouteViolations(report.loans, onShard: shardIndex)
            copiesOut.merge(report.copiesOut) { $0 + $1 }
            activeLoans.merge(report.activeLoansByItem) { $0 + $1 }
            emailIndex.merge(report.emailIndex) { first, _ in first }
            memberEmails.merge(report.memberEmails) { first, _ in first }
            awaitingPickup.merge(report.awaitingPickup) { $0 + $1 }
            withCopyAvailable.formUnion(report.itemsWithCopyAvailable)
        }
        // Each copy on a hold shelf is set aside for exactly one ready hold, and a copy on the
        // shelf never sits there while someone waits for it.
        var readyHolds: [ItemID: Int32] = [:]
        for hold in holdBook.holds.values where hold.status == .ready { readyHolds[hold.item, default: 0] += 1 }
        if readyHolds != awaitingPickup {
            let differing = Set(readyHolds.keys).union(awaitingPickup.keys).filter { readyHolds[$0] != awaitingPickup[$0] }.sorted().prefix(5)
            violations.append("items \(Array(differing)): copies awaiting pickup do not match ready holds")
        }
        for item in withCopyAvailable.sorted() where holdBook.waitingCount(of: item) > 0 {
            violations.append("item \(item): a copy is on the shelf while \(holdBook.waitingCount(of: item)) holds wait")
        }
        // The index holds exactly the members' addresses: a stale entry would block an address.
        if emailIndex != memberEmails {
            let stale = emailIndex.filter { memberEmails[$0.key] != $0.value }.keys.sorted()
            let missing = memberEmails.filter { emailIndex[$0.key] != $0.value }.keys.sorted()
            violations.append("e-mail index out of step: stale \(stale.prefix(5)), missing \(missing.prefix(5))")
        }
        for item in Set(copiesOut.keys).union(activeLoans.keys).sorted() where copiesOut[item, default: 0] != activeLoans[item, default: 0] {
            violations.append("item \(item): \(copiesOut[item, default: 0]) copies out but \(activeLoans[item, default: 0]) active loans")
        }
        return violations
    }

    /// Every loan a shard stores has a route naming its member and item and its position in
    /// that shard's storage (reads and returns find the loan by it), and the coordinator counts
    /// the shard's loans right (the next loan's position).
    private func loanRouteViolations(_ loans: ChunkedArray<Loan>, onShard shard: Int) -> [String] {
        var violations: [String] = []
        if shardLoanCounts[shard] != UInt32(loans.count) {
            violations.append("shard \(shard): the coordinator counts \(shardLoanCounts[shard]) loans, the shard stores \(loans.count)")
        }
        for (position, loan) in loans.enumerated() {
            guard ownership.shard(of: loan.member) == shard else {
                violations.append("loan \(loan.id): stored on shard \(shard), its member \(loan.member) lives on another")
                continue
            }
            let route = loan.id.rawValue < UInt64(loanRoutes.count) ? loanRoutes[Int(loan.id.rawValue)] : .none
            if route.member != loan.member.rawValue || route.item != loan.item.rawValue || route.position != UInt32(position) {
                violations.append("loan \(loan.id): route (member \(route.member), item \(route.item), position \(route.position)) != stored (member \(loan.member), item \(loan.item), position \(position))")
            }
            if violations.count >= 20 { break }
        }
        return violations
    }
}
