import Engine

/// A plain, single-threaded re-implementation of docs/circulation-rules.md.
///
/// It deliberately shares nothing with the engine's rule code (Sources/Engine/Circulation and
/// Execution): only the public domain types, the stateless `Validation.validate`, the command
/// fingerprint and the digester. Commands run one after the other, in order, against ordinary
/// dictionaries; the property tests compare every outcome and the final digest with the sharded
/// engine.
struct ReferenceModel {
    let retention: IdempotencyRetention
    /// Policies in force, as a plain dictionary (the engine's table is built only for the digest).
    private(set) var policies: [PolicyKey: Policy]
    private(set) var items: [ItemID: Item] = [:]
    private(set) var members: [MemberID: Member] = [:]
    private(set) var loans: [LoanID: Loan] = [:]
    /// Open holds; an item's queue is its holds in ascending id order.
    private(set) var holds: [HoldID: Hold] = [:]

    private(set) var nextSequence: SequenceNumber = 1
    private(set) var lastTimestamp: Timestamp = .zero
    private(set) var nextItemID: UInt64 = 1
    private(set) var nextMemberID: UInt64 = 1
    private(set) var nextLoanID: UInt64 = 1
    /// Live idempotency records, oldest first.
    private(set) var remembered: [IdempotencyRecord] = []

    init(policies: PolicyTable, retention: IdempotencyRetention) {
        self.policies = Dictionary(uniqueKeysWithValues: policies.sorted.map { ($0.key, $0.value) })
        self.retention = retention
    }

    init(configuration: EngineConfiguration) {
        self.init(policies: configuration.policies, retention: configuration.idempotency)
    }

    // MARK: Batches

    /// Runs a batch serially, in order. `clock` is what the engine's clock would read; like the
    /// engine, the batch time never goes backwards.
    mutating func execute(_ requests: [Request], now clock: Timestamp) -> [Outcome] {
        let now = clock > lastTimestamp ? clock : lastTimestamp
        lastTimestamp = now
        // Records remembered at or before now - retention are forgotten.
        let cutoff = now.rawValue - retention.retentionMilliseconds
        remembered.removeAll { $0.rememberedAt.rawValue <= cutoff }
        // Copies whose pickup deadline passed go to the next member in line, earliest first.
        let expired = holds.values.filter { $0.status == .ready && $0.pickupBy < now }.sorted { ($0.pickupBy, $0.id) < ($1.pickupBy, $1.id) }
        for hold in expired {
            holds[hold.id] = nil
            items[hold.item]!.awaitingPickup -= 1
            items[hold.item]!.availableCopies += 1
            serveHolds(hold.item, now: now)
        }

        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            outcomes.append(run(request, sequence: nextSequence + SequenceNumber(index), now: now))
        }
        nextSequence += SequenceNumber(requests.count)
        return outcomes
    }

    private mutating func run(_ request: Request, sequence: SequenceNumber, now: Timestamp) -> Outcome {
        let command = request.command
        // Reads ignore keys entirely.
        guard !command.isRead, let key = request.idempotencyKey else { return perform(command, sequence: sequence, now: now) }
        let bytes = key.utf8.count
        guard bytes >= 1 && bytes <= 64 else { return .refused(Refusal(.invalidField, field: .idempotencyKey)) }
        let fingerprint = command.fingerprint
        if let record = remembered.first(where: { $0.key == key }) {
            return record.fingerprint == fingerprint ? record.outcome : .refused(Refusal(.idempotencyKeyReused))
        }
        let outcome = perform(command, sequence: sequence, now: now)
        remembered.append(IdempotencyRecord(key: key, fingerprint: fingerprint, sequence: sequence, rememberedAt: now, outcome: outcome))
        while remembered.count > retention.keysMax { remembered.removeFirst() }
        return outcome
    }

    // MARK: Commands

    private mutating func perform(_ submitted: Command, sequence: SequenceNumber, now: Timestamp) -> Outcome {
        let command: Command
        switch Validation.validate(submitted) {
        case .failure(let refusal): return .refused(refusal)
        case .success(let canonical): command = canonical
        }
        do {
            return .ok(try apply(command, sequence: sequence, now: now))
        } catch {
            return .refused(error)
        }
    }

    private mutating func apply(_ command: Command, sequence: SequenceNumber, now: Timestamp) throws(Refusal) -> Reply {
        switch command {
        case .createItem(let draft):
            let id = ItemID(takeItemID())
            let item = Item(
                id: id, isbn: draft.isbn, title: draft.title, author: draft.author, publisher: draft.publisher, year: draft.year,
                type: draft.type, status: .active, totalCopies: draft.copies, availableCopies: draft.copies)
            items[id] = item
            return .item(item)

        case .updateItem(let id, let changes):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            if let value = changes.isbn { item.isbn = value }
            if let value = changes.title { item.title = value }
            if let value = changes.author { item.author = value }
            if let value = changes.publisher { item.publisher = value }
            if let value = changes.year { item.year = value }
            if let value = changes.type { item.type = value }
            items[id] = item
            return .item(item)

        case .withdrawItem(let id):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            guard item.status == .active else { throw Refusal(.itemAlreadyWithdrawn) }
            guard !holds.values.contains(where: { $0.item == id }) else { throw Refusal(.itemHasHolds) }
            let onLoan = loans.values.filter { $0.item == id && $0.returnedAt == nil }.count
            guard onLoan == 0 && item.awaitingPickup == 0 else { throw Refusal(.itemHasActiveLoans) }
            item.status = .withdrawn
            items[id] = item
            return .item(item)

        case .addCopies(let id, let count):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            guard item.status == .active else { throw Refusal(.itemWithdrawn) }
            guard Int64(item.totalCopies) + Int64(count) <= 10_000 else { throw Refusal(.invalidField, field: .count) }
            item.totalCopies += count
            item.availableCopies += count
            items[id] = item
            serveHolds(id, now: now)
            return .item(items[id]!)

        case .removeCopies(let id, let count):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            guard count <= item.availableCopies else { throw Refusal(.copiesOnLoan) }
            item.totalCopies -= count
            item.availableCopies -= count
            items[id] = item
            return .item(item)

        case .registerMember(let draft):
            let id = MemberID(takeMemberID())
            guard tierExists(draft.tier) else { throw Refusal(.unknownTier) }
            guard !emailInUse(draft.email, byOtherThan: nil) else { throw Refusal(.emailTaken) }
            let member = Member(
                id: id, email: draft.email, name: draft.name, tier: draft.tier, status: .active, cardExpiryDay: draft.cardExpiryDay,
                finesOwedCents: 0, activeLoans: [])
            members[id] = member
            return .member(member)

        case .updateMember(let id, let changes):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            if let tier = changes.tier, !tierExists(tier) { throw Refusal(.unknownTier) }
            if let email = changes.email, emailInUse(email, byOtherThan: id) { throw Refusal(.emailTaken) }
            if let value = changes.email { member.email = value }
            if let value = changes.name { member.name = value }
            if let value = changes.tier { member.tier = value }
            if let value = changes.cardExpiryDay { member.cardExpiryDay = value }
            members[id] = member
            return .member(member)

        case .suspendMember(let id):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            guard member.status == .active else { throw Refusal(.memberAlreadySuspended) }
            member.status = .suspended
            members[id] = member
            return .member(member)

        case .blockMember(let id, let draft):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            guard member.blocks.count < 16 else { throw Refusal(.invalidField, field: .effects) }
            member.blocks.append(MemberBlock(id: sequence, reason: draft.reason, effects: draft.effects, placedAt: now, expiresAt: draft.expiresAt))
            members[id] = member
            return .member(member)

        case .unblockMember(let id, let block):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            guard member.blocks.contains(where: { $0.id == block }) else { throw Refusal(.blockNotFound) }
            member.blocks.removeAll { $0.id == block }
            members[id] = member
            return .member(member)

        case .reinstateMember(let id):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            guard member.status == .suspended else { throw Refusal(.memberAlreadyActive) }
            member.status = .active
            members[id] = member
            return .member(member)

        case .setPolicy(let key, let policy):
            policies[key] = policy
            return .policy(key, policy)

        case .checkout(let memberID, let itemID):
            let loanID = LoanID(takeLoanID())
            guard var member = members[memberID] else { throw Refusal(.memberNotFound) }
            guard member.status == .active else { throw Refusal(.memberSuspended) }
            guard now.day <= member.cardExpiryDay else { throw Refusal(.cardExpired) }
            guard !blocked(member, .borrowing, now) else { throw Refusal(.memberBlocked) }
            guard var item = items[itemID] else { throw Refusal(.itemNotFound) }
            guard item.status == .active else { throw Refusal(.itemWithdrawn) }
            guard let policy = policies[PolicyKey(tier: member.tier, itemType: item.type)] else { throw Refusal(.noPolicy) }
            guard member.finesOwedCents < policy.blockThresholdCents else { throw Refusal(.blockedByFines) }
            guard !tooManyOverdue(member, policy, now) else { throw Refusal(.tooManyOverdueLoans) }
            guard member.activeLoans.count < Int(policy.maxLoans) else { throw Refusal(.loanLimitReached) }
            guard !member.activeLoans.contains(where: { $0.item == itemID }) else { throw Refusal(.alreadyHoldsItem) }
            // A member collects the copy set aside for their ready hold; anyone else needs one on the shelf.
            if let ready = holds.values.first(where: { $0.member == memberID && $0.item == itemID && $0.status == .ready }) {
                holds[ready.id] = nil
                item.awaitingPickup -= 1
            } else {
                guard item.availableCopies > 0 else { throw Refusal(.noCopyAvailable) }
                item.availableCopies -= 1
            }
            let loan = Loan(
                id: loanID, item: itemID, member: memberID, itemType: item.type, checkedOutAt: now,
                dueAt: Timestamp.endOfDay(now.day + policy.loanDays))
            loans[loanID] = loan
            items[itemID] = item
            member.activeLoans.append(ActiveLoan(loan: loanID, item: itemID, dueAt: loan.dueAt))
            members[memberID] = member
            return .loan(loan)

        case .importLoan(let entry):
            // History cannot lie after the batch's time: refused like a bad field, before an id is taken.
            if entry.checkedOutAt > now { throw Refusal(.invalidField, field: .checkedOutAt) }
            if let returned = entry.returnedAt, returned > now { throw Refusal(.invalidField, field: .returnedAt) }
            let loanID = LoanID(takeLoanID())
            guard var member = members[entry.member] else { throw Refusal(.memberNotFound) }
            guard var item = items[entry.item] else { throw Refusal(.itemNotFound) }
            if let returned = entry.returnedAt {
                // History only: no copy, no standing or limit checks; the fine as given (within
                // the policy's cap) or as a return at that time would compute it.
                let policy = policies[PolicyKey(tier: member.tier, itemType: item.type)]
                var fine: Int64 = 0
                if let given = entry.fineCents {
                    guard given <= (policy?.maxFinePerLoanCents ?? 0) else { throw Refusal(.invalidField, field: .fine) }
                    fine = given
                } else if returned > entry.dueAt, let policy {
                    fine = min((Int64(returned.day) - Int64(entry.dueAt.day)) * policy.finePerDayCents, policy.maxFinePerLoanCents)
                }
                let loan = Loan(
                    id: loanID, item: entry.item, member: entry.member, itemType: item.type, checkedOutAt: entry.checkedOutAt, dueAt: entry.dueAt,
                    returnedAt: returned, fineCents: fine)
                loans[loanID] = loan
                if entry.fineOwed {
                    member.finesOwedCents += fine
                    members[entry.member] = member
                }
                return .loan(loan)
            }
            guard item.status == .active else { throw Refusal(.itemWithdrawn) }
            guard !member.activeLoans.contains(where: { $0.item == entry.item }) else { throw Refusal(.alreadyHoldsItem) }
            guard item.availableCopies > 0 else { throw Refusal(.noCopyAvailable) }
            let loan = Loan(id: loanID, item: entry.item, member: entry.member, itemType: item.type, checkedOutAt: entry.checkedOutAt, dueAt: entry.dueAt)
            loans[loanID] = loan
            item.availableCopies -= 1
            items[entry.item] = item
            member.activeLoans.append(ActiveLoan(loan: loanID, item: entry.item, dueAt: entry.dueAt))
            members[entry.member] = member
            return .loan(loan)

        case .returnLoan(let loanID):
            guard var loan = loans[loanID] else { throw Refusal(.loanNotFound) }
            guard loan.returnedAt == nil else { throw Refusal(.loanNotActive) }
            var member = members[loan.member]!
            var fine: Int64 = 0
            if now > loan.dueAt, let policy = policies[PolicyKey(tier: member.tier, itemType: loan.itemType)] {
                let days = Int64(now.day) - Int64(loan.dueAt.day)
                fine = min(days * policy.finePerDayCents, policy.maxFinePerLoanCents)
            }
            loan.returnedAt = now
            loan.fineCents = fine
            loans[loanID] = loan
            member.finesOwedCents += fine
            member.activeLoans.removeAll { $0.loan == loanID }
            members[loan.member] = member
            items[loan.item]!.availableCopies += 1
            serveHolds(loan.item, now: now)
            return .loan(loan)

        case .renewLoan(let loanID):
            guard var loan = loans[loanID] else { throw Refusal(.loanNotFound) }
            guard loan.returnedAt == nil else { throw Refusal(.loanNotActive) }
            var member = members[loan.member]!
            guard member.status == .active else { throw Refusal(.memberSuspended) }
            guard now.day <= member.cardExpiryDay else { throw Refusal(.cardExpired) }
            guard !blocked(member, .renewing, now) else { throw Refusal(.memberBlocked) }
            guard let policy = policies[PolicyKey(tier: member.tier, itemType: loan.itemType)] else { throw Refusal(.noPolicy) }
            guard member.finesOwedCents < policy.blockThresholdCents else { throw Refusal(.blockedByFines) }
            guard !tooManyOverdue(member, policy, now) else { throw Refusal(.tooManyOverdueLoans) }
            guard !holds.values.contains(where: { $0.item == loan.item && $0.status == .waiting }) else { throw Refusal(.itemOnHold) }
            guard loan.renewals < policy.maxRenewals else { throw Refusal(.renewalLimitReached) }
            loan.renewals += 1
            let proposed = Timestamp.endOfDay(now.day + policy.loanDays)
            if proposed > loan.dueAt { loan.dueAt = proposed }
            loans[loanID] = loan
            for index in member.activeLoans.indices where member.activeLoans[index].loan == loanID { member.activeLoans[index].dueAt = loan.dueAt }
            members[loan.member] = member
            return .loan(loan)

        case .declareLost(let loanID), .claimReturned(let loanID):
            guard var loan = loans[loanID] else { throw Refusal(.loanNotFound) }
            guard loan.returnedAt == nil else { throw Refusal(.loanNotActive) }
            var member = members[loan.member]!
            let lost = if case .declareLost = command { true } else { false }
            let fee = lost ? policies[PolicyKey(tier: member.tier, itemType: loan.itemType)]?.lostItemFeeCents ?? 0 : 0
            loan.returnedAt = now
            loan.end = lost ? .lost : .claimedReturned
            loan.fineCents = fee
            loans[loanID] = loan
            member.finesOwedCents += fee
            member.activeLoans.removeAll { $0.loan == loanID }
            members[loan.member] = member
            if lost { items[loan.item]!.lostCopies += 1 } else { items[loan.item]!.claimedReturnedCopies += 1 }
            return .loan(loan)

        case .markMissing(let id, let count):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            guard count <= item.availableCopies else { throw Refusal(.copiesOnLoan) }
            item.availableCopies -= count
            item.missingCopies += count
            items[id] = item
            return .item(item)

        case .markFound(let id, let state):
            guard var item = items[id] else { throw Refusal(.itemNotFound) }
            switch state {
            case .lost:
                guard item.lostCopies > 0 else { throw Refusal(.noCopyInState) }
                item.lostCopies -= 1
            case .missing:
                guard item.missingCopies > 0 else { throw Refusal(.noCopyInState) }
                item.missingCopies -= 1
            case .claimedReturned:
                guard item.claimedReturnedCopies > 0 else { throw Refusal(.noCopyInState) }
                item.claimedReturnedCopies -= 1
            }
            item.availableCopies += 1
            items[id] = item
            serveHolds(id, now: now)
            return .item(items[id]!)

        case .payFine(let id, let amount):
            guard var member = members[id] else { throw Refusal(.memberNotFound) }
            guard amount <= member.finesOwedCents else { throw Refusal(.paymentExceedsFines) }
            member.finesOwedCents -= amount
            members[id] = member
            return .finesOwed(id, cents: member.finesOwedCents)

        case .getItem(let id):
            guard let item = items[id] else { throw Refusal(.itemNotFound) }
            return .item(item)

        case .getMember(let id):
            guard let member = members[id] else { throw Refusal(.memberNotFound) }
            return .memberWithLoans(member, member.activeLoans.map { shown(loans[$0.loan]!, now) })

        case .memberLoans(let id, let after, let limit):
            guard members[id] != nil else { throw Refusal(.memberNotFound) }
            let all = loans.values.filter { $0.member == id && $0.id > (after ?? LoanID(0)) }.sorted { $0.id < $1.id }.map { shown($0, now) }
            return page(all, limit: limit)

        case .overdueLoans(let after, let limit):
            let all = loans.values.filter { $0.returnedAt == nil && $0.dueAt < now && $0.id > (after ?? LoanID(0)) }
                .sorted { $0.id < $1.id }.map { shown($0, now) }
            return page(all, limit: limit)

        case .listItems(let after, let limit):
            let all = items.values.filter { $0.id > (after ?? ItemID(0)) }.sorted { $0.id < $1.id }
            let shown = Array(all.prefix(Int(limit)))
            return .items(shown, next: all.count > shown.count ? shown.last?.id : nil)

        case .listMembers(let after, let limit):
            let all = members.values.filter { $0.id > (after ?? MemberID(0)) }.sorted { $0.id < $1.id }
            let shown = Array(all.prefix(Int(limit)))
            return .members(shown, next: all.count > shown.count ? shown.last?.id : nil)

        case .placeHold(let memberID, let itemID):
            guard let member = members[memberID] else { throw Refusal(.memberNotFound) }
            guard member.status == .active else { throw Refusal(.memberSuspended) }
            guard now.day <= member.cardExpiryDay else { throw Refusal(.cardExpired) }
            guard !blocked(member, .holds, now) else { throw Refusal(.memberBlocked) }
            guard let item = items[itemID] else { throw Refusal(.itemNotFound) }
            guard item.status == .active else { throw Refusal(.itemWithdrawn) }
            guard let policy = policies[PolicyKey(tier: member.tier, itemType: item.type)] else { throw Refusal(.noPolicy) }
            guard member.finesOwedCents < policy.blockThresholdCents else { throw Refusal(.blockedByFines) }
            guard !tooManyOverdue(member, policy, now) else { throw Refusal(.tooManyOverdueLoans) }
            guard !member.activeLoans.contains(where: { $0.item == itemID }) else { throw Refusal(.alreadyHoldsItem) }
            let own = holds.values.filter { $0.member == memberID }
            guard !own.contains(where: { $0.item == itemID }) else { throw Refusal(.holdExists) }
            guard own.count < Int(policy.maxHolds) else { throw Refusal(.holdLimitReached) }
            guard item.availableCopies == 0 else { throw Refusal(.copyAvailable) }
            let hold = Hold(id: HoldID(sequence), item: itemID, member: memberID, placedAt: now, pickupDays: policy.pickupDays)
            holds[hold.id] = hold
            return .hold(QueuedHold(hold: hold, position: position(of: hold)))

        case .cancelHold(let id):
            guard let hold = holds[id] else { throw Refusal(.holdNotFound) }
            let shown = QueuedHold(hold: hold, position: position(of: hold))
            holds[id] = nil
            if hold.status == .ready {
                items[hold.item]!.awaitingPickup -= 1
                items[hold.item]!.availableCopies += 1
                serveHolds(hold.item, now: now)
            }
            return .hold(shown)

        case .itemHolds(let itemID, let after, let limit):
            guard items[itemID] != nil else { throw Refusal(.itemNotFound) }
            let all = queue(of: itemID).filter { $0.id > (after ?? HoldID(0)) }
            let shown = Array(all.prefix(Int(limit)))
            return .holds(shown.map { QueuedHold(hold: $0, position: position(of: $0)) }, next: all.count > shown.count ? shown.last?.id : nil)

        case .searchCatalog(let query, let after, let limit):
            // The rules as CatalogSearchReference spells them out, over circulating items.
            var reference = CatalogSearchReference()
            for item in items.values where item.status == .active { reference.upsert(item.id, title: item.title, author: item.author, isbn: item.isbn) }
            let hits = reference.page(query, after: after, limit: Int(limit) + 1)
            let page = hits.prefix(Int(limit)).map { ScoredItem(item: items[$0.item]!, score: $0.score) }
            return .searchResults(page, next: hits.count > page.count ? page.last.map { SearchCursor(score: $0.score, item: $0.item.id) } : nil)

        case .analytics(let query):
            let circulating = items.values.filter { $0.status == .active }
            let active = loans.values.filter { $0.returnedAt == nil }
            func ranking(_ key: (Loan) -> UInt64, _ limit: Int32) -> Reply {
                let counts = Dictionary(grouping: loans.values, by: key).mapValues { Int64($0.count) }
                let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                return .ranking(sorted.prefix(Int(limit)).map { RankedCount(id: $0.key, count: $0.value) })
            }
            switch query {
            case .summary:
                let copies = circulating.reduce(Int64(0)) { $0 + Int64($1.totalCopies) }
                return .summary(
                    CirculationSummary(
                        items: Int64(items.count), activeItems: Int64(circulating.count), copies: copies, members: Int64(members.count),
                        activeLoans: Int64(active.count), overdueLoans: Int64(active.filter { $0.dueAt.day < now.day }.count), loansEver: Int64(loans.count),
                        openHolds: Int64(holds.count), utilizationPermille: copies > 0 ? Int64(active.count) * 1000 / copies : 0))
            case .topItems(let limit): return ranking({ $0.item.rawValue }, limit)
            case .topMembers(let limit): return ranking({ $0.member.rawValue }, limit)
            case .dailyCheckouts(let from, let to):
                return .dailyCounts((from...to).map { day in DayCount(day: day, count: Int64(loans.values.filter { $0.checkedOutAt.day == day }.count)) })
            case .inventory(let limit):
                let never = circulating.filter { item in !loans.values.contains { $0.item == item.id } }.map(\.id).sorted()
                let out = circulating.filter { item in item.totalCopies > 0 && active.filter { $0.item == item.id }.count >= Int(item.totalCopies) }.map(\.id).sorted()
                return .inventory(
                    InventoryHealth(
                        neverBorrowed: Int64(never.count), neverBorrowedSample: Array(never.prefix(Int(limit))), allCopiesOut: Int64(out.count),
                        allCopiesOutSample: Array(out.prefix(Int(limit)))))
            }

        case .memberHolds(let memberID):
            guard members[memberID] != nil else { throw Refusal(.memberNotFound) }
            let own = holds.values.filter { $0.member == memberID }.sorted { $0.id < $1.id }
            return .holds(own.map { QueuedHold(hold: $0, position: position(of: $0)) }, next: nil)
        }
    }

    /// An active overdue loan as reads show it: with the fine a return now would charge.
    private func shown(_ loan: Loan, _ now: Timestamp) -> Loan {
        guard loan.returnedAt == nil, now > loan.dueAt else { return loan }
        var shown = loan
        if let policy = policies[PolicyKey(tier: members[loan.member]!.tier, itemType: loan.itemType)] {
            shown.fineCents = min((Int64(now.day) - Int64(loan.dueAt.day)) * policy.finePerDayCents, policy.maxFinePerLoanCents)
        }
        return shown
    }

    /// A librarian's block in force for this effect: its effects name it and it has not expired.
    private func blocked(_ member: Member, _ effect: BlockEffects, _ now: Timestamp) -> Bool {
        member.blocks.contains { $0.effects.contains(effect) && ($0.expiresAt == nil || now <= $0.expiresAt!) }
    }

    private func tooManyOverdue(_ member: Member, _ policy: Policy, _ now: Timestamp) -> Bool {
        policy.overdueBlockLoans > 0 && member.activeLoans.filter { loans[$0.loan]!.dueAt < now }.count >= Int(policy.overdueBlockLoans)
    }

    private func queue(of item: ItemID) -> [Hold] {
        holds.values.filter { $0.item == item }.sorted { $0.id < $1.id }
    }

    /// 0 when ready; else 1 + the waiting holds placed before it on the same item.
    private func position(of hold: Hold) -> Int32 {
        guard hold.status == .waiting else { return 0 }
        return Int32(queue(of: hold.item).filter { $0.status == .waiting && $0.id < hold.id }.count + 1)
    }

    /// Sets copies on the shelf aside for the item's waiting holds, first placed first.
    private mutating func serveHolds(_ itemID: ItemID, now: Timestamp) {
        for hold in queue(of: itemID) where hold.status == .waiting {
            guard items[itemID]!.availableCopies > 0 else { return }
            var ready = hold
            ready.status = .ready
            ready.pickupBy = Timestamp.endOfDay(now.day + hold.pickupDays)
            holds[hold.id] = ready
            items[itemID]!.availableCopies -= 1
            items[itemID]!.awaitingPickup += 1
        }
    }

    /// A page: at most `limit`, and a cursor (the last id shown) only when more follow.
    private func page(_ all: [Loan], limit: Int32) -> Reply {
        let shown = Array(all.prefix(Int(limit)))
        return .loans(shown, next: all.count > shown.count ? shown.last?.id : nil)
    }

    private func tierExists(_ tier: String) -> Bool {
        policies.keys.contains { $0.tier == tier }
    }

    private func emailInUse(_ email: String, byOtherThan id: MemberID?) -> Bool {
        members.values.contains { $0.email == email && $0.id != id }
    }

    private mutating func takeItemID() -> UInt64 {
        defer { nextItemID += 1 }
        return nextItemID
    }

    private mutating func takeMemberID() -> UInt64 {
        defer { nextMemberID += 1 }
        return nextMemberID
    }

    private mutating func takeLoanID() -> UInt64 {
        defer { nextLoanID += 1 }
        return nextLoanID
    }

    // MARK: Inspection

    var header: EngineHeader {
        EngineHeader(
            nextSequence: nextSequence, lastTimestamp: lastTimestamp, nextItemID: nextItemID, nextMemberID: nextMemberID,
            nextLoanID: nextLoanID, policies: PolicyTable(policies: policies), rememberedKeys: remembered,
            holds: holds.values.sorted { $0.id < $1.id })
    }

    func digest() -> StateDigest {
        var digester = StateDigester()
        for item in items.values { digester.add(item: item) }
        for member in members.values { digester.add(member: member) }
        for loan in loans.values { digester.add(loan: loan) }
        return digester.finish(header: header)
    }

    var activeLoanIDs: [LoanID] { loans.values.filter { $0.returnedAt == nil }.map(\.id).sorted() }
}
