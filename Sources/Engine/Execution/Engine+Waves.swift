/// Running a batch's waves across the shards, folding verdicts into outcomes, finishing.
extension Engine {
    /// Plans and runs the batch's waves. A wave's commands commute, so a large wave is sent in
    /// parts of `configuration.slotsPerHop` commands and pipelined: the coordinator builds part
    /// k+1 while the shards run part k, and folds part k's verdicts while they run part k+1.
    /// Planning goes on while the first wave runs: a command's wave depends only on the commands
    /// before it, so the first wave's commands can be sent as soon as they are planned, and the
    /// shards need not wait for the whole batch to be planned.
    func run(_ batch: inout BatchRun) async {
        beginPlanning(&batch)
        let shards = shards
        let partSlots = configuration.slotsPerHop
        let commandCount = batch.requests.count
        var forward = Forwarding(shardCount: shards.count)
        for event in batch.preamble { ownership.forEachOwner(of: event) { forward.events[$0].append(event) } }
        var waveIndex = 0
        while waveIndex < scheduler.waves.count || batch.plannedCount < commandCount {
            var nextSlot = 0
            var running: Task<[ShardReply], Never>?
            while true {
                if batch.plannedCount < commandCount {
                    // Only while the first wave runs: later waves start once planning is done.
                    plan(&batch, batch.plannedCount..<min(batch.plannedCount + partSlots, commandCount))
                }
                let waveCount = waveIndex < scheduler.waves.count ? scheduler.waves[waveIndex].count : 0
                if nextSlot == waveCount && running == nil {
                    if batch.plannedCount == commandCount { break }
                    continue
                }
                var nextWork: [ShardWork]?
                if nextSlot < waveCount {
                    let partEnd = min(nextSlot + partSlots, waveCount)
                    // The first part of a wave carries what the previous wave decided.
                    nextWork = build(&batch, scheduler.waves[waveIndex][nextSlot..<partEnd], forward: &forward, delivering: nextSlot == 0)
                    nextSlot = partEnd
                }
                var replies: [ShardReply]?
                if let previous = running {
                    replies = await previous.value
                    running = nil
                }
                if let work = nextWork {
                    // The previous batch's last events reach the shards before this batch's first steps.
                    await settleDelivery()
                    // Each shard finishes the previous part before it gets this one (awaited above).
                    running = Task.detached { await Self.visit(shards, with: work) }
                }
                guard let replies else { continue }
                for (shard, reply) in replies.enumerated() {
                    let results = reply.results
                    for start in stride(from: 0, to: results.count, by: ShardState.warmRun) {
                        let run = start..<min(start + ShardState.warmRun, results.count)
                        if statisticsHere { warmCompletion(batch, results[run]) }
                        for index in run { complete(&batch, results[index], reply: reply, from: shard, forward: &forward) }
                    }
                }
            }
            waveIndex += 1
        }
        if !forward.isEmpty {
            // No outcome depends on this hop: start it and return (see `delivery`), after the
            // previous one (a batch that visited no shard has not waited for it).
            await settleDelivery()
            for shard in shards.indices { placeForwardedLoans(&forward.newLoans[shard], on: shard) }
            let work = shards.indices.map {
                ShardWork(
                    events: forward.events[$0], releases: forward.releases[$0], holdShelfReleases: forward.holdShelfReleases[$0], copiesReserved: true,
                    now: batch.now, policies: policies)
            }
            delivery = Task.detached { _ = await Self.visit(shards, with: work) }
        }
    }

    /// How many slots ahead `build` asks for an item's type.
    static let itemTypeLookahead = 16

    /// The shards' work for some commands of one wave (and, for its first part, the events and
    /// releases the previous wave left for them).
    func build(_ batch: inout BatchRun, _ slots: ArraySlice<Int32>, forward: inout Forwarding, delivering: Bool) -> [ShardWork] {
        var work = shards.map { _ in ShardWork(copiesReserved: true, now: batch.now, policies: policies) }
        // A command gives a shard one step at most (an e-mail change, rarely, two): room for
        // them, so that appending does not reallocate as the part grows.
        for shard in work.indices { work[shard].steps.reserveCapacity(slots.count) }
        if delivering {
            for shard in work.indices {
                // Before any step of this part reads a route: a return may end one of these loans.
                placeForwardedLoans(&forward.newLoans[shard], on: shard)
                swap(&work[shard].events, &forward.events[shard])
                swap(&work[shard].releases, &forward.releases[shard])
                swap(&work[shard].holdShelfReleases, &forward.holdShelfReleases[shard])
            }
        }
        for position in slots.indices {
            // Checkouts and imports read their item's type: a byte in a directory too large
            // to stay cached, and each read a miss on the coordinator's serial path. Asked for
            // a few slots ahead, so that the misses overlap.
            if position + Self.itemTypeLookahead < slots.endIndex {
                let item: ItemID? =
                    switch batch.plans[Int(slots[position + Self.itemTypeLookahead])] {
                    case .checkout(_, let item, _): item
                    case .importLoan(let entry, _): batch.imports[Int(entry)].item
                    default: nil
                    }
                // Ids come from clients: one beyond the directory (up to UInt64.max) is not asked for.
                if let item, item.rawValue < UInt64(itemTypes.count) { itemTypes.prefetch(Int(item.rawValue)) }
            }
            let slot = slots[position]
            switch batch.plans[Int(slot)] {
            case .settled:
                preconditionFailure("a settled command was scheduled")
            case .checkout(let member, let item, let loan):
                let type = itemType(of: item)
                batch.itemTypes[Int(slot)] = type
                // A member collecting the copy set aside for them takes it from the hold shelf.
                var fromHoldShelf = false
                if holdBook.anyReady, let hold = holdBook.hold(of: member, on: item), hold.status == .ready {
                    batch.pickups[slot] = hold
                    fromHoldShelf = true
                }
                let (memberShard, itemShard) = (ownership.shard(of: member), ownership.shard(of: item))
                if memberShard == itemShard {
                    work[memberShard].steps.append(.checkout(slot: slot, loan: loan, member: member, item: item, fromHoldShelf: fromHoldShelf))
                } else {
                    work[memberShard].steps.append(.checkoutMember(slot: slot, member: member, item: item, itemType: type))
                    work[itemShard].steps.append(.checkoutItem(slot: slot, item: item, fromHoldShelf: fromHoldShelf))
                }
            case .importLoan(let entry, let loan):
                let (member, item) = (batch.imports[Int(entry)].member, batch.imports[Int(entry)].item)
                let type = itemType(of: item)
                batch.itemTypes[Int(slot)] = type
                let memberShard = ownership.shard(of: member)
                work[memberShard].importTerms.append(ImportTerms(batch.imports[Int(entry)], loan: loan, itemType: type))
                work[memberShard].steps.append(.importMember(slot: slot, member: member, item: item, terms: Int32(work[memberShard].importTerms.count - 1)))
                if batch.imports[Int(entry)].isActive { work[ownership.shard(of: item)].steps.append(.checkoutItem(slot: slot, item: item, fromHoldShelf: false)) }
            case .single(let shard, let step):
                // Withdrawing would strand the members waiting for the item (the shard cannot know).
                if !holdBook.isEmpty, case .withdrawItem(_, let item) = batch.steps[Int(step)], holdBook.hasHolds(on: item) {
                    batch.decide(slot, .refused(Refusal(.itemHasHolds)), event: nil)
                    continue
                }
                work[Int(shard)].steps.append(batch.steps[Int(step)])
            case .loan(let loan, let action, let plannedShard, let position):
                if let (shard, step) = loanStep(slot: slot, loan: loan, action: action, shard: plannedShard, position: position) {
                    work[shard].steps.append(step)
                } else {
                    batch.decide(slot, .refused(Refusal(.loanNotFound)), event: nil)
                }
            case .changeEmail(let change):
                let (member, changes, email) = (batch.emailChanges[Int(change)].member, batch.emailChanges[Int(change)].changes, batch.emailChanges[Int(change)].email)
                work[ownership.shard(of: member)].steps.append(.changeMember(slot: slot, member: member, change: .update(changes)))
                work[ownership.shard(ofEmail: email)].steps.append(.claimEmail(slot: slot, email: email, member: member))
            case .overdue(let after, let limit):
                for shard in work.indices { work[shard].steps.append(.overdueLoans(slot: slot, after: after, limit: limit + 1)) }
            case .listItems(let after, let limit):
                // One more than the page, so that the merge knows whether anything follows it.
                for shard in work.indices { work[shard].steps.append(.listItems(slot: slot, after: after, limit: limit + 1)) }
            case .listMembers(let after, let limit):
                for shard in work.indices { work[shard].steps.append(.listMembers(slot: slot, after: after, limit: limit + 1)) }
            case .setPolicy(let change):
                let (key, policy) = batch.policyChanges[Int(change)]
                let event = Event.policySet(key, policy)
                applyToCoordinator(event)
                batch.decide(slot, .ok(.policy(key, policy)), event: event)
            case .placeHold(let member, let item):
                let request = HoldRequest(
                    member: member, item: item, itemType: itemType(of: item), openHolds: Int32(holdBook.openHolds(of: member)),
                    hasHold: holdBook.hold(of: member, on: item) != nil)
                work[ownership.shard(of: member)].steps.append(.holdMember(slot: slot, request))
                work[ownership.shard(of: item)].steps.append(.holdItem(slot: slot, item: item))
            case .cancelHold(let id):
                guard let hold = holdBook.hold(id) else {
                    batch.decide(slot, .refused(Refusal(.holdNotFound)), event: nil)
                    continue
                }
                let position = holdBook.position(of: hold)
                let event = Event.holdEnded(hold, .cancelled)
                applyToCoordinator(event)
                ownership.forEachOwner(of: event) { forward.events[$0].append(event) }
                batch.decide(slot, .ok(.hold(QueuedHold(hold: hold, position: position))), event: event)
                // A cancelled hold's copy passes to the next member in line.
                if hold.status == .ready { follow(&batch, slot, serveWaitingHolds(of: hold.item, copies: 1, now: batch.now), forward: &forward) }
            case .itemHolds(let item, let after, let limit):
                guard itemType(of: item) != nil else {
                    batch.decide(slot, .refused(Refusal(.itemNotFound)), event: nil)
                    continue
                }
                let (page, next) = holdBook.queue(of: item, after: after, limit: Int(limit))
                batch.decide(slot, .ok(.holds(page, next: next)), event: nil)
            case .memberHolds(let member):
                work[ownership.shard(of: member)].steps.append(.getMember(slot: slot, member: member))
            case .analytics(let query):
                batch.decide(slot, .ok(analytics(query, now: batch.now)), event: nil)
            case .searchCatalog(let query, let after, let limit):
                // One more than the page, so that the merge knows whether anything follows it.
                for shard in work.indices { work[shard].steps.append(.searchCatalog(slot: slot, query: query, after: after, limit: limit + 1)) }
            }
        }
        return work
    }

    /// Asks for the analytics counters that completing these results will update (a loan made
    /// or ended), so that their cache misses overlap instead of stalling `complete` one at a
    /// time (see ShardState+Warm.swift).
    func warmCompletion(_ batch: BatchRun, _ results: ArraySlice<StepResult>) {
        for result in results {
            switch batch.plans[Int(result.slot)] {
            case .checkout(let member, let item, let loan):
                statistics.prefetch(item: item.rawValue, member: member.rawValue, loan: loan.rawValue)
            case .importLoan(let entry, let loan):
                let (member, item) = (batch.imports[Int(entry)].member, batch.imports[Int(entry)].item)
                statistics.prefetch(item: item.rawValue, member: member.rawValue, loan: loan.rawValue)
            case .loan(let loan, _, _, _):
                guard loan.rawValue < UInt64(loanRoutes.count) else { continue }
                statistics.prefetch(item: loanRoutes[Int(loan.rawValue)].item, member: nil, loan: loan.rawValue)
            default:
                continue
            }
        }
    }

    /// Folds one step's verdict into its command's outcome, completing sagas whose last step
    /// has answered and queueing their events for the owning shards' next hop.
    func complete(_ batch: inout BatchRun, _ result: StepResult, reply: ShardReply, from shard: Int, forward: inout Forwarding) {
        let index = Int(result.slot)
        switch batch.plans[index] {
        case .single, .loan:
            switch result.verdict {
            case .decided(let outcomeIndex, let eventIndex):
                let event = eventIndex < 0 ? nil : reply.events[Int(eventIndex)]
                batch.decide(result.slot, reply.outcomes[Int(outcomeIndex)], event: event)
                if let event {
                    // A new loan's position is given only where the shard that stores it is
                    // known to have appended nothing else first (`completeOnOneShard`,
                    // `recordForwardedLoan`); no single-shard step makes one.
                    switch event {
                    case .loanCreated, .loanImported: preconditionFailure("a single-shard step made a loan: \(event)")
                    default: break
                    }
                    applyToCoordinator(event)
                    ownership.forEachOwner(of: event) { owner in
                        if owner != shard { forward.events[owner].append(event) }
                    }
                    if !holdBook.isEmpty { serveHolds(&batch, after: event, slot: result.slot, forward: &forward) }
                }
            case .refused(let refusal):
                batch.decide(result.slot, .refused(refusal), event: nil)
            case .cleared, .holdCleared, .imported, .profileCleared, .overdue, .items, .members, .hits:
                preconditionFailure("single-shard step answered with a saga verdict")
            }
        case .checkout(let member, let item, let loanID):
            if ownership.shard(of: member) == ownership.shard(of: item) {
                completeOnOneShard(&batch, result, reply: reply)
                return
            }
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, itemVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            let pickup = batch.pickups.isEmpty ? nil : batch.pickups[result.slot]
            if let refusal = Circulation.combineCheckout(member: memberVerdict, item: itemVerdict) {
                if case .cleared = itemVerdict {
                    if pickup != nil {
                        forward.holdShelfReleases[ownership.shard(of: item)].append(item)
                    } else {
                        forward.releases[ownership.shard(of: item)].append(item)
                    }
                }
                batch.decide(result.slot, .refused(refusal), event: nil)
                return
            }
            guard case .cleared(let dueAt) = memberVerdict, let type = batch.itemTypes[index] else { preconditionFailure("cleared checkout without due date") }
            let loan = Loan(id: loanID, item: item, member: member, itemType: type, checkedOutAt: batch.now, dueAt: dueAt)
            let event = Event.loanCreated(loan)
            recordForwardedLoan(loan, forward: &forward)
            // The item's part (one copy fewer) was taken by the item step's reservation.
            forward.events[ownership.shard(of: member)].append(event)
            batch.decide(result.slot, .ok(.loan(loan)), event: event)
            if let pickup {
                // The hold is filled; its copy left the hold shelf with the item step.
                let filled = Event.holdEnded(pickup, .filled)
                applyToCoordinator(filled)
                batch.extraEvents.append((result.slot, filled))
            }
        case .importLoan(let entryIndex, let loanID):
            let entry = batch.imports[Int(entryIndex)]
            guard entry.isActive else {
                // Decided and applied on the member's shard within its step (`importMemberStep`).
                completeOnOneShard(&batch, result, reply: reply)
                return
            }
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, itemVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            // The import's member step refuses only what checkout's refuses in the same places.
            if let refusal = Circulation.combineCheckout(member: memberVerdict, item: itemVerdict) {
                if case .cleared = itemVerdict { forward.releases[ownership.shard(of: entry.item)].append(entry.item) }
                batch.decide(result.slot, .refused(refusal), event: nil)
                return
            }
            guard case .imported = memberVerdict, let type = batch.itemTypes[index] else { preconditionFailure("cleared import without its item type") }
            // An active loan carries no fine yet.
            let loan = Loan(id: loanID, item: entry.item, member: entry.member, itemType: type, checkedOutAt: entry.checkedOutAt, dueAt: entry.dueAt)
            let event = Event.loanImported(loan, fineOwed: entry.fineOwed)
            recordForwardedLoan(loan, forward: &forward)
            // An active loan's item part (one copy fewer) was taken by the item step's reservation.
            forward.events[ownership.shard(of: entry.member)].append(event)
            batch.decide(result.slot, .ok(.loan(loan)), event: event)
        case .changeEmail:
            if case .decided(let outcomeIndex, let eventIndex) = result.verdict {
                // The address did not change, so the member's shard decided alone. Settle it now,
                // while its reply is at hand; the claim's answer is then moot.
                let event = eventIndex < 0 ? nil : reply.events[Int(eventIndex)]
                batch.decide(result.slot, reply.outcomes[Int(outcomeIndex)], event: event)
                if let event {
                    ownership.forEachOwner(of: event) { owner in
                        if owner != shard { forward.events[owner].append(event) }
                    }
                }
            }
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, emailVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            switch memberVerdict {
            case .refused(let refusal):
                batch.decide(result.slot, .refused(refusal), event: nil)
            case .decided:
                return
            case .profileCleared(let member, let previousEmail):
                if case .refused(let refusal) = emailVerdict {
                    batch.decide(result.slot, .refused(refusal), event: nil)
                    return
                }
                let event = Event.memberChanged(MemberProfile(member), previousEmail: previousEmail)
                ownership.forEachOwner(of: event) { forward.events[$0].append(event) }
                batch.decide(result.slot, .ok(.member(member)), event: event)
            case .cleared, .holdCleared, .imported, .overdue, .items, .members, .hits:
                preconditionFailure("member step answered with the wrong verdict")
            }
        case .overdue(_, let limit):
            guard case .overdue(let loans) = result.verdict else { preconditionFailure("overdue step answered with the wrong verdict") }
            batch.overdue[index, default: []].append(contentsOf: loans)
            guard batch.countAnswer(result.slot, shardCount: shards.count) else { return }
            let (page, next) = Self.page(batch.overdue.removeValue(forKey: index)!, limit: limit, id: \.id)
            batch.decide(result.slot, .ok(.loans(page, next: next)), event: nil)
        case .listItems(_, let limit):
            guard case .items(let items) = result.verdict else { preconditionFailure("item list step answered with the wrong verdict") }
            precondition(items.count <= Int(limit) + 1, "a shard listed more items than asked")
            batch.listedItems[index, default: []].append(contentsOf: items)
            guard batch.countAnswer(result.slot, shardCount: shards.count) else { return }
            let (page, next) = Self.page(batch.listedItems.removeValue(forKey: index)!, limit: limit, id: \.id)
            batch.decide(result.slot, .ok(.items(page, next: next)), event: nil)
        case .listMembers(_, let limit):
            guard case .members(let members) = result.verdict else { preconditionFailure("member list step answered with the wrong verdict") }
            precondition(members.count <= Int(limit) + 1, "a shard listed more members than asked")
            batch.listedMembers[index, default: []].append(contentsOf: members)
            guard batch.countAnswer(result.slot, shardCount: shards.count) else { return }
            let (page, next) = Self.page(batch.listedMembers.removeValue(forKey: index)!, limit: limit, id: \.id)
            batch.decide(result.slot, .ok(.members(page, next: next)), event: nil)
        case .placeHold(let member, let item):
            guard let other = batch.firstVerdict(result) else { return }
            let (memberVerdict, itemVerdict) = result.role == .primary ? (result.verdict, other) : (other, result.verdict)
            if let refusal = Circulation.combineCheckout(member: memberVerdict, item: itemVerdict) {
                batch.decide(result.slot, .refused(refusal), event: nil)
                return
            }
            guard case .holdCleared(let pickupDays) = memberVerdict else { preconditionFailure("cleared hold without its pickup days") }
            let hold = Hold(id: HoldID(batch.firstSequence + UInt64(result.slot)), item: item, member: member, placedAt: batch.now, pickupDays: pickupDays)
            let event = Event.holdPlaced(hold)
            applyToCoordinator(event)
            batch.decide(result.slot, .ok(.hold(QueuedHold(hold: hold, position: holdBook.position(of: hold)))), event: event)
        case .memberHolds(let member):
            switch result.verdict {
            case .decided(let outcomeIndex, _):
                if case .refused(let refusal) = reply.outcomes[Int(outcomeIndex)] {
                    batch.decide(result.slot, .refused(refusal), event: nil)
                } else {
                    batch.decide(result.slot, .ok(.holds(holdBook.holds(of: member), next: nil)), event: nil)
                }
            case .refused(let refusal):
                batch.decide(result.slot, .refused(refusal), event: nil)
            default:
                preconditionFailure("member look-up answered with the wrong verdict")
            }
        case .searchCatalog(_, _, let limit):
            guard case .hits(let hits) = result.verdict else { preconditionFailure("search step answered with the wrong verdict") }
            batch.searchHits[index, default: []].append(contentsOf: hits)
            guard batch.countAnswer(result.slot, shardCount: shards.count) else { return }
            let merged = batch.searchHits.removeValue(forKey: index)!.sorted { $0.hit.ranks(before: $1.hit) }
            let page = Array(merged.prefix(Int(limit)))
            let next = merged.count > page.count ? page.last.map { SearchCursor(after: $0.hit) } : nil
            batch.decide(result.slot, .ok(.searchResults(page, next: next)), event: nil)
        case .setPolicy, .settled, .cancelHold, .itemHolds, .analytics:
            preconditionFailure("no shard step belongs to this command")
        }
    }

    /// A checkout decided whole on one shard (`ShardState.checkoutStep`), or a returned import
    /// (`ShardState.importMemberStep`): its loan is already stored there, at the position the
    /// shard's next loan takes.
    private func completeOnOneShard(_ batch: inout BatchRun, _ result: StepResult, reply: ShardReply) {
        switch result.verdict {
        case .decided(let outcomeIndex, let eventIndex):
            precondition(eventIndex >= 0, "a loan decided on one shard without its event")
            let event = reply.events[Int(eventIndex)]
            applyToCoordinator(event)
            batch.decide(result.slot, reply.outcomes[Int(outcomeIndex)], event: event)
            if let pickup = batch.pickups.isEmpty ? nil : batch.pickups[result.slot] {
                // The hold is filled; its copy left the hold shelf with the checkout.
                let filled = Event.holdEnded(pickup, .filled)
                applyToCoordinator(filled)
                batch.extraEvents.append((result.slot, filled))
            }
        case .refused(let refusal):
            batch.decide(result.slot, .refused(refusal), event: nil)
        case .cleared, .holdCleared, .imported, .profileCleared, .overdue, .items, .members, .hits:
            preconditionFailure("a one-shard loan answered with a saga verdict")
        }
    }

    /// Copies freed by a command go to the item's waiting holds first: a returned copy, or
    /// copies added to the catalog.
    private func serveHolds(_ batch: inout BatchRun, after event: Event, slot: Int32, forward: inout Forwarding) {
        switch event {
        case .loanReturned(_, _, let item, _, _):
            guard holdBook.waitingCount(of: item) > 0 else { return }
            follow(&batch, slot, serveWaitingHolds(of: item, copies: 1, now: batch.now), forward: &forward)
        case .itemChanged(let changed):
            guard changed.availableCopies > 0, holdBook.waitingCount(of: changed.id) > 0 else { return }
            let ready = serveWaitingHolds(of: changed.id, copies: changed.availableCopies, now: batch.now)
            follow(&batch, slot, ready, forward: &forward)
            // The reply shows the item as the command leaves it, copies set aside included.
            var shown = changed
            shown.availableCopies -= Int32(ready.count)
            shown.awaitingPickup += Int32(ready.count)
            batch.outcomes[Int(slot)] = .ok(.item(shown))
        default:
            return
        }
    }

    /// Merges every shard's first `limit + 1` elements after a cursor into one page: the first
    /// `limit + 1` overall are among them, so the page is exact, and `next` (the page's last id)
    /// is set only when at least one element follows the page.
    static func page<Element, ID: Comparable>(_ answers: [Element], limit: Int32, id: (Element) -> ID) -> (page: [Element], next: ID?) {
        let merged = answers.sorted { id($0) < id($1) }
        let page = Array(merged.prefix(Int(limit)))
        return (page, merged.count > page.count ? page.last.map(id) : nil)
    }

    /// One parallel round: each shard with work gets exactly one message.
    func hop(_ work: [ShardWork]) async -> [ShardReply] {
        await settleDelivery()
        return await Self.visit(shards, with: work)
    }

    nonisolated static func visit(_ shards: [Shard], with work: [ShardWork]) async -> [ShardReply] {
        var results = [ShardReply](repeating: ShardReply(), count: shards.count)
        let busy = work.indices.filter { !work[$0].isEmpty }
        if busy.count == 1, let only = busy.first {
            results[only] = await shards[only].run(work[only])
            return results
        }
        await withTaskGroup(of: (Int, ShardReply).self) { group in
            for shard in busy {
                let shardWork = work[shard]
                let actor = shards[shard]
                group.addTask { (shard, await actor.run(shardWork)) }
            }
            for await (shard, shardResults) in group { results[shard] = shardResults }
        }
        return results
    }

    // MARK: Finishing

    func finish(_ batch: inout BatchRun) -> BatchResult {
        for index in batch.requests.indices {
            if let source = batch.copyFrom[index] { batch.outcomes[index] = batch.outcomes[Int(source)] }
        }
        var events: [Event] = batch.preamble
        events.reserveCapacity(batch.preamble.count + batch.requests.count + batch.extraEvents.count)
        var sources: [EventSource] = []
        if !batch.preamble.isEmpty { sources.append(.batchTime(eventCount: UInt32(batch.preamble.count))) }
        var actors = ActorTable()
        // The run of the command at hand, its index in the table, and where it ends.
        var run = -1
        var runActor: UInt32 = 0
        var runEnd = 0
        var keyed = batch.keyed.makeIterator()
        var nextKeyed = keyed.next()
        // Follow-up events by slot, in the order they were decided within a slot.
        let extras = batch.extraEvents.enumerated().sorted { ($0.element.slot, $0.offset) < ($1.element.slot, $1.offset) }.map(\.element)
        var nextExtra = 0
        for index in batch.requests.indices {
            let before = events.count
            // Moved, not copied: the slot is written again before the next batch reads it.
            if let event = batch.events[index].take() { events.append(event) }
            while nextExtra < extras.count, Int(extras[nextExtra].slot) == index {
                events.append(extras[nextExtra].event)
                nextExtra += 1
            }
            if let current = nextKeyed, Int(current.slot) == index {
                let record = IdempotencyRecord(
                    key: current.key, fingerprint: current.fingerprint, sequence: batch.firstSequence + SequenceNumber(index),
                    rememberedAt: batch.now, outcome: batch.outcomes[index]!)
                let event = Event.keyRemembered(record)
                applyToCoordinator(event)
                events.append(event)
                nextKeyed = keyed.next()
            }
            if events.count > before {
                while index >= runEnd {
                    run += 1
                    let name = run < batch.actors.count ? batch.actors[run].actor : ""
                    runEnd = run < batch.actors.count ? runEnd + batch.actors[run].count : Int.max
                    runActor = actors.index(of: name)
                }
                sources.append(EventSource(command: UInt32(index), actor: runActor, eventCount: UInt32(events.count - before)))
            }
        }
        nextSequence = batch.firstSequence + SequenceNumber(batch.requests.count)
        growDirectories()
        let record = BatchRecord(
            firstSequence: batch.firstSequence, commandCount: UInt32(batch.requests.count), timestamp: batch.now, nextItemID: nextItemID,
            nextMemberID: nextMemberID, nextLoanID: nextLoanID, events: events, actors: actors.names, sources: sources)
        assert(record.sourcesProblem == nil, "record sources: \(record.sourcesProblem ?? "")")
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.requests.count)
        for index in batch.requests.indices { outcomes.append(batch.outcomes[index].take()!) }
        return BatchResult(record: record, outcomes: outcomes)
    }
}

/// The names of a batch's actors, each once, in order of first appearance: looked up once per
/// run of commands (a frame), not per command.
struct ActorTable {
    private(set) var names: [String] = []
    private var indexes: [String: UInt32] = [:]

    mutating func index(of name: String) -> UInt32 {
        if let known = indexes[name] { return known }
        let index = UInt32(names.count)
        names.append(name)
        indexes[name] = index
        return index
    }
}
