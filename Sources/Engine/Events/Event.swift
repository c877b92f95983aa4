/// A member's profile fields, as a change event carries them.
public struct MemberProfile: Sendable, Hashable {
    public var id: MemberID
    public var email: String
    public var name: String
    public var tier: String
    public var status: MemberStatus
    public var cardExpiryDay: Int32

    public init(id: MemberID, email: String, name: String, tier: String, status: MemberStatus, cardExpiryDay: Int32) {
        self.id = id
        self.email = email
        self.name = name
        self.tier = tier
        self.status = status
        self.cardExpiryDay = cardExpiryDay
    }

    public init(_ member: Member) {
        self.init(id: member.id, email: member.email, name: member.name, tier: member.tier, status: member.status, cardExpiryDay: member.cardExpiryDay)
    }
}

/// A remembered idempotency key and the outcome it stands for.
public struct IdempotencyRecord: Sendable, Hashable {
    public var key: String
    /// A hash of the command's canonical encoding: a repeat with another command is refused.
    public var fingerprint: UInt64
    public var sequence: SequenceNumber
    public var rememberedAt: Timestamp
    public var outcome: Outcome

    public init(key: String, fingerprint: UInt64, sequence: SequenceNumber, rememberedAt: Timestamp, outcome: Outcome) {
        self.key = key
        self.fingerprint = fingerprint
        self.sequence = sequence
        self.rememberedAt = rememberedAt
        self.outcome = outcome
    }
}

/// A state change, decided. Events carry after-images, so applying them needs no rule: replay
/// of the log is a plain apply, and the live engine changes state only by applying the events
/// it emits (one mutation path for both).
public enum Event: Sendable, Hashable {
    indirect case itemCreated(Item)
    /// The item's full new state (update, withdraw, add or remove copies).
    indirect case itemChanged(Item)
    indirect case memberRegistered(Member)
    /// New profile; `previousEmail` is set when the e-mail changed, to release the old one.
    indirect case memberChanged(MemberProfile, previousEmail: String?)
    indirect case policySet(PolicyKey, Policy)
    case loanCreated(Loan)
    /// A loan imported from history (`Command.importLoan`), with its own times. An active one
    /// takes a copy and joins the member's active loans, as `loanCreated` does; a returned one
    /// is history only (no copy), and its fine adds to the member's fines owed when `fineOwed`.
    case loanImported(Loan, fineOwed: Bool)
    case loanReturned(LoanID, member: MemberID, item: ItemID, returnedAt: Timestamp, fineCents: Int64)
    case loanRenewed(LoanID, member: MemberID, dueAt: Timestamp, renewals: Int32)
    case finePaid(MemberID, amountCents: Int64)
    indirect case keyRemembered(IdempotencyRecord)
    /// A member joined an item's queue (waiting).
    case holdPlaced(Hold)
    /// A copy was set aside for this hold (the hold as it now is: ready, with its pickup time):
    /// one copy moves from the shelf to the hold shelf.
    case holdReady(Hold)
    /// A hold left the queue (the hold as it was). A ready one's copy leaves the hold shelf: to
    /// the member's new loan when filled (the loan event follows), else back to the shelf.
    case holdEnded(Hold, HoldEnd)
    /// A loan ended otherwise than by a return (`LoanEnd.lost`, `.claimedReturned`): the member
    /// part as for a return (with the fee), the item part one copy more in that state.
    case loanClosed(LoanID, member: MemberID, item: ItemID, at: Timestamp, feeCents: Int64, end: LoanEnd)
    indirect case memberBlocked(MemberID, MemberBlock)
    case memberUnblocked(MemberID, block: UInt64)
}

/// Everything one batch changed, in sequence order, with the header that replay needs to
/// continue numbering exactly where the live engine did, and which command (and who) caused
/// each event. This is the unit the log stores.
public struct BatchRecord: Sendable, Hashable {
    public var firstSequence: SequenceNumber
    public var commandCount: UInt32
    public var timestamp: Timestamp
    /// Identifier counters after the batch (refused creates leave gaps, so these are logged).
    public var nextItemID: UInt64
    public var nextMemberID: UInt64
    public var nextLoanID: UInt64
    public var events: [Event]
    /// Who sent the batch's commands, each name once; `sources` refer to them by index.
    public var actors: [String]
    /// The events in runs, in order: each run caused by one command (or by the batch's time).
    /// Together they cover `events` exactly.
    public var sources: [EventSource]

    public init(
        firstSequence: SequenceNumber, commandCount: UInt32, timestamp: Timestamp, nextItemID: UInt64, nextMemberID: UInt64,
        nextLoanID: UInt64, events: [Event], actors: [String], sources: [EventSource]
    ) {
        self.firstSequence = firstSequence
        self.commandCount = commandCount
        self.timestamp = timestamp
        self.nextItemID = nextItemID
        self.nextMemberID = nextMemberID
        self.nextLoanID = nextLoanID
        self.events = events
        self.actors = actors
        self.sources = sources
    }

    /// A record without its events, actors and sources: what replay needs of it besides the events.
    public struct Header: Sendable, Hashable {
        public var firstSequence: SequenceNumber
        public var commandCount: UInt32
        public var timestamp: Timestamp
        public var nextItemID: UInt64
        public var nextMemberID: UInt64
        public var nextLoanID: UInt64
    }

    public var header: Header {
        Header(firstSequence: firstSequence, commandCount: commandCount, timestamp: timestamp, nextItemID: nextItemID, nextMemberID: nextMemberID, nextLoanID: nextLoanID)
    }

    init(_ header: Header, events: [Event], actors: [String], sources: [EventSource]) {
        self.init(
            firstSequence: header.firstSequence, commandCount: header.commandCount, timestamp: header.timestamp, nextItemID: header.nextItemID,
            nextMemberID: header.nextMemberID, nextLoanID: header.nextLoanID, events: events, actors: actors, sources: sources)
    }

    /// Why the sources do not describe the events, or nil when they do: runs in command order
    /// (the batch's time first), each of at least one event, naming a command of the batch
    /// and a listed actor, adding up to the events.
    public var sourcesProblem: String? {
        var check = SourcesCheck(commandCount: commandCount, actorCount: actors.count)
        for source in sources {
            if let problem = check.add(source) { return problem }
        }
        return check.finish(eventCount: events.count)
    }

    /// Each event with what caused it, in order.
    public func attributedEvents() -> [AttributedEvent] {
        var result: [AttributedEvent] = []
        result.reserveCapacity(events.count)
        var index = 0
        for source in sources {
            let sequence = source.isClock ? nil : firstSequence + SequenceNumber(source.command)
            // An empty name (a command run in process) names no one, as the clock does not.
            let actor = source.isClock || actors[Int(source.actor)].isEmpty ? nil : actors[Int(source.actor)]
            for _ in 0..<source.eventCount {
                result.append(AttributedEvent(index: UInt32(index), sequence: sequence, actor: actor, event: events[index]))
                index += 1
            }
        }
        return result
    }
}

/// A run of a record's events caused by one command: the command's place in its batch, who
/// sent it (an index into the record's actors) and how many events it caused. Events that
/// the batch's time decided (expired pickups) have `clock` for both.
public struct EventSource: Sendable, Hashable {
    public static let clock = UInt32.max
    public var command: UInt32
    public var actor: UInt32
    public var eventCount: UInt32

    public init(command: UInt32, actor: UInt32, eventCount: UInt32) {
        self.command = command
        self.actor = actor
        self.eventCount = eventCount
    }

    public static func batchTime(eventCount: UInt32) -> EventSource { EventSource(command: clock, actor: clock, eventCount: eventCount) }

    public var isClock: Bool { command == Self.clock }

    /// One event per command, all sent by the record's first actor: for records built by hand
    /// (benchmarks, tests) where the command/event pairing is one to one.
    public static func onePerCommand(_ count: Int) -> [EventSource] {
        (0..<count).map { EventSource(command: UInt32($0), actor: 0, eventCount: 1) }
    }
}

/// The rules a record's sources follow, checked one source at a time (so that a decoder can
/// check sources it does not keep).
struct SourcesCheck {
    let commandCount: UInt32
    let actorCount: Int
    private var covered = 0
    private var previous: UInt32?

    init(commandCount: UInt32, actorCount: Int) {
        self.commandCount = commandCount
        self.actorCount = actorCount
    }

    mutating func add(_ source: EventSource) -> String? {
        guard source.eventCount > 0 else { return "a source with no events" }
        if source.isClock {
            guard previous == nil, covered == 0 else { return "events of the batch's time after a command's" }
        } else {
            guard source.command < commandCount else { return "source names command \(source.command) of \(commandCount)" }
            guard source.actor < actorCount else { return "source names actor \(source.actor) of \(actorCount)" }
            if let previous, previous != EventSource.clock, source.command <= previous { return "sources out of command order" }
        }
        previous = source.command
        covered += Int(source.eventCount)
        return nil
    }

    func finish(eventCount: Int) -> String? {
        covered == eventCount ? nil : "sources cover \(covered) of \(eventCount) events"
    }
}

/// One event of a record with what caused it: its place in the record, the command's sequence
/// number and who sent it (both nil when the batch's time decided it; the actor also when the
/// command named no one).
public struct AttributedEvent: Sendable, Hashable {
    public var index: UInt32
    public var sequence: SequenceNumber?
    public var actor: String?
    public var event: Event
}
