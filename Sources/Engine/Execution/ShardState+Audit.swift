/// What a shard reports for the engine-wide invariant check.
struct ShardInvariantReport: Sendable {
    var violations: [String] = []
    /// Per item this shard owns: total - available - awaiting pickup copies.
    var copiesOut: [ItemID: Int32] = [:]
    /// Per item this shard owns with copies on the hold shelf: how many.
    var awaitingPickup: [ItemID: Int32] = [:]
    /// Items this shard owns with a copy on the shelf.
    var itemsWithCopyAvailable: Set<ItemID> = []
    /// Per item, over the members this shard owns: active loans of it.
    var activeLoansByItem: [ItemID: Int32] = [:]
    /// The part of the e-mail index this shard holds: address -> member.
    var emailIndex: [String: MemberID] = [:]
    /// Members this shard owns, by e-mail address.
    var memberEmails: [String: MemberID] = [:]
    /// The shard's loan storage, in order (shared, not copied): the coordinator checks that
    /// each loan's route gives its member and its position here.
    var loans = ChunkedArray<Loan>()
}

public struct EngineCounts: Sendable, Hashable {
    public var items = 0
    public var members = 0
    public var loans = 0
    public var activeLoans = 0

    mutating func add(_ other: EngineCounts) {
        items += other.items
        members += other.members
        loans += other.loans
        activeLoans += other.activeLoans
    }
}

extension ShardState {
    func digest() -> StateDigester {
        var digester = StateDigester()
        for item in items where item.id.rawValue != 0 { digester.add(item: item) }
        for member in members where member.id.rawValue != 0 { digester.add(member: member) }
        for loan in loans { digester.add(loan: loan) }
        return digester
    }

    func counts() -> EngineCounts {
        var counts = EngineCounts()
        for item in items where item.id.rawValue != 0 { counts.items += 1 }
        for member in members where member.id.rawValue != 0 {
            counts.members += 1
            counts.activeLoans += member.activeLoans.count
        }
        counts.loans = loans.count
        return counts
    }

    func invariantReport() -> ShardInvariantReport {
        var report = ShardInvariantReport()
        report.emailIndex = emails
        for member in members where member.id.rawValue != 0 { report.memberEmails[member.email] = member.id }
        for item in items where item.id.rawValue != 0 {
            let states = [item.availableCopies, item.awaitingPickup, item.lostCopies, item.missingCopies, item.claimedReturnedCopies]
            if states.contains(where: { $0 < 0 }) || item.copiesOnLoan < 0 {
                report.violations.append("item \(item.id): copy counts \(states) do not fit its \(item.totalCopies) copies")
            }
            let out = item.copiesOnLoan
            if out != 0 { report.copiesOut[item.id] = out }
            if item.awaitingPickup != 0 { report.awaitingPickup[item.id] = item.awaitingPickup }
            if item.availableCopies > 0 { report.itemsWithCopyAvailable.insert(item.id) }
        }
        report.loans = loans
        // The chain links run parallel to the storage; a link outside it would trap the walk below.
        guard previousLoanOfMember.count == loans.count, newestLoanOfMember.count == members.count,
              !previousLoanOfMember.contains(where: { $0 != Self.noLoan && Int($0) >= loans.count }),
              !newestLoanOfMember.contains(where: { $0 != Self.noLoan && Int($0) >= loans.count }) else {
            report.violations.append("shard \(index): loan history links (\(previousLoanOfMember.count) for \(loans.count) loans, \(newestLoanOfMember.count) heads for \(members.count) members) point outside the loans")
            return report
        }
        // Millions of loans: per loan, arrays and a sort rather than dictionaries (hashing every
        // loan id took most of a large directory's check); dictionaries for active loans only.
        var activeByMember: [MemberID: [LoanID]] = [:]
        var activePositions: [LoanID: Int] = [:]
        // By the member's slot here (a loan lives on its member's shard).
        var loansByMember = [Int](repeating: 0, count: members.count)
        var ids: [UInt64] = []
        ids.reserveCapacity(loans.count)
        for (position, loan) in loans.enumerated() {
            ids.append(loan.id.rawValue)
            let local = ownership.localIndex(of: loan.member)
            if local < loansByMember.count { loansByMember[local] += 1 }
            guard loan.isActive else { continue }
            activePositions[loan.id] = position
            activeByMember[loan.member, default: []].append(loan.id)
            report.activeLoansByItem[loan.item, default: 0] += 1
        }
        // A shard's loans are nearly in id order, so this sort is quick.
        ids.sort()
        for index in ids.indices.dropFirst() where ids[index] == ids[index - 1] && (index < 2 || ids[index - 2] != ids[index]) {
            report.violations.append("loan \(LoanID(ids[index])) stored twice")
        }
        for (local, member) in members.enumerated() where member.id.rawValue != 0 {
            if member.finesOwedCents < 0 { report.violations.append("member \(member.id): fines owed \(member.finesOwedCents) < 0") }
            let expected = (activeByMember[member.id] ?? []).sorted()
            if member.activeLoans.map(\.loan) != expected {
                report.violations.append("member \(member.id): active loans \(member.activeLoans.map(\.loan)) != loans \(expected)")
            }
            for active in member.activeLoans {
                let stored = activePositions[active.loan].map { loans[$0] }
                if stored?.item != active.item || stored?.dueAt != active.dueAt {
                    report.violations.append("member \(member.id): active loan \(active.loan) names the wrong item or due time")
                }
            }
            // The chain: ids descending, every loan the member's, each of the member's loans once.
            var chained = 0
            var position = newestLoanOfMember[local]
            var previousID = LoanID(UInt64.max)
            var broken = false
            while position != Self.noLoan, !broken {
                let loan = loans[Int(position)]
                broken = loan.id >= previousID || loan.member != member.id || chained > loans.count
                previousID = loan.id
                chained += 1
                position = previousLoanOfMember[Int(position)]
            }
            if broken || chained != loansByMember[local] {
                report.violations.append("member \(member.id): loan history out of order, foreign or incomplete")
            }
        }
        let occupied = members.indices.filter { members[$0].id.rawValue != 0 }
        if occupiedMemberSlots.map(Int.init) != occupied {
            report.violations.append("shard \(index): occupied member slots \(occupiedMemberSlots.count) do not match the \(occupied.count) members held, in order")
        }
        return report
    }
}
