/// The open holds, kept by the coordinator: holds are few beside loans, and a hold's fate
/// (which member gets the next free copy) is decided where every shard's answers meet.
///
/// Queues are in placement order (ascending id). Copies are set aside in queue order and holds
/// only ever leave, so an item's ready holds are always a prefix of its queue: a waiting hold's
/// position is its index minus the number of ready holds before it.
struct HoldBook: Sendable {
    private(set) var holds: [HoldID: Hold] = [:]
    /// Per item, its open holds ascending by id.
    private var queues: [ItemID: [HoldID]] = [:]
    /// Per item, how many of its queue's first holds are ready.
    private var readyCounts: [ItemID: Int32] = [:]
    /// Per member, their open holds ascending by id.
    private var byMember: [MemberID: [HoldID]] = [:]
    /// Ready holds by pickup deadline, then id: the batch clock expires them from the front.
    private var deadlines: [(pickupBy: Timestamp, id: HoldID)] = []

    var count: Int { holds.count }
    var isEmpty: Bool { holds.isEmpty }
    /// Whether any copy waits on a hold shelf (checkouts look for a pickup only then).
    var anyReady: Bool { !deadlines.isEmpty }

    /// Every open hold, ascending by id (digests and snapshots).
    var sorted: [Hold] { holds.values.sorted { $0.id < $1.id } }

    init() {}

    init(_ holds: [Hold]) {
        for hold in holds.sorted(by: { $0.id < $1.id }) {
            place(hold)
            if hold.status == .ready { markReady(hold) }
        }
    }

    // MARK: Changes (from events only)

    mutating func place(_ hold: Hold) {
        var waiting = hold
        waiting.status = .waiting
        waiting.pickupBy = .zero
        holds[hold.id] = waiting
        queues[hold.item, default: []].append(hold.id)
        byMember[hold.member, default: []].append(hold.id)
    }

    mutating func markReady(_ hold: Hold) {
        precondition(holds[hold.id]?.status == .waiting, "hold \(hold.id) made ready twice")
        holds[hold.id] = hold
        readyCounts[hold.item, default: 0] += 1
        let entry = (pickupBy: hold.pickupBy, id: hold.id)
        let index = deadlines.partitioningIndex { ($0.pickupBy, $0.id) > (entry.pickupBy, entry.id) }
        deadlines.insert(entry, at: index)
    }

    mutating func remove(_ id: HoldID) {
        guard let hold = holds.removeValue(forKey: id) else { preconditionFailure("hold \(id) ended twice") }
        queues[hold.item]!.removeAll { $0 == id }
        if queues[hold.item]!.isEmpty { queues[hold.item] = nil }
        byMember[hold.member]!.removeAll { $0 == id }
        if byMember[hold.member]!.isEmpty { byMember[hold.member] = nil }
        if hold.status == .ready {
            readyCounts[hold.item]! -= 1
            if readyCounts[hold.item] == 0 { readyCounts[hold.item] = nil }
            deadlines.removeAll { $0.id == id }
        }
    }

    // MARK: Questions

    func hold(_ id: HoldID) -> Hold? { holds[id] }

    /// The first hold in the item's queue still waiting for a copy.
    func firstWaiting(of item: ItemID) -> Hold? {
        guard let queue = queues[item] else { return nil }
        let ready = Int(readyCounts[item] ?? 0)
        return ready < queue.count ? holds[queue[ready]] : nil
    }

    func waitingCount(of item: ItemID) -> Int {
        (queues[item]?.count ?? 0) - Int(readyCounts[item] ?? 0)
    }

    func readyCount(of item: ItemID) -> Int32 { readyCounts[item] ?? 0 }

    func hasHolds(on item: ItemID) -> Bool { queues[item] != nil }

    func openHolds(of member: MemberID) -> Int { byMember[member]?.count ?? 0 }

    /// The member's open hold on this item, if any.
    func hold(of member: MemberID, on item: ItemID) -> Hold? {
        guard let ids = byMember[member] else { return nil }
        for id in ids where holds[id]!.item == item { return holds[id] }
        return nil
    }

    func position(of hold: Hold) -> Int32 {
        guard hold.status == .waiting, let queue = queues[hold.item], let index = queue.firstIndex(of: hold.id) else { return 0 }
        return Int32(index) - (readyCounts[hold.item] ?? 0) + 1
    }

    /// The item's queue after the cursor, ready holds first, up to `limit`, and the cursor for
    /// the next page.
    func queue(of item: ItemID, after: HoldID?, limit: Int) -> (holds: [QueuedHold], next: HoldID?) {
        guard let queue = queues[item] else { return ([], nil) }
        let ready = Int(readyCounts[item] ?? 0)
        let start = after.map { cursor in queue.partitioningIndex { $0 > cursor } } ?? 0
        let end = min(queue.count, start + limit)
        let page = (start..<end).map { index in
            QueuedHold(hold: holds[queue[index]]!, position: index < ready ? 0 : Int32(index - ready + 1))
        }
        return (page, end < queue.count ? queue[end - 1] : nil)
    }

    func holds(of member: MemberID) -> [QueuedHold] {
        (byMember[member] ?? []).map { id in
            let hold = holds[id]!
            return QueuedHold(hold: hold, position: position(of: hold))
        }
    }

    /// Ready holds whose copy waited past its deadline, earliest first.
    func expired(at now: Timestamp) -> [Hold] {
        var found: [Hold] = []
        for entry in deadlines {
            guard entry.pickupBy < now else { break }
            found.append(holds[entry.id]!)
        }
        return found
    }
}

extension RandomAccessCollection {
    /// The first index whose element satisfies `belongs`, for a predicate false then true along
    /// the collection (binary search).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if belongs(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
