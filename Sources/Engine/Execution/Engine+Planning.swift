/// Planning: field checks, ids, idempotency look-ups and the wave of every command.
extension Engine {
    /// Starts planning a batch, which `plan(_:_:)` then plans in order, a range of commands at a time.
    func beginPlanning(_ batch: inout BatchRun) {
        batch.firstLoanID = nextLoanID
        scheduler.begin(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
        batch.keyPlanning.begin(keysAtStart: keys.count, headOrdinal: keys.headOrdinal, keysMax: configuration.idempotency.keysMax)
    }

    /// Plans the batch's commands in `range`, which follows the range planned before. Planning
    /// may go on while the commands already planned run (see `run`), since what it reads either
    /// does not change meanwhile or changes no outcome: the idempotency store changes when the
    /// batch finishes; the routes of earlier batches' loans are final; the hold book is read
    /// only to find a hold's member and item (`holdParties`) — a hold placed earlier in the
    /// batch is then found in the book instead of in the batch's plans, with the same parties,
    /// and a hold that ended meanwhile is refused as not found here instead of when its wave is
    /// built.
    func plan(_ batch: inout BatchRun, _ range: Range<Int>) {
        precondition(batch.plannedCount == range.lowerBound, "batch planned out of order")
        let firstLoanID = batch.firstLoanID
        for index in range {
            if (index - range.lowerBound) % ShardState.warmRun == 0 {
                warmPlanning(batch.requests, index..<min(index + ShardState.warmRun, range.upperBound), firstLoanID: firstLoanID)
            }
            let slot = Int32(index)
            let request = batch.requests[index]
            var command = request.command
            batch.copyFrom[index] = nil

            if !command.isRead, let key = request.idempotencyKey {
                guard Validation.isValidIdempotencyKey(key) else {
                    batch.settle(index, .refused(.invalid(.idempotencyKey)))
                    continue
                }
                let fingerprint = command.fingerprint
                let earlier = batch.keyPlanning.batchKeys[key]
                if let earlier, batch.keyPlanning.isLive(earlier.ordinal) {
                    batch.settle(index, .refused(Refusal(.idempotencyKeyReused)))
                    if earlier.fingerprint == fingerprint { batch.copyFrom[index] = earlier.slot }
                    continue
                }
                if earlier == nil, let (ordinal, record) = keys.lookup(key), batch.keyPlanning.isLive(ordinal) {
                    batch.settle(index, record.fingerprint == fingerprint ? record.outcome : .refused(Refusal(.idempotencyKeyReused)))
                    continue
                }
                batch.keyPlanning.add(key, slot: slot, ordinal: keys.nextOrdinal + UInt64(batch.keyPlanning.newKeys), fingerprint: fingerprint)
                batch.keyed.append(KeyedSlot(slot: slot, key: key, fingerprint: fingerprint))
            }

            switch Validation.validate(command) {
            case .failure(let refusal):
                batch.settle(index, .refused(refusal))
                continue
            case .success(let canonical):
                command = canonical
            }

            switch command {
            case .checkout(let member, let item):
                let loan = LoanID(nextLoanID)
                nextLoanID += 1
                batch.pendingRoutes.append(LoanRoute(member: member.rawValue, item: item.rawValue))
                batch.plans[index] = .checkout(member: member, item: item, loan: loan)
                scheduler.schedule(slot: slot, member: member, memberStep: .onMemberShard, item: item)
            case .importLoan(let entry):
                // Part of the field checks: history cannot lie after the batch's time.
                if let refusal = Validation.importTimesRefusal(entry, now: batch.now) {
                    batch.settle(index, .refused(refusal))
                    continue
                }
                let loan = LoanID(nextLoanID)
                nextLoanID += 1
                batch.pendingRoutes.append(LoanRoute(member: entry.member.rawValue, item: entry.item.rawValue))
                batch.imports.append(entry)
                batch.plans[index] = .importLoan(Int32(batch.imports.count - 1), loan: loan)
                // A returned import only reads its item (existence and type): see WaveScheduler.
                // Its member step decides it and stores the loan (`importMemberStep`).
                scheduler.schedule(
                    slot: slot, member: entry.member, memberStep: entry.isActive ? .onMemberShard : .decidedOnMemberShard, item: entry.item,
                    itemReadOnly: !entry.isActive)
            case .returnLoan(let loan), .renewLoan(let loan), .declareLost(let loan), .claimReturned(let loan):
                guard let route = route(of: loan, firstLoanID: firstLoanID, pending: batch.pendingRoutes) else {
                    batch.settle(index, .refused(Refusal(.loanNotFound)))
                    continue
                }
                let action: LoanAction =
                    switch command {
                    case .renewLoan: .renew
                    case .declareLost: .declareLost
                    case .claimReturned: .claimReturned
                    default: .giveBack
                    }
                // A loan of an earlier batch has its final position (see `placeForwardedLoans`).
                let placed = loan.rawValue < firstLoanID && route.position != SlotPlan.unplaced
                batch.plans[index] = .loan(
                    loan, action: action, shard: Int32(ownership.shard(of: MemberID(route.member))), position: placed ? route.position : SlotPlan.unplaced)
                scheduler.schedule(slot: slot, member: MemberID(route.member), memberStep: .decidedOnMemberShard, item: ItemID(route.item))
            case .payFine(let member, let amount):
                planMember(&batch, slot, member, .payFine(slot: slot, member: member, amountCents: amount))
            case .createItem(let draft):
                let id = ItemID(nextItemID)
                nextItemID += 1
                scheduler.grow(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
                let item = Item(
                    id: id, isbn: draft.isbn, title: draft.title, author: draft.author, publisher: draft.publisher, year: draft.year,
                    type: draft.type, status: .active, totalCopies: draft.copies, availableCopies: draft.copies)
                planItem(&batch, slot, id, .createItem(slot: slot, item: item))
            case .updateItem(let id, let changes):
                planItem(&batch, slot, id, .updateItem(slot: slot, item: id, changes: changes))
            case .withdrawItem(let id):
                planItem(&batch, slot, id, .withdrawItem(slot: slot, item: id))
            case .addCopies(let id, let count):
                planItem(&batch, slot, id, .addCopies(slot: slot, item: id, count: count))
            case .removeCopies(let id, let count):
                planItem(&batch, slot, id, .removeCopies(slot: slot, item: id, count: count))
            case .getItem(let id):
                planItem(&batch, slot, id, .getItem(slot: slot, item: id))
            case .markMissing(let id, let count):
                planItem(&batch, slot, id, .markMissing(slot: slot, item: id, count: count))
            case .markFound(let id, let state):
                planItem(&batch, slot, id, .markFound(slot: slot, item: id, from: state))
            case .registerMember(let draft):
                let id = MemberID(nextMemberID)
                nextMemberID += 1
                scheduler.grow(itemIDLimit: nextItemID, memberIDLimit: nextMemberID)
                let member = Member(
                    id: id, email: draft.email, name: draft.name, tier: draft.tier, status: .active, cardExpiryDay: draft.cardExpiryDay,
                    finesOwedCents: 0, activeLoans: [])
                batch.plans[index] = batch.single(ownership.shard(ofEmail: draft.email), .registerMember(slot: slot, member: member))
                scheduler.schedule(slot: slot, member: id, email: draft.email)
            case .updateMember(let id, let changes):
                if let email = changes.email {
                    batch.emailChanges.append(EmailChange(member: id, changes: changes, email: email))
                    batch.plans[index] = .changeEmail(Int32(batch.emailChanges.count - 1))
                    scheduler.scheduleBarrier(slot: slot)
                } else {
                    planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .update(changes)))
                }
            case .suspendMember(let id):
                planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .suspend))
            case .reinstateMember(let id):
                planMember(&batch, slot, id, .changeMember(slot: slot, member: id, change: .reinstate))
            case .blockMember(let id, let draft):
                let block = MemberBlock(
                    id: batch.firstSequence + UInt64(index), reason: draft.reason, effects: draft.effects, placedAt: batch.now, expiresAt: draft.expiresAt)
                planMember(&batch, slot, id, .blockMember(slot: slot, member: id, block: block))
            case .unblockMember(let id, let block):
                planMember(&batch, slot, id, .unblockMember(slot: slot, member: id, block: block))
            case .getMember(let id):
                planMember(&batch, slot, id, .getMember(slot: slot, member: id))
            case .memberLoans(let id, let after, let limit):
                planMember(&batch, slot, id, .memberLoans(slot: slot, member: id, after: after, limit: limit))
            case .setPolicy(let key, let policy):
                batch.policyChanges.append((key, policy))
                batch.plans[index] = .setPolicy(Int32(batch.policyChanges.count - 1))
                scheduler.scheduleBarrier(slot: slot)
            case .overdueLoans(let after, let limit):
                batch.plans[index] = .overdue(after: after, limit: limit)
                scheduler.scheduleBarrier(slot: slot)
            case .listItems(let after, let limit):
                batch.plans[index] = .listItems(after: after, limit: limit)
                scheduler.scheduleBarrier(slot: slot)
            case .listMembers(let after, let limit):
                batch.plans[index] = .listMembers(after: after, limit: limit)
                scheduler.scheduleBarrier(slot: slot)
            case .placeHold(let member, let item):
                batch.plans[index] = .placeHold(member: member, item: item)
                scheduler.schedule(slot: slot, member: member, memberStep: .onMemberShard, item: item)
            case .cancelHold(let id):
                guard let (member, item) = holdParties(id, batch: batch, before: index) else {
                    batch.settle(index, .refused(Refusal(.holdNotFound)))
                    continue
                }
                batch.plans[index] = .cancelHold(id)
                scheduler.schedule(slot: slot, member: member, item: item)
            case .itemHolds(let item, let after, let limit):
                batch.plans[index] = .itemHolds(item, after: after, limit: limit)
                // The item's queue changes only with commands on the item (and expiries, before
                // any command), so the queue's readers need only follow its writers.
                scheduler.schedule(slot: slot, item: item, itemReadOnly: true)
            case .analytics(let query):
                batch.plans[index] = .analytics(query)
                scheduler.scheduleBarrier(slot: slot)
            case .searchCatalog(let query, let after, let limit):
                batch.plans[index] = .searchCatalog(query, after: after, limit: limit)
                scheduler.scheduleBarrier(slot: slot)
            case .memberHolds(let member):
                // A member's holds become ready with other members' returns: a barrier sees them all.
                batch.plans[index] = .memberHolds(member)
                scheduler.scheduleBarrier(slot: slot)
            }
        }
        batch.plannedCount = range.upperBound
        // Before any command planned here runs: its completion records new loans by id.
        growDirectories()
    }

    /// Asks for the loan routes and schedule marks that planning these requests reads, then
    /// (reading the routes) the marks of the returned loans' members and items (cache
    /// warming: see ShardState+Warm.swift).
    func warmPlanning(_ requests: [Request], _ range: Range<Int>, firstLoanID: UInt64) {
        // Read once: each read of an actor's stored struct copies it (retaining its arrays).
        let (scheduler, loanRoutes) = (scheduler, loanRoutes)
        for index in range {
            switch requests[index].command {
            case .checkout(let member, let item):
                scheduler.prefetch(member: member.rawValue, item: item.rawValue)
            case .importLoan(let entry):
                scheduler.prefetch(member: entry.member.rawValue, item: entry.item.rawValue)
            case .returnLoan(let loan), .renewLoan(let loan):
                if loan.rawValue < firstLoanID { loanRoutes.prefetch(Int(loan.rawValue)) }
            default:
                break
            }
        }
        for index in range {
            switch requests[index].command {
            case .returnLoan(let loan), .renewLoan(let loan):
                guard loan.rawValue < firstLoanID, loan.rawValue < UInt64(loanRoutes.count) else { continue }
                let route = loanRoutes[Int(loan.rawValue)]
                scheduler.prefetch(member: route.member, item: route.item)
            default:
                break
            }
        }
    }

    func planItem(_ batch: inout BatchRun, _ slot: Int32, _ item: ItemID, _ step: ShardStep) {
        batch.plans[Int(slot)] = batch.single(ownership.shard(of: item), step)
        scheduler.schedule(slot: slot, item: item)
    }

    func planMember(_ batch: inout BatchRun, _ slot: Int32, _ member: MemberID, _ step: ShardStep) {
        batch.plans[Int(slot)] = batch.single(ownership.shard(of: member), step)
        scheduler.schedule(slot: slot, member: member, memberStep: .decidedOnMemberShard)
    }

    /// The member and item of a hold: open now, or placed earlier in this batch (then the hold
    /// id is that command's sequence number). Nil when no such hold can exist.
    func holdParties(_ id: HoldID, batch: BatchRun, before index: Int) -> (MemberID, ItemID)? {
        if let hold = holdBook.hold(id) { return (hold.member, hold.item) }
        guard id.rawValue >= batch.firstSequence, id.rawValue < batch.firstSequence + UInt64(index) else { return nil }
        if case .placeHold(let member, let item) = batch.plans[Int(id.rawValue - batch.firstSequence)] { return (member, item) }
        return nil
    }

    func route(of loan: LoanID, firstLoanID: UInt64, pending: [LoanRoute]) -> LoanRoute? {
        let id = loan.rawValue
        if id >= firstLoanID {
            let index = id - firstLoanID
            return index < UInt64(pending.count) ? pending[Int(index)] : nil
        }
        guard id > 0, id < UInt64(loanRoutes.count), loanRoutes[Int(id)].member != 0 else { return nil }
        return loanRoutes[Int(id)]
    }

    /// The step for a return, renewal or other end of a loan, or nil when no loan has the id (its checkout, earlier
    /// in this batch, was refused). `position` is the loan's position when planning knew it (`SlotPlan.loan`).
    func loanStep(slot: Int32, loan: LoanID, action: LoanAction, shard plannedShard: Int32, position plannedPosition: UInt32) -> (shard: Int, step: ShardStep)? {
        // The common case, a return of an earlier batch's loan, reads no route here: the read
        // while planning was a cache miss, and a second one would be too, a batch later.
        if plannedPosition != SlotPlan.unplaced, action != .renew {
            return (Int(plannedShard), Self.loanStep(slot: slot, loan: loan, action: action, position: plannedPosition, itemOnHold: false))
        }
        guard loan.rawValue < UInt64(loanRoutes.count) else { return nil }
        let route = loanRoutes[Int(loan.rawValue)]
        guard route.member != 0 else { return nil }
        let itemOnHold = action == .renew && holdBook.waitingCount(of: ItemID(route.item)) > 0
        return (ownership.shard(of: MemberID(route.member)), Self.loanStep(slot: slot, loan: loan, action: action, position: route.position, itemOnHold: itemOnHold))
    }

    private static func loanStep(slot: Int32, loan: LoanID, action: LoanAction, position: UInt32, itemOnHold: Bool) -> ShardStep {
        switch action {
        case .renew: .renewLoan(slot: slot, loan: loan, index: position, itemOnHold: itemOnHold)
        case .giveBack: .returnLoan(slot: slot, loan: loan, index: position)
        case .declareLost: .closeLoan(slot: slot, loan: loan, index: position, end: .lost)
        case .claimReturned: .closeLoan(slot: slot, loan: loan, index: position, end: .claimedReturned)
        }
    }
}
