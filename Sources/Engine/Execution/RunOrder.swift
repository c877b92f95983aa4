/// How one shard's run is read in id order.
///
/// A shard stores a loan at the position the coordinator gives it as the batch completes:
/// loans of one batch whose member and item share a shard are stored in their wave, the others a
/// hop later (and of an import batch, the returned loans in their member's step, the active ones
/// a hop later), so a shard's loans are out of id order, but only among the loans of one batch.
/// Every loan of a later batch has a higher id and a higher position. Such a run is read through
/// a min-heap of the next `window` loans: if every element is above all elements `window` or more
/// positions before it, no element not yet in the heap can be smaller than the heap's least, so
/// the heap yields the run in order. That is checked in a pass over the ids before the walk (the
/// walk writes as it goes and cannot start over). A window of `Limits.commandsPerBatchMax`
/// covers any batch; a run that is out of order further than that (none is made today) is read
/// through its positions sorted by id, 8 bytes a loan, not a copy of its 64-byte loans.
enum RunOrder: Equatable {
    case ascending
    case window(Int)
    case positions

    /// Heap sizes tried, smallest first: a heap of 1,024 entries is 16 KiB and stays in cache.
    static let windows = [1_024, Limits.commandsPerBatchMax]

    static func of<Element: SnapshotEntity>(_ run: ChunkedArray<Element>) -> RunOrder {
        if isOrdered(run, window: 1) { return .ascending }
        // Placeholders sit only in slot arrays, which are ascending by construction.
        guard !Element.hasPlaceholders else { return .positions }
        for window in windows where isOrdered(run, window: window) { return .window(window) }
        return .positions
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

/// A min-heap of (id, position) pairs: the window through which a run that is out of order
/// within a batch is read in id order.
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
