/// How one shard's run is read in id order.
///
/// A shard stores a loan at the position the coordinator gives it as the batch completes:
/// loans of one batch whose member and item share a shard are stored in their wave, the others a
/// hop later (and of an import batch, the returned loans in their member's step, the active ones
/// a hop later), so a shard's loans are out of id order, but only among the loans of one batch,
/// and there as some ascending sequences interleaved (28 and 36 in the two shards of a seeded
/// high_scale library after 3 s of 64 x 1 checkouts). Every loan of a later batch has a higher id
/// and a higher position.
///
/// Such a run is split, in one pass, into at most `lanesMax` ascending sequences ("lanes"): each
/// element joins the lane whose last id is the highest below its own, which uses as few lanes as
/// the run's longest decreasing subsequence is long, and is linked to from the element before it
/// in its lane. The walk then merges the lanes through a min-heap of their heads, as many entries
/// as lanes (36 lanes: 6 levels). A run that needs more lanes is read through a min-heap of the
/// next `window` elements (65,536 entries: 16 levels): if every element is above all elements
/// `window` or more positions before it, no element not yet in the heap can be smaller than the
/// heap's least, so the heap yields the run in order (checked in a pass over the ids before the
/// walk, which writes as it goes and cannot start over). A window of `Limits.commandsPerBatchMax` covers any batch; a run
/// out of order further than that (none is made today) is read through its positions sorted by
/// id, 8 bytes an element, not a copy of its 64-byte loans.
enum RunOrder: Equatable {
    case ascending
    case lanes(Int)
    case window(Int)
    case positions

    /// The most lanes a run is split into before a window is tried.
    static let lanesMax = 1_024

    /// Heap sizes tried, smallest first. A smaller window than `lanesMax` would never be used: a
    /// run within a window of w has no decreasing subsequence longer than w, so lanes read it.
    static let windows = [Limits.commandsPerBatchMax]

    static func of<Element: SnapshotEntity>(_ run: ChunkedArray<Element>) -> RunOrder { classify(run).order }

    /// The order, and for `.lanes` the lanes.
    static func classify<Element: SnapshotEntity>(_ run: ChunkedArray<Element>) -> (order: RunOrder, lanes: Lanes?) {
        if isOrdered(run, window: 1) { return (.ascending, nil) }
        // Placeholders sit only in slot arrays, which are ascending by construction.
        guard !Element.hasPlaceholders else { return (.positions, nil) }
        if let lanes = lanes(of: run) { return (.lanes(lanes.heads.count), lanes) }
        for window in windows where isOrdered(run, window: window) { return (.window(window), nil) }
        return (.positions, nil)
    }

    /// A run's ascending lanes: where each starts, and after each element where its lane goes on.
    struct Lanes {
        /// The position of each lane's first element.
        var heads: [Int32] = []
        /// For each position, the position of the next element in its lane; -1 at a lane's end.
        var next: [Int32]
    }

    /// The run's lanes, if `lanesMax` suffice (no placeholders) and positions fit 32 bits.
    static func lanes<Element: SnapshotEntity>(of run: ChunkedArray<Element>) -> Lanes? {
        guard run.count < Int(Int32.max) else { return nil }
        var lanes = Lanes(next: [Int32](repeating: -1, count: run.count))
        // Each lane's last id and last position so far.
        var lastIDs: [UInt64] = []
        var lastPositions: [Int32] = []
        var position: Int32 = 0
        for chunk in run.chunks {
            for element in chunk {
                let id = element.snapshotID
                // The lane whose last id is the highest below this one. The lanes' last ids
                // descend with the lane number (a new lane starts below every last id; an element
                // joins the highest lane below it, under the next one up), so that is the first
                // lane with a last id below this one: a binary search.
                var (low, high) = (0, lastIDs.count)
                while low < high {
                    let middle = (low + high) / 2
                    if lastIDs[middle] < id { high = middle } else { low = middle + 1 }
                }
                if low == lastIDs.count {
                    guard lastIDs.count < lanesMax else { return nil }
                    lastIDs.append(id)
                    lastPositions.append(position)
                    lanes.heads.append(position)
                } else {
                    lastIDs[low] = id
                    lanes.next[Int(lastPositions[low])] = position
                    lastPositions[low] = position
                }
                position += 1
            }
        }
        return lanes
    }

    /// Whether every element's id is above the ids of all elements `window` or more positions
    /// before it (placeholders skipped; with `window` 1: ascending).
    static func isOrdered<Element: SnapshotEntity>(_ run: ChunkedArray<Element>, window: Int) -> Bool {
        precondition(window >= 1, "window of \(window)")
        // The highest id at positions up to `index - window`, folded in as `index` advances.
        var behindMax: UInt64 = 0
        var index = 0
        for chunk in run.chunks {
            for element in chunk {
                if index >= window {
                    let behind = run[index - window]
                    if !behind.isPlaceholder { behindMax = max(behindMax, behind.snapshotID) }
                }
                index += 1
                if element.isPlaceholder { continue }
                if element.snapshotID <= behindMax { return false }
            }
        }
        return true
    }
}

/// A min-heap of (id, position) pairs: the heads of a run's lanes, or the window through which a
/// run that is out of order within a batch is read in id order.
struct WindowHeap {
    struct Entry {
        var id: UInt64
        var position: Int
    }

    private(set) var entries: [Entry] = []

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    var isEmpty: Bool { entries.isEmpty }
    var least: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].id < entries[parent].id else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes the least entry and, in one pass down, puts `replacement` (if any) in its place.
    mutating func popLeast(replacingWith replacement: Entry?) -> Entry {
        let least = entries[0]
        if let replacement {
            entries[0] = replacement
        } else {
            let last = entries.removeLast()
            guard !entries.isEmpty else { return least }
            entries[0] = last
        }
        var parent = 0
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && entries[right].id < entries[left].id ? right : left
            guard entries[smaller].id < entries[parent].id else { break }
            entries.swapAt(smaller, parent)
            parent = smaller
        }
        return least
    }
}
