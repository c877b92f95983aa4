/// The entities one shard owns. Only its `Shard` actor touches it.
///
/// Entities sit in dense arrays by local index (id / shardCount), with a placeholder (id 0)
/// where no entity has that id, so that rules read fields in place without copying records.
/// Loans of this shard's members are appended to `loans` in the order their events are
/// applied; the coordinator keeps each loan's position (see `LoanRoute`), so no loan lookup
/// hashes. A member's loans form a chain through that storage, newest first (see
/// `newestLoanOfMember`).
struct ShardState {
    let index: Int
    let ownership: Ownership
    var items = ChunkedArray<Item>()
    var members = ChunkedArray<Member>()
    var loans = ChunkedArray<Loan>()
    /// A member's loan history as a chain through `loans`, from the newest (by local member
    /// index) to each loan's predecessor of the same member (beside each loan), `noLoan` at the
    /// end; ids descend along it, since a member's loans are stored in id order. Appending a
    /// loan touches a 4-byte slot per member that stays in cache, where an array per member cost
    /// a cache miss on its buffer and a copy whenever it grew.
    var newestLoanOfMember = ChunkedArray<UInt32>()
    var previousLoanOfMember = ChunkedArray<UInt32>()
    static let noLoan = UInt32.max
    /// The local indices of the slots that hold a member, ascending: the member list walks
    /// these, so that it never reads the empty slots of refused registrations.
    var occupiedMemberSlots = ChunkedArray<UInt32>()
    /// Slots of members placed since the last `settleMemberSlots()`, not yet in
    /// `occupiedMemberSlots` (which is complete and ascending whenever no hop is running).
    var newMemberSlots: [UInt32] = []
    /// The part of the e-mail index this shard owns: normalized address -> member.
    var emails: [String: MemberID] = [:]
    /// Catalog search over this shard's circulating items (withdrawn ones are left out). Not
    /// part of snapshots: rebuilt from the items after they load (nil until then).
    var catalog: CatalogIndex? = CatalogIndex()
    /// Item events applied so far: tells a background index build whether it is still current.
    var itemEvents: UInt64 = 0
    /// Items created or changed since the index last caught up: indexing waits for the next
    /// search, so that loading a catalog does not pay for it item by item.
    var catalogPending: [ItemID] = []
    static let catalogPendingMax = 1 << 20

    init(index: Int, ownership: Ownership) {
        self.index = index
        self.ownership = ownership
    }

    /// The local index of an existing item, or nil. Id 0 names nothing (placeholders carry it).
    @inline(__always) func itemIndex(_ id: ItemID) -> Int? {
        let local = ownership.localIndex(of: id)
        return id.rawValue != 0 && local < items.count && items[local].id == id ? local : nil
    }

    /// The local index of an existing member, or nil. Id 0 names nothing (placeholders carry it).
    @inline(__always) func memberIndex(_ id: MemberID) -> Int? {
        let local = ownership.localIndex(of: id)
        return id.rawValue != 0 && local < members.count && members[local].id == id ? local : nil
    }

    func item(_ id: ItemID) -> Item? { itemIndex(id).map { items[$0] } }
    func member(_ id: MemberID) -> Member? { memberIndex(id).map { members[$0] } }

    @inline(__always) func owns(item id: ItemID) -> Bool { ownership.shard(of: id) == index }
    @inline(__always) func owns(member id: MemberID) -> Bool { ownership.shard(of: id) == index }
    func owns(email: String) -> Bool { ownership.shard(ofEmail: email) == index }

    /// Where loan `id` sits, or nil: `position` comes from the coordinator's route, which names
    /// only loans that exist; the check guards against a stale route.
    @inline(__always) func loanPosition(_ id: LoanID, _ position: UInt32) -> Int? {
        let index = Int(position)
        return index < loans.count && loans[index].id == id ? index : nil
    }

    /// A position handed in by the caller, if it does hold the loan.
    @inline(__always) func verified(_ position: Int?, _ id: LoanID) -> Int? {
        guard let position, position < loans.count, loans[position].id == id else { return nil }
        return position
    }

    /// The position of one of a member's loans, walking its history from the newest (a loan
    /// being returned or renewed is usually among the member's last few).
    func loanPosition(member local: Int, loan id: LoanID) -> Int? {
        var position = newestLoanOfMember[local]
        while position != Self.noLoan {
            let stored = loans[Int(position)].id
            if stored == id { return Int(position) }
            if stored < id { return nil }
            position = previousLoanOfMember[Int(position)]
        }
        return nil
    }

    /// Stores a loan of a member this shard owns, at the end of `loans` and of the member's chain.
    mutating func appendLoan(_ loan: Loan, memberIndex local: Int) {
        precondition(loans.count < Int(Self.noLoan), "shard \(index): loan storage beyond UInt32 positions")
        previousLoanOfMember.append(newestLoanOfMember[local])
        newestLoanOfMember[local] = UInt32(loans.count)
        loans.append(loan)
    }

    /// Puts an item this shard owns in its slot, growing the array (with placeholders) to reach it.
    mutating func place(_ item: Item) {
        let local = ownership.localIndex(of: item.id)
        if local >= items.count { items.append(contentsOf: repeatElement(Item.placeholder, count: local - items.count + 1)) }
        items[local] = item
    }

    /// Puts a member this shard owns in its slot, with an empty loan history when the slot is new.
    mutating func place(_ member: Member) {
        let local = ownership.localIndex(of: member.id)
        if local >= members.count {
            let grow = local - members.count + 1
            members.append(contentsOf: repeatElement(Member.placeholder, count: grow))
            newestLoanOfMember.append(contentsOf: repeatElement(Self.noLoan, count: grow))
        }
        let occupied = members[local].id.rawValue != 0
        members[local] = member
        if !occupied {
            precondition(local <= Int(UInt32.max), "member slot \(local) beyond UInt32")
            newMemberSlots.append(UInt32(local))
        }
    }

    /// Merges the slots of newly placed members into `occupiedMemberSlots`, keeping it ascending.
    /// Registrations arrive in id order across batches but not within one (a batch's are decided
    /// on their addresses' shards, each forwarding its own in order, and in several waves), so
    /// moving each new slot into place would cost up to a batch's length each: they are sorted
    /// once here instead, and only the occupied slots above the smallest new one are merged.
    mutating func settleMemberSlots() {
        guard !newMemberSlots.isEmpty else { return }
        newMemberSlots.sort()
        let first = Circulation.firstIndex(in: occupiedMemberSlots, notBelow: Int(newMemberSlots[0]))
        if first == occupiedMemberSlots.count {
            occupiedMemberSlots.append(contentsOf: newMemberSlots)
        } else {
            let above = Array(occupiedMemberSlots[first...])
            occupiedMemberSlots.removeLast(above.count)
            var (left, right) = (0, 0)
            while left < above.count || right < newMemberSlots.count {
                if right == newMemberSlots.count || (left < above.count && above[left] < newMemberSlots[right]) {
                    occupiedMemberSlots.append(above[left])
                    left += 1
                } else {
                    occupiedMemberSlots.append(newMemberSlots[right])
                    right += 1
                }
            }
        }
        newMemberSlots.removeAll(keepingCapacity: true)
    }

    // MARK: Applying events: the only way shard state changes, live and on replay.

    /// `loanPosition`, when given, is where the event's loan sits in `loans` (a return or renewal
    /// decided here has just read it there); replay passes none and searches the member's history.
    /// `copyReserved`: a live checkout's item step already took the copy of a `loanCreated`
    /// (see `checkoutItemStep`); replay passes false and takes it here.
    mutating func apply(_ event: Event, loanPosition knownPosition: Int? = nil, copyReserved: Bool = false) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            guard owns(item: item.id) else { return }
            place(item)
            itemEvents &+= 1
            if catalog != nil {
                catalogPending.append(item.id)
                // Bounded: a catalog loaded without a search in between is indexed in runs.
                if catalogPending.count >= Self.catalogPendingMax { catchUpCatalog() }
            }
        case .memberRegistered(let member):
            if owns(email: member.email) { emails[member.email] = member.id }
            guard owns(member: member.id) else { return }
            place(member)
        case .memberChanged(let profile, let previousEmail):
            if let previousEmail {
                if owns(email: previousEmail), emails[previousEmail] == profile.id { emails[previousEmail] = nil }
                if owns(email: profile.email) { emails[profile.email] = profile.id }
            }
            guard owns(member: profile.id) else { return }
            let local = ownership.localIndex(of: profile.id)
            members[local].email = profile.email
            members[local].name = profile.name
            members[local].tier = profile.tier
            members[local].status = profile.status
            members[local].cardExpiryDay = profile.cardExpiryDay
        case .loanCreated(let loan):
            if owns(member: loan.member) {
                let local = ownership.localIndex(of: loan.member)
                members[local].activeLoans.append(ActiveLoan(loan: loan.id, item: loan.item, dueAt: loan.dueAt))
                appendLoan(loan, memberIndex: local)
            }
            if !copyReserved, owns(item: loan.item) {
                items[ownership.localIndex(of: loan.item)].availableCopies -= 1
            }
        case .loanImported(let loan, let fineOwed):
            if owns(member: loan.member) {
                let local = ownership.localIndex(of: loan.member)
                if loan.isActive {
                    members[local].activeLoans.append(ActiveLoan(loan: loan.id, item: loan.item, dueAt: loan.dueAt))
                } else if fineOwed {
                    members[local].finesOwedCents += loan.fineCents
                }
                appendLoan(loan, memberIndex: local)
            }
            // Only an active loan holds a copy; as for `loanCreated`, a live import's item step
            // already took it.
            if loan.isActive, !copyReserved, owns(item: loan.item) {
                items[ownership.localIndex(of: loan.item)].availableCopies -= 1
            }
        case .loanReturned(let id, let member, let item, let returnedAt, let fine):
            if owns(member: member) {
                let local = ownership.localIndex(of: member)
                let position = verified(knownPosition, id) ?? loanPosition(member: local, loan: id)!
                loans[position].returnedAt = returnedAt
                loans[position].fineCents = fine
                members[local].finesOwedCents += fine
                members[local].removeActiveLoan(id)
            }
            if owns(item: item) {
                items[ownership.localIndex(of: item)].availableCopies += 1
            }
        case .loanClosed(let id, let member, let item, let at, let fee, let end):
            if owns(member: member) {
                let local = ownership.localIndex(of: member)
                let position = verified(knownPosition, id) ?? loanPosition(member: local, loan: id)!
                loans[position].returnedAt = at
                loans[position].end = end
                loans[position].fineCents = fee
                members[local].finesOwedCents += fee
                members[local].removeActiveLoan(id)
            }
            if owns(item: item) {
                let local = ownership.localIndex(of: item)
                if end == .lost { items[local].lostCopies += 1 } else { items[local].claimedReturnedCopies += 1 }
            }
        case .loanRenewed(let id, let member, let dueAt, let renewals):
            guard owns(member: member) else { return }
            let local = ownership.localIndex(of: member)
            let position = verified(knownPosition, id) ?? loanPosition(member: local, loan: id)!
            loans[position].dueAt = dueAt
            loans[position].renewals = renewals
            if let index = members[local].activeLoans.firstIndex(where: { $0.loan == id }) { members[local].activeLoans[index].dueAt = dueAt }
        case .finePaid(let member, let amount):
            guard owns(member: member) else { return }
            members[ownership.localIndex(of: member)].finesOwedCents -= amount
        case .holdReady(let hold):
            guard owns(item: hold.item) else { return }
            let local = ownership.localIndex(of: hold.item)
            items[local].availableCopies -= 1
            items[local].awaitingPickup += 1
        case .holdEnded(let hold, let end):
            guard hold.status == .ready, owns(item: hold.item) else { return }
            // A filled hold's copy becomes the new loan's: a live checkout's item step took it
            // off the hold shelf already; replay moves it to the shelf, and the loan event that
            // follows takes it from there.
            if end == .filled && copyReserved { return }
            let local = ownership.localIndex(of: hold.item)
            items[local].awaitingPickup -= 1
            items[local].availableCopies += 1
        case .memberBlocked(let member, let block):
            guard owns(member: member) else { return }
            members[ownership.localIndex(of: member)].blocks.append(block)
        case .memberUnblocked(let member, let block):
            guard owns(member: member) else { return }
            members[ownership.localIndex(of: member)].blocks.removeAll { $0.id == block }
        case .policySet, .keyRemembered, .holdPlaced:
            return
        }
    }
}

extension Item {
    /// Fills slots that no item occupies.
    static let placeholder = Item(id: 0, isbn: "", title: "", author: "", publisher: "", year: 0, type: .book, status: .withdrawn, totalCopies: 0, availableCopies: 0)
}

extension Member {
    /// Fills slots that no member occupies.
    static let placeholder = Member(id: 0, email: "", name: "", tier: "", status: .suspended, cardExpiryDay: 0, finesOwedCents: 0, activeLoans: [])
}
