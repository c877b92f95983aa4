/// What a snapshot file holds: the engine's header, then its items, members and loans, each in
/// ascending id order.
public protocol SnapshotContent: Sendable {
    var header: EngineHeader { get }
    var itemCount: Int { get }
    var memberCount: Int { get }
    var loanCount: Int { get }
    /// Each calls `body` with the entities in ascending id order until it returns false. (Not
    /// generic over an error type: across modules that would leave the merge unspecialized.)
    func forEachItem(_ body: (Item) -> Bool)
    func forEachMember(_ body: (Member) -> Bool)
    func forEachLoan(_ body: (Loan) -> Bool)
}

/// The shards' state at a batch boundary, handed over without copying (copy on write): later
/// batches do not change it. It yields its entities in id order by merging the shards' arrays
/// as it goes, so that writing a snapshot of millions of loans allocates no merged copy of
/// them (the copy's pages were most of a snapshot's cost besides encoding).
public struct EngineCapture: SnapshotContent {
    public let header: EngineHeader
    let shards: [ShardCapture]

    init(header: EngineHeader, shards: [ShardCapture]) {
        self.header = header
        self.shards = shards
    }

    public var itemCount: Int { shards.reduce(0) { $0 + Self.placedCount($1.items) } }
    public var memberCount: Int { shards.reduce(0) { $0 + Self.placedCount($1.members) } }
    public var loanCount: Int { shards.reduce(0) { $0 + $1.loans.count } }

    public func forEachItem(_ body: (Item) -> Bool) { Self.merge(shards.map(\.items), body) }
    public func forEachMember(_ body: (Member) -> Bool) { Self.merge(shards.map(\.members), body) }
    public func forEachLoan(_ body: (Loan) -> Bool) { Self.merge(shards.map(\.loans), body) }

    /// The capture as arrays in id order. Merging millions of records would hold one of the
    /// cooperative pool's few threads for a long time and starve the shards: a Dispatch thread
    /// does it instead.
    public func merged() async -> EngineSnapshot {
        await offCooperativePool(qos: .utility) { [self] in
            var items: [Item] = []
            var members: [Member] = []
            var loans: [Loan] = []
            items.reserveCapacity(itemCount)
            members.reserveCapacity(memberCount)
            loans.reserveCapacity(loanCount)
            forEachItem { items.append($0); return true }
            forEachMember { members.append($0); return true }
            forEachLoan { loans.append($0); return true }
            return EngineSnapshot(header: header, items: items, members: members, loans: loans)
        }
    }

    /// Items and members sit at their id's slot, with placeholders between.
    private static func placedCount<Element: SnapshotEntity>(_ run: ChunkedArray<Element>) -> Int {
        var count = 0
        for chunk in run.chunks { for element in chunk where !element.isPlaceholder { count += 1 } }
        return count
    }

    /// Calls `body` with the elements of all runs in ascending id order, placeholders left out,
    /// until it returns false. Items and members sit at their id's slot, so they ascend; loans
    /// made by checkouts or imports are out of order only within a batch, and such a run is read
    /// as a merge of its ascending lanes (see `RunOrder`), never copied.
    private static func merge<Element: SnapshotEntity>(_ runs: [ChunkedArray<Element>], _ body: (Element) -> Bool) {
        var cursors = runs.map { MergeCursor($0) }
        var lastID: UInt64 = 0
        while true {
            // Shards are few (one per core): a scan of their heads beats a heap.
            var chosen = 0
            for index in cursors.indices.dropFirst() where cursors[index].headID < cursors[chosen].headID { chosen = index }
            guard cursors[chosen].headID != .max else { return }
            // Ids are unique across shards: the same id twice would write two records as one.
            precondition(cursors[chosen].headID > lastID, "snapshot: id \(cursors[chosen].headID) after \(lastID)")
            lastID = cursors[chosen].headID
            guard let head = cursors[chosen].head, body(head) else { return }
            cursors[chosen].advance()
        }
    }
}

/// Items, members and loans as a snapshot orders them. Only slot arrays (items, members) hold
/// placeholders, marked by id 0; loans are stored densely, so every loan is counted and written.
protocol SnapshotEntity {
    var snapshotID: UInt64 { get }
    static var hasPlaceholders: Bool { get }
}

extension SnapshotEntity {
    var isPlaceholder: Bool { Self.hasPlaceholders && snapshotID == 0 }
}

extension Item: SnapshotEntity {
    var snapshotID: UInt64 { id.rawValue }
    static var hasPlaceholders: Bool { true }
}

extension Member: SnapshotEntity {
    var snapshotID: UInt64 { id.rawValue }
    static var hasPlaceholders: Bool { true }
}

extension Loan: SnapshotEntity {
    var snapshotID: UInt64 { id.rawValue }
    static var hasPlaceholders: Bool { false }
}

/// A position in one run, read in id order as its `RunOrder` says. An ascending run is walked
/// chunk by chunk, holding the current chunk so that stepping costs no lookup through the run's
/// chunk list. `headID` is `UInt64.max` once the run is exhausted.
private struct MergeCursor<Element: SnapshotEntity> {
    let run: ChunkedArray<Element>
    let order: RunOrder
    var chunkIndex = 0
    var chunk: [Element]
    var offset = -1
    var headID: UInt64 = 0
    private(set) var head: Element?
    /// `.lanes`: where each element's lane goes on (the heap holds each lane's head).
    var nextInLane: [Int32] = []
    /// `.window`: the next loans in id order, and the position of the next one to take in.
    var heap = WindowHeap(capacity: 0)
    var nextPosition = 0
    /// `.positions`: the run's positions by id, and how many were read.
    var sortedPositions: [Int] = []
    var taken = 0

    init(_ run: ChunkedArray<Element>) {
        self.run = run
        let lanes: RunOrder.Lanes?
        (order, lanes) = RunOrder.classify(run)
        chunk = run.chunks.first ?? []
        switch order {
        case .ascending:
            break
        case .lanes:
            let lanes = lanes!
            nextInLane = lanes.next
            heap = WindowHeap(capacity: lanes.heads.count)
            for head in lanes.heads { heap.push(WindowHeap.Entry(id: run[Int(head)].snapshotID, position: Int(head))) }
        case .window(let window):
            // The heap holds every element it reads: a placeholder (id 0) would come out first.
            precondition(!Element.hasPlaceholders, "a run with placeholders read through a window")
            heap = WindowHeap(capacity: min(window, run.count))
            while nextPosition < min(window, run.count) {
                heap.push(WindowHeap.Entry(id: run[nextPosition].snapshotID, position: nextPosition))
                nextPosition += 1
            }
        case .positions:
            sortedPositions = run.indices.filter { !run[$0].isPlaceholder }
            sortedPositions.sort { run[$0].snapshotID < run[$1].snapshotID }
        }
        advance()
    }

    /// Moves to the next element that is not a placeholder.
    mutating func advance() {
        switch order {
        case .ascending:
            while true {
                offset += 1
                if offset == chunk.count {
                    chunkIndex += 1
                    guard chunkIndex < run.chunks.count else { return finish() }
                    chunk = run.chunks[chunkIndex]
                    offset = 0
                }
                if !chunk[offset].isPlaceholder { return take(chunk[offset]) }
            }
        case .lanes:
            guard let least = heap.least else { return finish() }
            // The lane's next element takes its head's place.
            let next = Int(nextInLane[least.position])
            take(run[heap.popLeast(replacingWith: next < 0 ? nil : WindowHeap.Entry(id: run[next].snapshotID, position: next)).position])
        case .window:
            guard !heap.isEmpty else { return finish() }
            var replacement: WindowHeap.Entry?
            if nextPosition < run.count {
                replacement = WindowHeap.Entry(id: run[nextPosition].snapshotID, position: nextPosition)
                nextPosition += 1
            }
            take(run[heap.popLeast(replacingWith: replacement).position])
        case .positions:
            guard taken < sortedPositions.count else { return finish() }
            take(run[sortedPositions[taken]])
            taken += 1
        }
    }

    private mutating func take(_ element: Element) {
        head = element
        headID = element.snapshotID
    }

    private mutating func finish() {
        head = nil
        headID = .max
    }
}
