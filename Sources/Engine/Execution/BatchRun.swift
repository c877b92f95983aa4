/// Where a loan lives: its member (whose shard holds it), its item, and its position in that
/// shard's loan storage.
struct LoanRoute: Sendable, Hashable {
    var member: UInt64
    var item: UInt64
    var position: UInt32 = 0

    static let none = LoanRoute(member: 0, item: 0)
}

/// What the next hop must deliver to each shard: events decided in the last wave that touch
/// it, and copies to put back for checkouts refused after their item step reserved one.
struct Forwarding {
    var events: [[Event]]
    var releases: [[ItemID]]
    var holdShelfReleases: [[ItemID]]
    /// The loans among `events`, in order, whose positions on their member's shard are given
    /// when the events are handed over (see `Engine.recordForwardedLoan`).
    var newLoans: [[LoanID]]

    init(shardCount: Int) {
        newLoans = Array(repeating: [], count: shardCount)
        events = Array(repeating: [], count: shardCount)
        releases = Array(repeating: [], count: shardCount)
        holdShelfReleases = Array(repeating: [], count: shardCount)
    }

    var isEmpty: Bool { events.allSatisfy(\.isEmpty) && releases.allSatisfy(\.isEmpty) && holdShelfReleases.allSatisfy(\.isEmpty) }
}

/// The idempotency keys a batch has named so far while it is planned, and the store's extent
/// when the batch began: together they tell whether a remembered record is still live when a
/// command is planned.
struct KeyPlanning {
    private(set) var batchKeys: [String: (slot: Int32, ordinal: UInt64, fingerprint: UInt64)] = [:]
    private(set) var newKeys = 0
    private var keysAtStart = 0
    private var headOrdinal: UInt64 = 0
    private var keysMax = 0

    mutating func begin(keysAtStart: Int, headOrdinal: UInt64, keysMax: Int) {
        if !batchKeys.isEmpty { batchKeys.removeAll(keepingCapacity: true) }
        newKeys = 0
        self.keysAtStart = keysAtStart
        self.headOrdinal = headOrdinal
        self.keysMax = keysMax
    }

    mutating func add(_ key: String, slot: Int32, ordinal: UInt64, fingerprint: UInt64) {
        batchKeys[key] = (slot, ordinal, fingerprint)
        newKeys += 1
    }

    /// Whether the record with this ordinal is still remembered when the next new key is
    /// about to be added (evictions by count always take the oldest ordinals).
    func isLive(_ ordinal: UInt64) -> Bool {
        ordinal >= headOrdinal + UInt64(max(0, keysAtStart + newKeys - keysMax))
    }
}

struct KeyedSlot {
    var slot: Int32
    var key: String
    var fingerprint: UInt64
}

/// The working state of one batch inside the coordinator. Kept between batches; per-slot
/// arrays only grow, and every slot a batch uses is written before it is read.
struct BatchRun {
    var requests: [Request] = []
    /// Who sent the requests, in runs (see `ActorRun`).
    var actors: [ActorRun] = []
    var firstSequence: SequenceNumber = 0
    var now: Timestamp = .zero
    var firstLoanID: UInt64 = 0
    /// Commands planned so far (planning goes on while the first commands run).
    var plannedCount = 0
    var keyPlanning = KeyPlanning()
    var outcomes: [Outcome?] = []
    var events: [Event?] = []
    var plans: [SlotPlan] = []
    /// In-batch repeats of an idempotency key: the slot whose outcome they share.
    var copyFrom: [Int32?] = []
    var itemTypes: [ItemType?] = []
    /// The first answer of a two-step saga, until the second arrives (nil between batches).
    var firstAnswers: [StepVerdict?] = []
    var keyed: [KeyedSlot] = []
    var pendingRoutes: [LoanRoute] = []
    var steps: [ShardStep] = []
    var emailChanges: [EmailChange] = []
    var policyChanges: [(PolicyKey, Policy)] = []
    var imports: [LoanImport] = []
    /// What the shards have answered so far to a command that every shard answers (the
    /// overdue scan, the lists), by slot, and how many shards have answered it.
    var overdue: [Int: [Loan]] = [:]
    var listedItems: [Int: [Item]] = [:]
    var listedMembers: [Int: [Member]] = [:]
    var searchHits: [Int: [ScoredItem]] = [:]
    var fanOutAnswers: [Int: Int] = [:]
    /// Events the batch's time decided before any command (expired pickups), logged first.
    var preamble: [Event] = []
    /// Events beyond a command's own (a hold made ready by a return, a hold filled by a
    /// checkout), logged right after it; in the order decided, not by slot.
    var extraEvents: [(slot: Int32, event: Event)] = []
    /// Checkouts that collect the copy set aside for the member's ready hold.
    var pickups: [Int32: Hold] = [:]

    /// Prepares for a new batch, keeping the capacity of every buffer.
    mutating func reset(requests: [Request], firstSequence: SequenceNumber, now: Timestamp) {
        self.requests = requests
        self.firstSequence = firstSequence
        self.now = now
        firstLoanID = 0
        plannedCount = 0
        let missing = requests.count - plans.count
        if missing > 0 {
            outcomes.append(contentsOf: repeatElement(nil, count: missing))
            events.append(contentsOf: repeatElement(nil, count: missing))
            plans.append(contentsOf: repeatElement(.settled, count: missing))
            copyFrom.append(contentsOf: repeatElement(nil, count: missing))
            itemTypes.append(contentsOf: repeatElement(nil, count: missing))
            firstAnswers.append(contentsOf: repeatElement(nil, count: missing))
        }
        keyed.removeAll(keepingCapacity: true)
        pendingRoutes.removeAll(keepingCapacity: true)
        steps.removeAll(keepingCapacity: true)
        emailChanges.removeAll(keepingCapacity: true)
        policyChanges.removeAll(keepingCapacity: true)
        imports.removeAll(keepingCapacity: true)
        if !overdue.isEmpty { overdue.removeAll() }
        if !listedItems.isEmpty { listedItems.removeAll() }
        if !listedMembers.isEmpty { listedMembers.removeAll() }
        if !searchHits.isEmpty { searchHits.removeAll() }
        if !fanOutAnswers.isEmpty { fanOutAnswers.removeAll() }
        preamble.removeAll(keepingCapacity: true)
        extraEvents.removeAll(keepingCapacity: true)
        if !pickups.isEmpty { pickups.removeAll() }
    }

    /// Decides a command while planning: it will not run.
    mutating func settle(_ index: Int, _ outcome: Outcome) {
        outcomes[index] = outcome
        events[index] = nil
        plans[index] = .settled
    }

    mutating func single(_ shard: Int, _ step: ShardStep) -> SlotPlan {
        steps.append(step)
        return .single(shard: Int32(shard), step: Int32(steps.count - 1))
    }

    mutating func decide(_ slot: Int32, _ outcome: Outcome, event: Event?) {
        Self.store(outcome, at: Int(slot), in: &outcomes)
        Self.store(event, at: Int(slot), in: &events)
    }

    /// `slots[index] = value`, for per-slot arrays whose slots `finish` empties (moves out) and
    /// a command decides once: when the slot is empty, nothing is there to destroy. A plain
    /// assignment destroys the old value through the optional's outlined destroy, which asks
    /// the event's (or outcome's) value witness for its tag: about 5 % of the coordinator's
    /// time while seeding.
    @inline(__always) private static func store<Wrapped>(_ value: Wrapped?, at index: Int, in slots: inout [Wrapped?]) {
        slots.withUnsafeMutableBufferPointer { slots in
            precondition(index >= 0 && index < slots.count, "slot out of range")
            let slot = slots.baseAddress! + index
            if case .none = slot.pointee {
                slot.initialize(to: value)
            } else {
                slot.pointee = value
            }
        }
    }

    /// Counts one shard's answer to a command that every shard answers; true when it was the last.
    mutating func countAnswer(_ slot: Int32, shardCount: Int) -> Bool {
        let answers = fanOutAnswers[Int(slot), default: 0] + 1
        precondition(answers <= shardCount, "more answers than shards")
        fanOutAnswers[Int(slot)] = answers
        return answers == shardCount
    }

    /// Nil while the saga's other step has not answered (the verdict is kept); else that step's verdict.
    mutating func firstVerdict(_ result: StepResult) -> StepVerdict? {
        let index = Int(result.slot)
        if let other = firstAnswers[index] {
            firstAnswers[index] = nil
            return other
        }
        firstAnswers[index] = result.verdict
        return nil
    }
}
