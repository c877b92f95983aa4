/// The entities one shard owns. Only its `Shard` actor touches it.
struct ShardState {
    let index: Int
    let ownership: Ownership
    /// By local index (id / shardCount); nil where no entity has that id.
    var items: [Item?] = []
    var members: [Member?] = []
    /// Every loan of each member, ascending, by the member's local index.
    var loanHistory: [[LoanID]] = []
    /// Loans of the members this shard owns.
    var loans: [LoanID: Loan] = [:]
    /// The part of the e-mail index this shard owns: normalized address -> member.
    var emails: [String: MemberID] = [:]

    init(index: Int, ownership: Ownership) {
        self.index = index
        self.ownership = ownership
    }

    @inline(__always) func item(_ id: ItemID) -> Item? {
        let local = ownership.localIndex(of: id)
        return local < items.count ? items[local] : nil
    }

    @inline(__always) func member(_ id: MemberID) -> Member? {
        let local = ownership.localIndex(of: id)
        return local < members.count ? members[local] : nil
    }

    @inline(__always) func owns(item id: ItemID) -> Bool { ownership.shard(of: id) == index }
    @inline(__always) func owns(member id: MemberID) -> Bool { ownership.shard(of: id) == index }
    func owns(email: String) -> Bool { ownership.shard(ofEmail: email) == index }

    // MARK: Applying events: the only way shard state changes, live and on replay.

    mutating func apply(_ event: Event) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            guard owns(item: item.id) else { return }
            let local = ownership.localIndex(of: item.id)
            if local >= items.count { items.append(contentsOf: repeatElement(nil, count: local - items.count + 1)) }
            items[local] = item
        case .memberRegistered(let member):
            if owns(email: member.email) { emails[member.email] = member.id }
            guard owns(member: member.id) else { return }
            let local = ownership.localIndex(of: member.id)
            if local >= members.count {
                let grow = local - members.count + 1
                members.append(contentsOf: repeatElement(nil, count: grow))
                loanHistory.append(contentsOf: repeatElement([], count: grow))
            }
            members[local] = member
        case .memberChanged(let profile, let previousEmail):
            if let previousEmail {
                if owns(email: previousEmail), emails[previousEmail] == profile.id { emails[previousEmail] = nil }
                if owns(email: profile.email) { emails[profile.email] = profile.id }
            }
            guard owns(member: profile.id) else { return }
            let local = ownership.localIndex(of: profile.id)
            members[local]!.email = profile.email
            members[local]!.name = profile.name
            members[local]!.tier = profile.tier
            members[local]!.status = profile.status
            members[local]!.cardExpiryDay = profile.cardExpiryDay
        case .loanCreated(let loan):
            if owns(member: loan.member) {
                let local = ownership.localIndex(of: loan.member)
                members[local]!.activeLoans.append(ActiveLoan(loan: loan.id, item: loan.item))
                loanHistory[local].append(loan.id)
                loans[loan.id] = loan
            }
            if owns(item: loan.item) {
                items[ownership.localIndex(of: loan.item)]!.availableCopies -= 1
            }
        case .loanReturned(let id, let member, let item, let returnedAt, let fine):
            if owns(member: member) {
                let local = ownership.localIndex(of: member)
                loans[id]!.returnedAt = returnedAt
                loans[id]!.fineCents = fine
                members[local]!.finesOwedCents += fine
                members[local]!.activeLoans.removeAll { $0.loan == id }
            }
            if owns(item: item) {
                items[ownership.localIndex(of: item)]!.availableCopies += 1
            }
        case .loanRenewed(let id, let member, let dueAt, let renewals):
            guard owns(member: member) else { return }
            loans[id]!.dueAt = dueAt
            loans[id]!.renewals = renewals
        case .finePaid(let member, let amount):
            guard owns(member: member) else { return }
            members[ownership.localIndex(of: member)]!.finesOwedCents -= amount
        case .policySet, .keyRemembered:
            return
        }
    }
}
