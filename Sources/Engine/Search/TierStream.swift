/// The slots of one field in the union of several posting lists, in ascending order, a window
/// of slots at a time: every list is read up to the window's end, the window's slots are
/// sorted and deduplicated, and the next window is twice as wide. Reading lists side by side
/// this way costs a pass over the list heads per window instead of a heap operation per
/// posting, and the first window is sized to hold about a page, so a search that fills its
/// page early reads little more than it needs.
struct TierStream {
    private var lists: [(term: UInt32, position: Int)] = []
    private let field: UInt32
    private var windowStart: UInt64
    private var windowWidth: UInt64
    private let slotEnd: UInt64

    /// `expected` postings are spread over `slotCount` slots; about `wanted` are needed.
    init(terms: [UInt32], field: UInt32, from start: UInt32, postings: [[UInt32]], expected: Int, wanted: Int, slotCount: Int) {
        self.field = field
        windowStart = UInt64(start)
        slotEnd = UInt64(slotCount)
        let width = UInt64(wanted) * 2 * UInt64(slotCount) / UInt64(max(1, expected))
        windowWidth = min(max(64, width), max(64, UInt64(slotCount)))
        lists.reserveCapacity(terms.count)
        for term in terms {
            let list = postings[Int(term)]
            let position = start == 0 ? 0 : CatalogIndex.lowerBound(list, start << 1)
            if position < list.count { lists.append((term, position)) }
        }
    }

    /// Replaces `slots` with the next window's slots; false once every list is read.
    mutating func next(into slots: inout [UInt32], postings: [[UInt32]]) -> Bool {
        slots.removeAll(keepingCapacity: true)
        guard !lists.isEmpty, windowStart < slotEnd else { return false }
        let end = windowStart + windowWidth
        let postingEnd = end >= slotEnd ? UInt64(UInt32.max) + 1 : end << 1
        var index = 0
        while index < lists.count {
            let list = postings[Int(lists[index].term)]
            var position = lists[index].position
            list.withUnsafeBufferPointer { list in
                while position < list.count && UInt64(list[position]) < postingEnd {
                    let posting = list[position]
                    if posting & 1 == field { slots.append(posting >> 1) }
                    position += 1
                }
            }
            if position == list.count {
                lists.swapAt(index, lists.count - 1)
                lists.removeLast()
            } else {
                lists[index].position = position
                index += 1
            }
        }
        if slots.count > 1 {
            slots.sort()
            var kept = 1
            for index in 1..<slots.count where slots[index] != slots[kept - 1] {
                slots[kept] = slots[index]
                kept += 1
            }
            slots.removeLast(slots.count - kept)
        }
        windowStart = end
        windowWidth *= 2
        return true
    }

    /// The first slot the next window holds.
    var nextSlot: UInt64 { windowStart }
}
